package io.gradscale.cli.remedy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.cli.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * A remedy the gradient doctor proposes, as a patch to the run configuration: the edits that make it, what
 * it treats and why it should work. The same object is printed by {@code diagnose}, applied and rerun by
 * {@code --try-remedies}, and written (applied) to {@code remedied.yaml}.
 *
 * @param id a short name, unique among one diagnosis's remedies (e.g. {@code relu-he})
 * @param treats the detectors whose verdicts prescribe it ("vanishing", "exploding", ...)
 * @param title one line for people
 * @param why the reasoning and its source
 * @param edits the changes, applied in order
 */
public record Remedy(String id, List<String> treats, String title, String why, List<ConfigEdit> edits) {
    public Remedy {
        treats = List.copyOf(treats);
        edits = List.copyOf(edits);
        if (edits.isEmpty()) {
            throw new IllegalArgumentException("a remedy needs at least one edit: " + id);
        }
    }

    /** A copy of {@code config} with every edit applied; {@code config} itself is left unchanged. */
    public ObjectNode apply(JsonNode config) {
        if (!(config instanceof ObjectNode o)) {
            throw new ConfigException("the configuration must be a mapping of sections, got " + config);
        }
        ObjectNode copy = o.deepCopy();
        for (ConfigEdit e : edits) {
            e.applyTo(copy);
        }
        return copy;
    }

    /** Each edit as one line against {@code before}. */
    public List<String> describe(JsonNode before) {
        List<String> out = new ArrayList<>();
        for (ConfigEdit e : edits) {
            out.add(e.describe(before));
        }
        return out;
    }

    /** The same remedy also treating {@code detector}. */
    Remedy alsoTreating(String detector) {
        if (treats.contains(detector)) {
            return this;
        }
        List<String> t = new ArrayList<>(treats);
        t.add(detector);
        return new Remedy(id, t, title, why, edits);
    }
}
