package io.gradscale.nn;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;

/**
 * Batch normalization over a batch of feature vectors (Ioffe and Szegedy, "Batch normalization:
 * accelerating deep network training by reducing internal covariate shift", ICML 2015), PyTorch's
 * {@code nn.BatchNorm1d}: input {@code [N, C]} or {@code [N, C, L]}, statistics per channel {@code c}.
 *
 * <p>{@code y = (x - mu) / sqrt(var + eps) * gamma + beta}. In training, {@code mu} and {@code var} are
 * the batch mean and biased variance over every axis but the channel one, and gradients flow through
 * them; the running statistics move as {@code r = (1 - momentum) r + momentum s}, the running variance
 * taking the unbiased batch variance ({@code var * n / (n - 1)}). In evaluation the running statistics
 * are used as constants. Without {@code trackRunningStats} batch statistics are used in both modes.
 *
 * <p>Default initialization (PyTorch's): {@code gamma = 1}, {@code beta = 0}, running mean 0, running variance 1.
 * Parameters {@code weight}, {@code bias}; buffers {@code running_mean}, {@code running_var},
 * {@code num_batches_tracked}, as in PyTorch.
 */
public final class BatchNorm1d extends Module {
    /** PyTorch's default {@code eps}. */
    public static final float DEFAULT_EPS = 1e-5f;
    /** PyTorch's default {@code momentum}. */
    public static final float DEFAULT_MOMENTUM = 0.1f;

    private final int channels;
    private final float eps;
    private final float momentum;
    private final Parameter weight; // [C] or null
    private final Parameter bias;   // [C] or null
    private final Tensor runningMean; // [C] or null
    private final Tensor runningVar;  // [C] or null
    private final Tensor batchesTracked; // [] or null
    /** While deferring, the batch statistics of training passes not yet applied (see {@link #deferStatistics}). */
    private java.util.List<float[]> pending;

    public BatchNorm1d(int channels) {
        this(channels, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    public BatchNorm1d(int channels, float eps, float momentum, boolean affine, boolean trackRunningStats) {
        if (channels <= 0) {
            throw new IllegalArgumentException("BatchNorm1d: channels must be positive, got " + channels);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("BatchNorm1d: eps must be > 0, got " + eps);
        }
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("BatchNorm1d: momentum must be in [0, 1], got " + momentum);
        }
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? registerParameter("weight", new Parameter(Tensor.ones(channels))) : null;
        this.bias = affine ? registerParameter("bias", new Parameter(Tensor.zeros(channels))) : null;
        this.runningMean = trackRunningStats ? registerBuffer("running_mean", Tensor.zeros(channels)) : null;
        this.runningVar = trackRunningStats ? registerBuffer("running_var", Tensor.ones(channels)) : null;
        this.batchesTracked = trackRunningStats ? registerBuffer("num_batches_tracked", Tensor.scalar(0f)) : null;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    public Var forward(Var x) {
        int rank = x.shape().rank();
        if ((rank != 2 && rank != 3) || x.dim(1) != channels) {
            throw new ShapeException(where() + ": expected input of shape [N, " + channels + "] or [N, " + channels
                    + ", L], got " + x.shape());
        }
        if (x.tape().perExample() != null) {
            throw new IllegalStateException(where() + ": batch normalization mixes the examples of a batch (each example's"
                    + " output depends on the batch's mean and variance), so no example has a gradient of its own and"
                    + " per-example clipping (DP-SGD) cannot bound one example's influence; use LayerNorm instead,"
                    + " as Opacus also requires");
        }
        int count = x.shape().size() / channels;
        // Statistics have shape [1, C] or [1, C, 1] so that they broadcast against x.
        int[] statDims = rank == 2 ? new int[] {1, channels} : new int[] {1, channels, 1};
        int[] paramDims = rank == 2 ? new int[] {channels} : new int[] {channels, 1};
        Var y;
        if (isTraining() || runningMean == null) {
            if (count < 2 && isTraining()) {
                throw new IllegalArgumentException(where() + ": expected more than 1 value per channel when training, got input "
                        + x.shape());
            }
            Var mean = over(x, rank).mul(1f / count);
            Var xc = x.sub(mean);
            Var var = over(xc.square(), rank).mul(1f / count);
            y = xc.div(var.add(eps).sqrt());
            if (isTraining() && runningMean != null) {
                if (pending != null) {
                    pending.add(pack(count, mean.value().data(), var.value().data()));
                } else {
                    updateRunning(mean.value().data(), var.value().data(), count);
                }
            }
        } else {
            Var mean = x.tape().constant(runningMean.reshape(statDims));
            Var std = x.tape().constant(runningVar.reshape(statDims)).add(eps).sqrt();
            y = x.sub(mean).div(std);
        }
        if (weight != null) {
            y = y.mul(x.tape().param(weight).reshape(paramDims)).add(x.tape().param(bias).reshape(paramDims));
        }
        return y;
    }

    private static Var over(Var v, int rank) {
        return rank == 2 ? v.sum(0, true) : v.sum(2, true).sum(0, true);
    }

    /**
     * With {@code on}, training passes keep their batch statistics ({@link #takeStatistics}) instead of moving the
     * running ones: a cluster's worker computes them on its copy, and the driver applies them
     * ({@link #applyStatistics}) in the order of the micro-batches, which is what one machine's successive passes do,
     * with the same arithmetic. Off again, nothing is pending.
     */
    public void deferStatistics(boolean on) {
        pending = on ? new java.util.ArrayList<>() : null;
    }

    /** The statistics kept since the last call, in pass order, each {@code [count (int bits), mean[C], var[C]]}; cleared. */
    public java.util.List<float[]> takeStatistics() {
        if (pending == null) {
            return java.util.List.of();
        }
        java.util.List<float[]> out = java.util.List.copyOf(pending);
        pending.clear();
        return out;
    }

    /** Moves the running statistics by one training pass's batch statistics, as that pass would have. */
    public void applyStatistics(float[] s) {
        if (runningMean == null) {
            throw new IllegalStateException(where() + ": no running statistics to update");
        }
        if (s.length != 1 + 2 * channels) {
            throw new IllegalArgumentException(where() + ": batch statistics of " + s.length + " values for " + channels + " channels");
        }
        updateRunning(java.util.Arrays.copyOfRange(s, 1, 1 + channels), java.util.Arrays.copyOfRange(s, 1 + channels, s.length),
                Float.floatToRawIntBits(s[0]));
    }

    private float[] pack(int count, float[] mean, float[] var) {
        float[] s = new float[1 + 2 * channels];
        s[0] = Float.intBitsToFloat(count); // the count's exact bits, whatever its size
        System.arraycopy(mean, 0, s, 1, channels);
        System.arraycopy(var, 0, s, 1 + channels, channels);
        return s;
    }

    private void updateRunning(float[] m, float[] v, int count) {
        float[] rm = runningMean.data();
        float[] rv = runningVar.data();
        double unbias = (double) count / (count - 1);
        for (int c = 0; c < channels; c++) {
            rm[c] = (float) ((1.0 - momentum) * rm[c] + momentum * m[c]);
            rv[c] = (float) ((1.0 - momentum) * rv[c] + momentum * v[c] * unbias);
        }
        batchesTracked.data()[0] += 1f;
    }
}
