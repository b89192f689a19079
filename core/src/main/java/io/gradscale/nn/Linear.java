package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * An affine map {@code y = x W^T + b} over the last axis: input {@code [..., in]}, output {@code [..., out]}.
 *
 * <p>Default initialization (PyTorch's {@code nn.Linear}): {@code W ~ U(-1/sqrt(in), 1/sqrt(in))}, which
 * is {@code kaiming_uniform(a = sqrt(5))}, and {@code b ~ U(-1/sqrt(in), 1/sqrt(in))}. Use
 * {@link Init} on {@link #weight()} for Glorot, He or orthogonal instead.
 *
 * <p>Per-example gradients ({@link PerExample}): {@code dW_i = sum over example i's rows of g^T x},
 * {@code db_i = sum of its g}; the norm of {@code dW_i} is {@code ||x_i|| ||g_i||} for a non-sequence input, never
 * materializing {@code dW_i}.
 */
public final class Linear extends Module {
    private final int in;
    private final int out;
    private final Parameter weight; // [out, in]
    private final Parameter bias;   // [out], or null

    /** A linear layer with a bias. */
    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: in and out must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        this.weight = registerParameter("weight", new Parameter(
                Init.kaimingUniform(Tensor.zeros(out, in), Init.LINEAR_DEFAULT_SLOPE, FanMode.FAN_IN, Nonlinearity.LEAKY_RELU, rng)));
        double bound = 1.0 / Math.sqrt(in);
        this.bias = bias ? registerParameter("bias", new Parameter(Init.uniform(Tensor.zeros(out), -bound, bound, rng))) : null;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null for a layer without one. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    @Override
    public Var forward(Var x) {
        Checks.lastDim(this, x, in);
        PerExample pe = x.tape().perExample();
        if (pe == null) {
            return Ops.linear(x, x.tape().param(weight), bias == null ? null : x.tape().param(bias));
        }
        // per-example gradients: dW_i = sum of g_r^T x_r over example i's rows, db_i = sum of its g_r (see PerExample)
        Var y = Ops.linear(x, x.tape().constant(weight.value()), bias == null ? null : x.tape().constant(bias.value()));
        return pe.linear(y, x.value(), weight, bias, null, 0);
    }
}
