package io.gradscale.transform;

import java.util.List;
import java.util.function.Predicate;

/** Factories for the gradient transforms of this package, and {@link #chain}. */
public final class Transforms {
    /** The default norm order. */
    public static final double L2 = 2.0;
    /** The infinity norm (max |x|). */
    public static final double LINF = Double.POSITIVE_INFINITY;

    private Transforms() {
    }

    /** The transforms applied in order; stops at the first that skips the step. */
    public static Chain chain(GradientTransform<?>... parts) {
        return new Chain(List.of(parts));
    }

    /** The transforms applied in order; stops at the first that skips the step. */
    public static Chain chain(List<GradientTransform<?>> parts) {
        return new Chain(parts);
    }

    /** {@link ClipByValue}: clamp every element to {@code [-clip, clip]}. */
    public static ClipByValue clipByValue(double clip) {
        return new ClipByValue(clip);
    }

    /** {@link ClipByNorm} over all gradients: PyTorch's {@code clip_grad_norm_(params, maxNorm, p)}. */
    public static ClipByNorm clipByGlobalNorm(double maxNorm, double p) {
        return new ClipByNorm(maxNorm, p, NormScope.GLOBAL);
    }

    /** {@link ClipByNorm} over all gradients, 2-norm. */
    public static ClipByNorm clipByGlobalNorm(double maxNorm) {
        return clipByGlobalNorm(maxNorm, L2);
    }

    /** {@link ClipByNorm} over the parameters of each layer together. */
    public static ClipByNorm clipByLayerNorm(double maxNorm, double p) {
        return new ClipByNorm(maxNorm, p, NormScope.LAYER);
    }

    /** {@link ClipByNorm} over each tensor alone. */
    public static ClipByNorm clipByTensorNorm(double maxNorm, double p) {
        return new ClipByNorm(maxNorm, p, NormScope.TENSOR);
    }

    /** {@link NormalizeToUnit}: each group divided by its p-norm. */
    public static NormalizeToUnit normalize(NormScope scope, double p) {
        return new NormalizeToUnit(p, scope);
    }

    /** {@link AdaptiveGradientClip} with the paper's epsilon, clipping every parameter. */
    public static AdaptiveGradientClip adaptiveClip(double clipping) {
        return new AdaptiveGradientClip(clipping, AdaptiveGradientClip.DEFAULT_EPS, null);
    }

    /** {@link AdaptiveGradientClip} with the paper's epsilon, leaving out the parameters {@code exclude} accepts. */
    public static AdaptiveGradientClip adaptiveClip(double clipping, Predicate<ParamRef> exclude) {
        return new AdaptiveGradientClip(clipping, AdaptiveGradientClip.DEFAULT_EPS, exclude);
    }

    /** {@link AutoClip} with the paper's percentile and the default history capacity. */
    public static AutoClip autoClip() {
        return new AutoClip(AutoClip.DEFAULT_PERCENTILE, AutoClip.DEFAULT_CAPACITY);
    }

    /** {@link AutoClip}. */
    public static AutoClip autoClip(double percentile, int capacity) {
        return new AutoClip(percentile, capacity);
    }

    /** {@link ZClip} with the paper's defaults. */
    public static ZClip zClip() {
        return new ZClip(ZClip.DEFAULT_ALPHA, ZClip.DEFAULT_THRESHOLD, ZClip.DEFAULT_WARMUP_STEPS);
    }

    /** {@link ZClip}. */
    public static ZClip zClip(double alpha, double threshold, int warmupSteps) {
        return new ZClip(alpha, threshold, warmupSteps);
    }

    /** {@link NonFiniteGuard}. */
    public static NonFiniteGuard guard(NonFinitePolicy policy) {
        return new NonFiniteGuard(policy);
    }

    /** {@link WeightDecay} on every parameter. */
    public static WeightDecay weightDecay(double lambda) {
        return new WeightDecay(lambda, null);
    }

    /** {@link WeightDecay} on the parameters {@code exclude} rejects (e.g. leave out biases). */
    public static WeightDecay weightDecay(double lambda, Predicate<ParamRef> exclude) {
        return new WeightDecay(lambda, exclude);
    }

    /** {@link ScaleByLearningRate} with a schedule. */
    public static ScaleByLearningRate scaleByLearningRate(Schedule schedule) {
        return new ScaleByLearningRate(schedule);
    }

    /** {@link ScaleByLearningRate} with a constant rate. */
    public static ScaleByLearningRate scaleByLearningRate(double lr) {
        return new ScaleByLearningRate(Schedule.constant(lr));
    }
}
