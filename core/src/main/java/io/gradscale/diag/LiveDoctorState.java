package io.gradscale.diag;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.Json;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.transform.TensorJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of a {@link LiveDoctor.State}, as a run's checkpoint holds it, so that a resumed run's live doctor
 * judges from the same window and conditions as the uninterrupted run's:
 * <pre>
 * {"version": 1,
 *  "window": [step record, ...],          oldest first, as the metrics log writes a step
 *  "active": [verdict, ...],              most severe first
 *  "headline": verdict or null, "evaluations": n,
 *  "last_good": {"step": s, "tensors": {name: tensor}, "state": {...}} or null   (on_critical: stop)
 *  "stopped_by": verdict or null}
 * </pre>
 * Tensors are in {@link TensorJson}'s binary form, so every bit comes back; the step records' numbers are written
 * as the shortest decimal that reads back to the same double. The checkpoint's checksums cover it like the rest of
 * its state. {@link #read} refuses another version, or a field that does not parse, with an
 * {@link IllegalArgumentException} starting with "checkpoint", before anything is restored.
 */
public final class LiveDoctorState {
    /** The version of the format above this code writes and reads. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = Json.mapper().registerModule(TensorJson.module());
    private static final TypeReference<Map<String, Tensor>> TENSORS = new TypeReference<>() {
    };

    private LiveDoctorState() {
    }

    /** {@code s} as JSON. */
    public static ObjectNode write(LiveDoctor.State s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", VERSION);
        var window = o.putArray("window");
        s.window().forEach(r -> window.add(JSON.valueToTree(r)));
        var active = o.putArray("active");
        s.active().forEach(v -> active.add(JSON.valueToTree(v)));
        o.set("headline", JSON.valueToTree(s.headline()));
        o.put("evaluations", s.evaluations());
        if (s.lastGood() != null) {
            ObjectNode g = o.putObject("last_good");
            g.put("step", s.lastGoodStep());
            g.set("tensors", JSON.valueToTree(s.lastGood().tensors()));
            g.set("state", s.lastGood().state());
        } else {
            o.putNull("last_good");
        }
        o.set("stopped_by", JSON.valueToTree(s.stoppedBy()));
        return o;
    }

    /** The state {@link #write} wrote; {@code node} as found in the checkpoint. */
    public static LiveDoctor.State read(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("checkpoint live doctor state must be an object, got " + node);
        }
        if (node.path("version").asInt(-1) != VERSION) {
            throw new IllegalArgumentException("checkpoint live doctor state has version " + node.get("version") + ", this code reads version "
                    + VERSION);
        }
        try {
            List<StepRecord> window = new ArrayList<>();
            for (JsonNode r : array(node, "window")) {
                window.add(JSON.treeToValue(r, StepRecord.class));
            }
            List<Verdict> active = new ArrayList<>();
            for (JsonNode v : array(node, "active")) {
                active.add(verdict(v, "active"));
            }
            JsonNode evaluations = node.get("evaluations");
            if (evaluations == null || !evaluations.canConvertToLong() || evaluations.asLong() < 0) {
                throw new IllegalArgumentException("\"evaluations\" must be a count, got " + evaluations);
            }
            Trainer.Snapshot lastGood = null;
            long lastGoodStep = -1;
            JsonNode g = node.get("last_good");
            if (g != null && !g.isNull()) {
                if (!g.path("state").isObject() || !g.path("tensors").isObject() || !g.path("step").canConvertToLong()) {
                    throw new IllegalArgumentException("\"last_good\" must hold \"step\", \"tensors\" and \"state\", got fields "
                            + fieldNames(g));
                }
                Map<String, Tensor> tensors = new LinkedHashMap<>(JSON.convertValue(g.get("tensors"), TENSORS));
                lastGood = new Trainer.Snapshot(tensors, g.get("state"));
                lastGoodStep = g.get("step").asLong();
            }
            return new LiveDoctor.State(window, active, nullableVerdict(node.get("headline"), "headline"), evaluations.asLong(), lastGood,
                    lastGoodStep, nullableVerdict(node.get("stopped_by"), "stopped_by"));
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("checkpoint live doctor state is not readable: " + e.getMessage(), e);
        }
    }

    private static Iterable<JsonNode> array(JsonNode node, String field) {
        JsonNode a = node.get(field);
        if (a == null || !a.isArray()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an array, got " + a);
        }
        return a;
    }

    private static Verdict nullableVerdict(JsonNode v, String field) throws IOException {
        return v == null || v.isNull() ? null : verdict(v, field);
    }

    private static Verdict verdict(JsonNode v, String field) throws IOException {
        Verdict out = JSON.treeToValue(v, Verdict.class);
        if (out.detector() == null || out.severity() == null || out.title() == null) {
            throw new IllegalArgumentException("\"" + field + "\" holds a verdict without detector, severity or title: " + v);
        }
        return out;
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
