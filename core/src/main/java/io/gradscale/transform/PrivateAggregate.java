package io.gradscale.transform;

import io.gradscale.autograd.PerExample;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Gaussian;
import io.gradscale.tensor.Kernels;

/**
 * The private aggregation of DP-SGD (Abadi et al., "Deep learning with differential privacy", CCS 2016; Optax's
 * {@code differentially_private_aggregate}): clip each example's gradient to norm {@code C}, sum, add Gaussian
 * noise of standard deviation {@code sigma C} to every coordinate, and average:
 * <pre>
 *   u = (sum_i min(1, C / (||g_i|| + 1e-6)) g_i  +  N(0, sigma^2 C^2 I)) / B
 * </pre>
 * with {@code B} the expected batch size (the sampling rate times the data set size under Poisson sampling, as
 * Opacus divides; the batch's own size when none is given). Any optimizer follows it in the chain.
 *
 * <p>The work is split between the backward pass and this transform, because per-example norms exist only
 * there. This transform is the backward pass's {@link PerExample.Clipping} policy: the trainer, seeing it in the
 * chain ({@code GradientStep.perExampleClipping()}), records a per-example tape with it, whose backward pass
 * computes every {@code ||g_i||}, asks this transform for the factors and leaves {@code sum_i c_i g_i} in the
 * gradients (one product per weight, no per-example gradient formed where a layer can avoid it). {@link #update}
 * then checks that the step's gradients were clipped by this policy ({@link Updates#perExample()}; a step without
 * them is an error, never a silently non-private step), adds the noise and averages.
 *
 * <p>The noise comes from an explicit generator whose state is this transform's state (saved in checkpoints): the
 * whole run's noise is one SplitMix64 sequence from the seed, consumed step by step and, within a step, tensor by
 * tensor in parameter order ({@link Gaussian#skip}). Its numbers are {@link Gaussian}'s counter-based Box-Muller
 * draws, so each tensor's noise is cut into chunks spread over the engine's threads, with the same bits on any
 * number of threads and with or without the Vector API; {@code (g + sigma C z) / B} is computed in double and rounded
 * to float once. It is a {@link TensorwiseTransform}: its per-tensor pass runs tensor by tensor with the optimizer's
 * and the weights' update, while the tensor is in cache.
 *
 * <p><b>Not for protecting real data as it stands.</b> The generator is reproducible and of good statistical quality,
 * but it is not a cryptographically secure generator, and floating-point Gaussian noise is open to the attacks of
 * Mironov (CCS 2012); see {@link Gaussian} for what it guarantees and what it does not. Opacus makes the same caveat
 * for its default generator and offers a {@code secure_mode}; gradscale has no such mode.
 *
 * <p>A non-finite norm gives its example weight 0: it is left out, which keeps the sensitivity at {@code C}.
 * Metrics: {@code dp.examples}, {@code dp.clipped} (fraction of examples scaled down), {@code dp.norm_mean},
 * {@code dp.norm_max} (before clipping), {@code dp.noise_std} (the noise's standard deviation in the average,
 * {@code sigma C / B}).
 */
public final class PrivateAggregate implements TensorwiseTransform<PrivateAggregate.State>, PerExample.Clipping {
    /** @param rng the noise generator's state: SplitMix64's, the position of the next step's noise in the run's sequence */
    public record State(long rng) {
    }

    /** The clipping bound of the examples of Opacus and of Abadi et al.'s MNIST runs. */
    public static final double DEFAULT_MAX_GRAD_NORM = 1.0;
    /**
     * Elements of a tensor's noise per parallel chunk: whole {@link Gaussian#BLOCK}s, large enough that a chunk's
     * work (tens of microseconds) outweighs handing it to another thread.
     */
    static final int NOISE_CHUNK = 1 << 15;

    private final double maxGradNorm;
    private final double noiseMultiplier;
    private final double expectedBatchSize;
    private final long seed;

    /**
     * @param maxGradNorm       C, the bound on each example's gradient norm
     * @param noiseMultiplier   sigma; the noise's standard deviation is {@code sigma C}
     * @param expectedBatchSize the divisor of the average; 0 divides by each batch's own size
     * @param seed              the noise generator's seed (draw it from the run's generator)
     */
    public PrivateAggregate(double maxGradNorm, double noiseMultiplier, double expectedBatchSize, long seed) {
        if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("dp: max_grad_norm must be positive and finite, got " + maxGradNorm);
        }
        if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("dp: the noise multiplier must be >= 0 and finite, got " + noiseMultiplier);
        }
        if (!(expectedBatchSize >= 0) || Double.isInfinite(expectedBatchSize)) {
            throw new IllegalArgumentException("dp: the expected batch size must be >= 0 (0 = each batch's own size), got "
                    + expectedBatchSize);
        }
        this.maxGradNorm = maxGradNorm;
        this.noiseMultiplier = noiseMultiplier;
        this.expectedBatchSize = expectedBatchSize;
        this.seed = seed;
    }

    public double maxGradNorm() {
        return maxGradNorm;
    }

    public double noiseMultiplier() {
        return noiseMultiplier;
    }

    @Override
    public String name() {
        return "dp";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(seed);
    }

    /** The clip factors {@code min(1, C / (||g_i|| + 1e-6))} (0 for a non-finite norm). */
    @Override
    public float[] weights(double[] norms) {
        return PerExample.clipFactors(norms, maxGradNorm);
    }

    /**
     * Per step: checks the step's per-example gradients, reports the metrics and places each tensor's noise in the
     * generator's sequence (in parameter order, so the noise does not depend on which thread handles which tensor);
     * per tensor: {@code u = (g + sigma C z) / B} in one pass that reads the clipped sum and writes the update, in
     * chunks of {@link #NOISE_CHUNK} elements over the engine's threads.
     */
    @Override
    public StagedUpdate<State> stage(Updates u, State state, ParameterSet params) {
        PerExample pe = u.perExample();
        if (pe == null || !pe.finished()) {
            throw new IllegalStateException("dp: this step's gradients were not clipped per example; per-example clipping needs"
                    + " a per-example backward pass (the Trainer records one when the chain contains dp; by hand, record"
                    + " Tape.recording(engine, new PerExample(batch, batch, step.perExampleClipping())) and call step(keep, perExample))");
        }
        if (pe.clipping() != this) {
            throw new IllegalStateException("dp: this step's per-example gradients were weighted by another policy than this transform");
        }
        long[] starts = new long[u.size()];
        long next = state.rng();
        for (int i = 0; i < starts.length; i++) {
            starts[i] = next;
            next = Gaussian.skip(next, u.get(i).size());
        }
        double std = noiseMultiplier * maxGradNorm;
        double divisor = expectedBatchSize > 0 ? expectedBatchSize : Math.max(1, pe.examples());
        double inv = 1.0 / divisor;
        report(u, pe, std / divisor);
        Engine engine = u.engine();
        Kernels k = engine.kernels();
        return StagedUpdate.of(new State(next), i -> {
            float[] src = u.rewriteSource(i);
            float[] dst = u.get(i).data();
            engine.parallel().forRange(dst.length, NOISE_CHUNK, (lo, hi) -> k.gaussianNoise(starts[i], std, inv, src, dst, lo, hi));
        });
    }

    private static void report(Updates u, PerExample pe, double noiseStd) {
        double[] n = pe.norms();
        float[] c = pe.weights();
        double sum = 0;
        double max = 0;
        int clipped = 0;
        for (int i = 0; i < n.length; i++) {
            sum += n[i];
            max = Double.isNaN(n[i]) || Double.isNaN(max) ? Double.NaN : Math.max(max, n[i]);
            clipped += c[i] < 1f ? 1 : 0;
        }
        u.metrics().put("dp.examples", n.length);
        u.metrics().put("dp.clipped", n.length == 0 ? 0 : (double) clipped / n.length);
        u.metrics().put("dp.norm_mean", n.length == 0 ? Double.NaN : sum / n.length);
        u.metrics().put("dp.norm_max", max);
        u.metrics().put("dp.noise_std", noiseStd);
    }
}
