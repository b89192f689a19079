package io.gradscale.nn;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;

/**
 * Parametric ReLU (He et al., "Delving deep into rectifiers", ICCV 2015):
 * {@code y = max(0, x) + a * min(0, x)} with a learned slope {@code a}, either one shared slope or one per
 * channel, the channel being axis 1 of the input ({@code [N, C]}, {@code [N, C, L]}), as in PyTorch.
 *
 * <p>Computed as {@code relu(x) - a * relu(-x)}, so {@code dy/dx = 1} for {@code x > 0}, {@code a} for
 * {@code x < 0}, and {@code dy/da = min(0, x)}. Default initialization: every slope {@value #DEFAULT_INIT}.
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
        Var a = x.tape().param(weight);
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
        return x.relu().sub(a.mul(x.neg().relu()));
    }
}
