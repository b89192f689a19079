package io.gradscale.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything known about one training step, immutable, as sent to listeners and written to the
 * metrics log (one JSON object per line). Reports and {@code diagnose} read only these records.
 *
 * @param step global step index, from 0
 * @param epoch epoch index, from 0
 * @param loss the (unscaled) training loss of the step's batch
 * @param learningRate the learning rate the step used
 * @param elapsedMillis wall time since training started, at the end of the step
 * @param gradNorm global L2 norm of all gradients, before any transform
 * @param skipped true when a transform skipped the update (non-finite gradient, loss-scale overflow)
 * @param layers per-layer statistics, by module path, in parameter order
 * @param transforms metrics reported by the gradient transforms (e.g. {@code clip_global_norm.norm})
 * @param activations activation statistics by module path, on the steps the monitor samples (else empty)
 * @param parameters per-parameter gradient statistics by parameter path, on the steps the monitor samples (else empty)
 */
public record StepRecord(long step, int epoch, double loss, double learningRate, double elapsedMillis, double gradNorm,
                         boolean skipped, Map<String, LayerStats> layers, Map<String, Double> transforms,
                         Map<String, ActivationStats> activations, Map<String, ParamStats> parameters) {
    /** Suffix of the transform figures that are positive when the transform clipped the step ({@code agc.clipped}, ...). */
    public static final String CLIPPED_SUFFIX = ".clipped";
    /** Suffix of the transform figures holding the factor the gradient was multiplied by (below 1 when it was shrunk). */
    public static final String FACTOR_SUFFIX = ".factor";

    public StepRecord {
        layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
        transforms = Collections.unmodifiableMap(new LinkedHashMap<>(transforms));
        activations = Collections.unmodifiableMap(new LinkedHashMap<>(activations));
        parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** A record without per-parameter statistics. */
    public StepRecord(long step, int epoch, double loss, double learningRate, double elapsedMillis, double gradNorm,
                      boolean skipped, Map<String, LayerStats> layers, Map<String, Double> transforms,
                      Map<String, ActivationStats> activations) {
        this(step, epoch, loss, learningRate, elapsedMillis, gradNorm, skipped, layers, transforms, activations, Map.of());
    }

    /** True when some transform that can clip reported on this step (a {@code *.clipped} figure is present). */
    public boolean reportsClipping() {
        for (String k : transforms.keySet()) {
            if (k.endsWith(CLIPPED_SUFFIX)) {
                return true;
            }
        }
        return false;
    }

    /** True when some clipping transform changed the gradients at this step (a {@code *.clipped} figure is positive). */
    public boolean clipped() {
        return clipped(false);
    }

    /**
     * {@link #clipped()}, or some transform multiplied the gradients by a factor below 1 (a {@code *.factor} figure)
     * without counting a clip: what the report's charts mark as clipped. One pass over the figures' names, which the
     * live view makes for every step of a run.
     */
    public boolean clippedOrShrunk() {
        return clipped(true);
    }

    private boolean clipped(boolean orShrunk) {
        for (String k : transforms.keySet()) {
            if (k.endsWith(CLIPPED_SUFFIX) ? transforms.get(k) > 0 : orShrunk && k.endsWith(FACTOR_SUFFIX) && transforms.get(k) < 1) {
                return true;
            }
        }
        return false;
    }
}
