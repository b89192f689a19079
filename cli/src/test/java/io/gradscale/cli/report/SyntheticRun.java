package io.gradscale.cli.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Rng;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.Json;
import io.gradscale.train.LayerStats;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A realistic run directory for the report tests: a 4-layer MLP trained for {@link #STEPS} steps with
 * global-norm clipping at {@link #MAX_NORM}, gradients that shrink towards the input (a mild vanishing
 * pattern), a loss spike that ends in one skipped step with a non-finite loss and gradient, epoch-end
 * evaluations, events, activation samples, and a diagnosis with two verdicts.
 */
final class SyntheticRun {
    static final int STEPS = 300;
    static final int STEPS_PER_EPOCH = 100;
    static final int ACTIVATION_EVERY = 10;
    static final long SKIPPED_STEP = 150;
    static final double MAX_NORM = 1.0;
    static final List<String> LAYERS = List.of("layers.0", "layers.1", "layers.2", "head");
    static final List<String> ACTIVATIONS = List.of("act.0", "act.1", "act.2");
    /** Text that would break out of the page's markup or data script if it were not escaped. */
    static final String HOSTILE = "</script><script>window.pwned=1</script><b>&";

    private SyntheticRun() {
    }

    /** Writes {@code metrics.jsonl} and {@code diagnosis.json} into {@code dir}. */
    static void write(Path dir, long seed) throws IOException {
        Rng rng = new Rng(seed);
        ObjectNode config = Json.mapper().createObjectNode();
        config.put("model", "mlp").put("hidden", 64).put("activation", "relu").put("note", HOSTILE);
        config.putArray("transforms").addObject().put("type", "clip_global_norm").put("max_norm", MAX_NORM);
        config.putObject("optimizer").put("type", "adam").put("lr", 1e-3);
        Provenance prov = new Provenance(config, seed, "0.1.0-test", "25", "Linux amd64 Test CPU", 2, 2, "scalar",
                "2025-01-01T00:00:00Z");
        try (MetricsLog log = new MetricsLog(dir.resolve(MetricsLog.FILE_NAME), prov, 1)) {
            double[] params = {8.0, 6.0, 4.0, 1.5};
            for (long step = 0; step < STEPS; step++) {
                int epoch = (int) (step / STEPS_PER_EPOCH);
                boolean skip = step == SKIPPED_STEP;
                double spike = step >= 140 && step < SKIPPED_STEP ? Math.pow(3, step - 139) : 1;
                double loss = skip ? Double.NaN : (2.3 * Math.exp(-step / 90.0) + 0.15) * spike * (1 + 0.05 * rng.nextGaussian());
                Map<String, LayerStats> layers = new LinkedHashMap<>();
                double sq = 0;
                for (int l = 0; l < LAYERS.size(); l++) {
                    // Depth from the output: each layer closer to the input gets about a tenth of the gradient.
                    double g = skip ? Double.POSITIVE_INFINITY
                            : 0.8 * spike * Math.pow(0.1, LAYERS.size() - 1 - l) * Math.exp(0.3 * rng.nextGaussian());
                    sq += g * g;
                    double update = skip ? 0 : 1e-3 * params[l] * Math.pow(0.3, LAYERS.size() - 1 - l)
                            * Math.exp(0.2 * rng.nextGaussian());
                    double ratio = update == 0 ? Double.NaN : Math.log10(update / params[l]);
                    layers.put(LAYERS.get(l), new LayerStats(g, g / 4, params[l], update, ratio, skip ? 12 : 0));
                }
                double norm = Math.sqrt(sq);
                Map<String, Double> transforms = new LinkedHashMap<>();
                if (!skip) {
                    double factor = Math.min(1, MAX_NORM / norm);
                    transforms.put("clip_global_norm.norm", norm);
                    transforms.put("clip_global_norm.factor", factor);
                    transforms.put("clip_global_norm.clipped", factor < 1 ? 1.0 : 0.0);
                }
                transforms.put("skip_non_finite.skipped", skip ? 1.0 : 0.0);
                Map<String, ActivationStats> acts = new LinkedHashMap<>();
                if (step % ACTIVATION_EVERY == 0) {
                    acts.put("act.0", new ActivationStats("relu", 0.4, 0.6, 0.02 + 0.1 * step / STEPS, 0));
                    acts.put("act.1", new ActivationStats("relu", 0.3, 0.5, 0.05 + 0.2 * step / STEPS, 0));
                    acts.put("act.2", new ActivationStats("tanh", 0.0, 0.7, 0, 0.1 + 0.3 * step / STEPS));
                }
                log.onStep(new StepRecord(step, epoch, loss, 1e-3 * Math.min(1, (step + 1) / 50.0), 12.5 * (step + 1),
                        norm, skip, layers, transforms, acts));
                if (skip) {
                    log.onEvent(new EventRecord(step, "rollback", "non-finite gradient at step " + step
                            + "; restored the last good checkpoint " + HOSTILE));
                }
                if ((step + 1) % STEPS_PER_EPOCH == 0) {
                    double val = 2.3 * Math.exp(-step / 100.0) + 0.25;
                    log.onEval(new EvalRecord(step, epoch, loss, val, 1 - val / 3, 200));
                    log.onEvent(new EventRecord(step, "checkpoint", "wrote checkpoint-" + epoch + ".json"));
                }
            }
        }
        List<Verdict> verdicts = List.of(
                new Verdict("vanishing", Verdict.Severity.WARNING, "Vanishing gradients: early layers barely update",
                        List.of("layers.0 gradient norm is 1000x smaller than head's on median over 300 steps",
                                "layers.0 update ratio log10 is -4.1, below the healthy -3"),
                        List.of("Use He initialization for the ReLU layers", "Add batch normalization after each hidden layer")),
                new Verdict("non_finite", Verdict.Severity.CRITICAL, "Non-finite gradients " + HOSTILE,
                        List.of("step 150: gradient norm Infinity, 12 non-finite elements per layer"),
                        List.of("Lower the learning rate", "Enable dynamic loss scaling")));
        Json.mapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve(HtmlReport.DIAGNOSIS_FILE).toFile(), verdicts);
    }
}
