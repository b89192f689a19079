package io.gradscale.optim;

import io.gradscale.tensor.AdamCoefficients;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * Adam's rescaling, Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, with the
 * AMSGrad variant of Reddi, Kale and Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
 *
 * <p>With {@code t} the update count starting at 1, as in PyTorch 1.13:
 * <pre>
 *   m <- b1 m + (1 - b1) g
 *   v <- b2 v + (1 - b2) g^2
 *   vmax <- max(vmax, v)                                    (AMSGrad only; used instead of v below)
 *   u <- (m / (sqrt(v) / sqrt(1 - b2^t) + eps)) / (1 - b1^t)
 * </pre>
 * Epsilon is added outside the square root and after the second-moment bias correction, exactly
 * where PyTorch adds it. Follow with {@code scaleByLearningRate} for {@code -lr}. NaN propagates. The
 * arithmetic is {@link Kernels#adam}; staged, its per-tensor part can also add the update to the weights in the
 * same pass ({@link StagedUpdate.Applying}).
 */
public final class ScaleByAdam implements TensorwiseTransform<ScaleByAdam.State> {
    /** PyTorch's {@code betas[0]}. */
    public static final double DEFAULT_B1 = 0.9;
    /** PyTorch's {@code betas[1]}. */
    public static final double DEFAULT_B2 = 0.999;
    /** PyTorch's {@code eps}. */
    public static final double DEFAULT_EPS = 1e-8;

    /**
     * @param count updates so far
     * @param mu    first moments, one per parameter
     * @param nu    second moments
     * @param nuMax running maxima of the second moments (AMSGrad), empty otherwise
     */
    public record State(long count, List<Tensor> mu, List<Tensor> nu, List<Tensor> nuMax) {
    }

    private final double b1;
    private final double b2;
    private final double eps;
    private final boolean amsgrad;

    public ScaleByAdam(double b1, double b2, double eps, boolean amsgrad) {
        this.b1 = StateTensors.unitInterval("beta parameter at index 0", b1);
        this.b2 = StateTensors.unitInterval("beta parameter at index 1", b2);
        this.eps = StateTensors.nonNegative("epsilon", eps);
        this.amsgrad = amsgrad;
    }

    @Override
    public String name() {
        return amsgrad ? "amsgrad" : "adam";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0, StateTensors.filled(params, 0f), StateTensors.filled(params, 0f),
                amsgrad ? StateTensors.filled(params, 0f) : List.of());
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "mu", s.mu(), params);
        StateTensors.check(name(), "nu", s.nu(), params);
        if (amsgrad) {
            StateTensors.check(name(), "nuMax", s.nuMax(), params);
        }
        long t = s.count() + 1;
        AdamCoefficients k = new AdamCoefficients((float) b1, (float) (1 - b1), (float) b2, (float) (1 - b2),
                (float) Math.sqrt(1 - Math.pow(b2, t)), (float) eps, (float) (1 / (1 - Math.pow(b1, t))));
        State next = new State(t, s.mu(), s.nu(), s.nuMax());
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(next, u, (i, g, out, w, off, n, f) -> kern.adam(g, s.mu().get(i).data(),
                s.nu().get(i).data(), amsgrad ? s.nuMax().get(i).data() : null, out, w, off, n, k, f));
    }
}
