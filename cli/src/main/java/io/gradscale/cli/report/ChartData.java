package io.gradscale.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.cli.config.OptimizerBuilder;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.LayerStats;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;

/**
 * The numbers the report's charts draw, as one JSON object for the page's script, and the list of charts
 * that have data to draw.
 *
 * <p>Non-finite values become JSON {@code null}, which the charts draw as gaps; the steps where they
 * occurred stay visible through the skipped-step marks and the summary counts. Long runs are thinned to at
 * most {@link #MAX_CHART_STEPS} step records by keeping every {@code k}-th one plus every skipped or
 * non-finite step, the same rule the metrics log applies when it logs every {@code n}-th step.
 */
final class ChartData {
    /** Most step records a chart draws; more would make the file large and the page slow. */
    static final int MAX_CHART_STEPS = 2000;

    // Chart names: each chart's container has the id "chart-<name>" and the attribute data-chart="<name>",
    // which report.js maps to the function that draws it.
    static final String LOSS = "loss";
    static final String LEARNING_RATE = "lr";
    static final String GRAD_HEATMAP = "grad-heatmap";
    static final String GRAD_NORM = "grad-norm";
    static final String UPDATE_RATIO = "update-ratio";
    static final String TRANSFORMS = "transforms";
    static final String ACTIVATIONS = "activations";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ChartData() {
    }

    /** Layer paths in parameter order: the order of the first record that has them, new ones appended. */
    static List<String> layerNames(List<StepRecord> steps) {
        SequencedSet<String> names = new LinkedHashSet<>();
        for (StepRecord r : steps) {
            names.addAll(r.layers().keySet());
        }
        return List.copyOf(names);
    }

    /**
     * Indices of the records to draw: all of them when there are at most {@code max}; else every
     * {@code ceil(n / max)}-th, the last, and every skipped or non-finite one, unless those alone are more
     * than {@code max}, in which case plain striding decides.
     */
    static List<Integer> thin(List<StepRecord> steps, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max chart steps must be at least 1, got " + max);
        }
        int n = steps.size();
        List<Integer> keep = new ArrayList<>();
        if (n <= max) {
            for (int i = 0; i < n; i++) {
                keep.add(i);
            }
            return keep;
        }
        int stride = (n + max - 1) / max;
        long special = steps.stream().filter(ChartData::special).count();
        boolean keepSpecial = special <= max;
        for (int i = 0; i < n; i++) {
            if (i % stride == 0 || i == n - 1 || keepSpecial && special(steps.get(i))) {
                keep.add(i);
            }
        }
        return keep;
    }

    private static boolean special(StepRecord r) {
        return r.skipped() || !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm());
    }

    /** The charts that have something to draw for this run, in page order. */
    static List<String> charts(MetricsLog.Contents log) {
        List<String> charts = new ArrayList<>();
        boolean hasSteps = !log.steps().isEmpty();
        if (hasSteps || !log.evals().isEmpty()) {
            charts.add(LOSS);
        }
        if (hasSteps) {
            charts.add(LEARNING_RATE);
            charts.add(GRAD_NORM);
        }
        if (!layerNames(log.steps()).isEmpty()) {
            charts.add(GRAD_HEATMAP);
            charts.add(UPDATE_RATIO);
        }
        if (log.steps().stream().anyMatch(r -> !r.transforms().isEmpty())) {
            charts.add(TRANSFORMS);
        }
        if (log.steps().stream().anyMatch(r -> !r.activations().isEmpty())) {
            charts.add(ACTIVATIONS);
        }
        return charts;
    }

    /** The JSON object the page's script reads; see {@code report.js} for how each field is drawn. */
    static ObjectNode build(MetricsLog.Contents log, int maxSteps) {
        List<StepRecord> all = log.steps();
        List<StepRecord> shown = new ArrayList<>();
        for (int i : thin(all, maxSteps)) {
            shown.add(all.get(i));
        }
        List<String> layers = layerNames(all);

        ObjectNode root = F.objectNode();
        ArrayNode steps = root.putArray("steps");
        ArrayNode loss = root.putArray("loss");
        ArrayNode lr = root.putArray("lr");
        ArrayNode gradNorm = root.putArray("gradNorm");
        ArrayNode clipped = root.putArray("clipped");
        ArrayNode skipped = root.putArray("skipped");
        double lossMin = Double.POSITIVE_INFINITY;
        double lossMax = Double.NEGATIVE_INFINITY;
        for (StepRecord r : shown) {
            steps.add(r.step());
            loss.add(num(r.loss()));
            lr.add(num(r.learningRate()));
            gradNorm.add(num(r.gradNorm()));
            if (Double.isFinite(r.loss())) {
                lossMin = Math.min(lossMin, r.loss());
                lossMax = Math.max(lossMax, r.loss());
            }
            if (r.clippedOrShrunk()) {
                clipped.add(F.arrayNode().add(r.step()).add(num(r.gradNorm())));
            }
            if (r.skipped()) {
                skipped.add(r.step());
            }
        }
        // A loss that spans three decades (a divergence, or a long run from random init) is unreadable on a
        // linear axis; a log axis needs every value positive.
        root.put("lossLogScale", lossMin > 0 && lossMax / lossMin > 1e3);

        putClipLimits(root, log.provenance());
        putLayers(root, shown, layers);
        putTransforms(root, shown);
        putEvals(root, log.evals());
        putEvents(root, log.events());
        putActivations(root, all, maxSteps);
        return root;
    }

    /**
     * The fixed thresholds the global gradient norm is clipped at, read from the run's configuration: each
     * {@code clip_global_norm} transform with the 2-norm (the norm the chart draws). Adaptive clippers report
     * their threshold per step as a {@code *.threshold} transform metric, which the chart draws as a line.
     */
    static void putClipLimits(ObjectNode root, Provenance provenance) {
        ArrayNode limits = root.putArray("clipLimits");
        JsonNode transforms = provenance == null || provenance.config() == null ? null : provenance.config().get("transforms");
        if (transforms == null || !transforms.isArray()) {
            return;
        }
        for (JsonNode t : transforms) {
            if ("clip_global_norm".equals(t.path("type").asText())
                    && t.path("p").asDouble(OptimizerBuilder.DEFAULT_NORM_P) == 2.0) {
                limits.addObject().put("name", "clip_global_norm").put("value",
                        t.path("max_norm").asDouble(OptimizerBuilder.DEFAULT_MAX_NORM));
            }
        }
    }

    private static void putLayers(ObjectNode root, List<StepRecord> shown, List<String> layers) {
        ArrayNode names = root.putArray("layers");
        layers.forEach(names::add);
        ArrayNode heat = root.putArray("heat");
        ArrayNode ratios = root.putArray("updateRatio");
        // the heatmap's columns are the steps that carry per-layer statistics (the monitor samples every n-th step)
        ArrayNode heatSteps = root.putArray("heatSteps");
        java.util.List<Integer> sampled = new java.util.ArrayList<>();
        for (int x = 0; x < shown.size(); x++) {
            if (!shown.get(x).layers().isEmpty()) {
                sampled.add(x);
                heatSteps.add(shown.get(x).step());
            }
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int y = 0; y < layers.size(); y++) {
            ArrayNode ratio = ratios.addArray();
            for (int x = 0; x < shown.size(); x++) {
                LayerStats s = shown.get(x).layers().get(layers.get(y));
                ratio.add(s == null ? F.nullNode() : num(s.updateRatioLog10()));
            }
            for (int c = 0; c < sampled.size(); c++) {
                LayerStats s = shown.get(sampled.get(c)).layers().get(layers.get(y));
                double log10 = s == null ? Double.NaN : Math.log10(s.gradNorm());
                if (Double.isFinite(log10)) {
                    heat.add(F.arrayNode().add(c).add(y).add(log10));
                    min = Math.min(min, log10);
                    max = Math.max(max, log10);
                }
            }
        }
        ArrayNode range = root.putArray("heatRange");
        if (min <= max) {
            range.add(min).add(max == min ? min + 1 : max);
        } else {
            range.add(0).add(1);
        }
    }

    private static void putTransforms(ObjectNode root, List<StepRecord> shown) {
        SequencedSet<String> names = new LinkedHashSet<>();
        shown.forEach(r -> names.addAll(r.transforms().keySet()));
        ObjectNode t = root.putObject("transforms");
        ArrayNode nameArray = t.putArray("names");
        ArrayNode values = t.putArray("values");
        for (String name : names) {
            nameArray.add(name);
            ArrayNode v = values.addArray();
            for (StepRecord r : shown) {
                Double x = r.transforms().get(name);
                v.add(x == null ? F.nullNode() : num(x));
            }
        }
    }

    private static void putEvals(ObjectNode root, List<EvalRecord> evals) {
        ObjectNode e = root.putObject("evals");
        ArrayNode steps = e.putArray("steps");
        ArrayNode train = e.putArray("trainLoss");
        ArrayNode val = e.putArray("valLoss");
        ArrayNode acc = e.putArray("valAccuracy");
        for (EvalRecord r : evals) {
            steps.add(r.step());
            train.add(num(r.trainLoss()));
            val.add(num(r.valLoss()));
            acc.add(num(r.valAccuracy()));
        }
    }

    private static void putEvents(ObjectNode root, List<EventRecord> events) {
        ArrayNode a = root.putArray("events");
        for (EventRecord r : events) {
            a.addObject().put("step", r.step()).put("kind", r.kind());
        }
    }

    private static void putActivations(ObjectNode root, List<StepRecord> all, int maxSteps) {
        List<StepRecord> sampled = all.stream().filter(r -> !r.activations().isEmpty()).toList();
        List<StepRecord> shown = new ArrayList<>();
        for (int i : thin(sampled, maxSteps)) {
            shown.add(sampled.get(i));
        }
        SequencedSet<String> names = new LinkedHashSet<>();
        shown.forEach(r -> names.addAll(r.activations().keySet()));
        ObjectNode a = root.putObject("activations");
        ArrayNode steps = a.putArray("steps");
        shown.forEach(r -> steps.add(r.step()));
        ArrayNode layers = a.putArray("layers");
        for (String name : names) {
            ObjectNode layer = layers.addObject();
            layer.put("name", name);
            String kind = null;
            ArrayNode dead = layer.putArray("dead");
            ArrayNode saturated = layer.putArray("saturated");
            for (StepRecord r : shown) {
                ActivationStats s = r.activations().get(name);
                if (s != null && kind == null) {
                    kind = s.kind();
                }
                dead.add(s == null ? F.nullNode() : num(s.deadFraction()));
                saturated.add(s == null ? F.nullNode() : num(s.saturatedFraction()));
            }
            layer.put("kind", kind);
        }
    }

    private static JsonNode num(double v) {
        return Double.isFinite(v) ? F.numberNode(v) : F.nullNode();
    }
}
