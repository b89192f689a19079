package io.gradscale.diag;

import io.gradscale.train.ActivationStats;
import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run as the detectors see it: its step records in order, the layers from input to output, and
 * optional probe results (gradient autocorrelation) measured on the model itself.
 *
 * @param steps step records in step order
 * @param facts what is known of the model and set-up, for concrete remedies
 * @param autocorrelation lag-1 autocorrelation of input gradients along a line (see
 *     {@link GradientAutocorrelation}); {@code NaN} when not measured
 * @param baselineLoss the training loss of the best constant prediction (the targets' variance, the labels'
 *     entropy; {@link TrainingProgress#constantBaseline}); {@code NaN} when not known
 * @param temporalRatio for a recurrent model, the input-gradient norm of the last output at the first time step over
 *     that at the last ({@link TemporalGradient#firstOverLast}); {@code NaN} when not measured
 */
public record RunView(List<StepRecord> steps, ModelFacts facts, double autocorrelation, double baselineLoss, double temporalRatio) {
    public RunView {
        steps = List.copyOf(steps);
    }

    /** A run whose temporal gradient was not measured. */
    public RunView(List<StepRecord> steps, ModelFacts facts, double autocorrelation, double baselineLoss) {
        this(steps, facts, autocorrelation, baselineLoss, Double.NaN);
    }

    /** A run whose constant-predictor baseline is not known: progress is then judged against the loss at its start. */
    public RunView(List<StepRecord> steps, ModelFacts facts, double autocorrelation) {
        this(steps, facts, autocorrelation, Double.NaN, Double.NaN);
    }

    /** Layer paths in the order their parameters appear (input side first). */
    public List<String> layers() {
        Set<String> s = new LinkedHashSet<>();
        for (StepRecord r : steps) {
            s.addAll(r.layers().keySet());
        }
        return new ArrayList<>(s);
    }

    /** The steps that carry per-layer statistics. */
    public List<StepRecord> layerSteps() {
        List<StepRecord> out = new ArrayList<>();
        for (StepRecord r : steps) {
            if (!r.layers().isEmpty()) {
                out.add(r);
            }
        }
        return out;
    }

    /** The statistic of one layer over the sampled steps. */
    public double[] layerSeries(String layer, java.util.function.ToDoubleFunction<LayerStats> f) {
        List<StepRecord> ls = layerSteps();
        double[] out = new double[ls.size()];
        for (int i = 0; i < out.length; i++) {
            LayerStats st = ls.get(i).layers().get(layer);
            out[i] = st == null ? Double.NaN : f.applyAsDouble(st);
        }
        return out;
    }

    /** Activation statistics of the last sampled step that has them, by module path. */
    public Map<String, ActivationStats> lastActivations() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (!steps.get(i).activations().isEmpty()) {
                return steps.get(i).activations();
            }
        }
        return Collections.emptyMap();
    }
}
