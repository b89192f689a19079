package io.gradscale.nn;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;

/**
 * Parametric ReLU (He et al., "Delving deep into rectifiers", ICCV 2015):
 * {@code y = max(0, x) + a * min(0, x)} with a learned slope {@code a}, either one shared slope or one per
 * channel, the channel being axis 1 of the input ({@code [N, C]}, {@code [N, C, L]}), as in PyTorch.
 *
 * <p>Computed as {@code relu(x) - a * relu(-x)}, so {@code dy/dx = 1} for {@code x > 0}, {@code a} for
 * {@code x < 0}, and {@code dy/da = min(0, x)}. Default initialization: every slope {@value #DEFAULT_INIT}.
 *
 * <p>Per-example gradients ({@link PerExample}): {@code da_i = sum over example i's elements of g min(0, x)}, per
 * channel, materialized ({@code [examples, channels]}).
 */
public final class PReLU extends Module {
    /** PyTorch's default initial slope. */
    public static final float DEFAULT_INIT = 0.25f;

    private final Parameter weight; // [channels] (1 for a shared slope)

    /** One slope shared by every element. */
    public PReLU() {
        this(1, DEFAULT_INIT);
    }

    /** {@code channels} slopes (1 for a shared one), all starting at {@code init}. */
    public PReLU(int channels, float init) {
        if (channels <= 0) {
            throw new IllegalArgumentException("PReLU: channels must be positive, got " + channels);
        }
        weight = registerParameter("weight", new Parameter(Tensor.full(init, channels)));
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    public Var forward(Var x) {
        int c = weight.size();
        PerExample pe = x.tape().perExample();
        Var a = pe == null ? x.tape().param(weight) : x.tape().constant(weight.value());
        if (c > 1) {
            int rank = x.shape().rank();
            if (rank < 2 || x.dim(1) != c) {
                throw new ShapeException(where() + ": expected input of shape [N, " + c + ", *] (one slope per channel), got "
                        + x.shape());
            }
            int[] dims = new int[rank - 1];
            java.util.Arrays.fill(dims, 1);
            dims[0] = c;
            a = a.reshape(dims);
        }
        Var y = x.relu().sub(a.mul(x.neg().relu()));
        return pe == null ? y : pe.dense(y, g -> pe.addDense(weight, slopeGradients(pe, x.tape().engine().kernels(), x.value(), g)));
    }

    /**
     * Per-example {@code da_{i,c} = sum over example i's elements of channel c of g min(0, x)}, {@code [examples, C]}
     * (one column for a shared slope).
     */
    private float[] slopeGradients(PerExample pe, Kernels k, Tensor x, Tensor g) {
        int c = weight.size();
        float[] xd = x.data();
        float[] gd = g.data();
        float[] prod = new float[xd.length];
        for (int j = 0; j < xd.length; j++) {
            prod[j] = xd[j] < 0f ? gd[j] * xd[j] : 0f;
        }
        int n = pe.examples();
        if (x.dim(0) != n) {
            throw new IllegalArgumentException(where() + ": axis 0 of the input " + x.shape() + " should hold the " + n
                    + " examples of the batch");
        }
        int inner = xd.length / (n * c); // elements per channel of one example (all of them for a shared slope)
        float[] out = new float[n * c];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                out[i * c + ch] = (float) k.sum(prod, (i * c + ch) * inner, inner);
            }
        }
        return out;
    }
}
