package io.gradscale.optim;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.NadamCoefficients;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * NAdam's rescaling, Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop, with the
 * momentum schedule of PyTorch's {@code NAdam}.
 *
 * <p>With {@code t} starting at 1 and {@code psi} the momentum decay (4e-3):
 * <pre>
 *   mu_t   = b1 (1 - 0.5 * 0.96^(t psi)),   mu_{t+1} likewise
 *   P_t    = P_{t-1} mu_t                    (P_0 = 1)
 *   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
 *   d  = sqrt(v) / sqrt(1 - b2^t) + eps
 *   u <- (1 - mu_t) / (1 - P_t) * g / d  +  mu_{t+1} / (1 - P_t mu_{t+1}) * m / d
 * </pre>
 * This is PyTorch 1.13's {@code foreach=True} path and PyTorch 2's formula. PyTorch 1.13's default
 * single-tensor path multiplies {@code mu_t} into the second denominator twice
 * ({@code mu_product * mu * mu_next}), a bug fixed in later releases, which this does not copy.
 * {@code P} is kept in float32 as PyTorch keeps it. NaN propagates. The arithmetic is {@link Kernels#nadam}, which
 * can also add the update to the weights in the same pass.
 */
public final class ScaleByNadam implements TensorwiseTransform<ScaleByNadam.State> {
    /** PyTorch's {@code momentum_decay}. */
    public static final double DEFAULT_MOMENTUM_DECAY = 4e-3;

    /**
     * @param count     updates so far
     * @param muProduct product of the momentum coefficients so far, rounded to float32 each step
     * @param mu        first moments
     * @param nu        second moments
     */
    public record State(long count, double muProduct, List<Tensor> mu, List<Tensor> nu) {
    }

    private final double b1;
    private final double b2;
    private final double eps;
    private final double momentumDecay;

    public ScaleByNadam(double b1, double b2, double eps, double momentumDecay) {
        this.b1 = StateTensors.unitInterval("beta parameter at index 0", b1);
        this.b2 = StateTensors.unitInterval("beta parameter at index 1", b2);
        this.eps = StateTensors.nonNegative("epsilon", eps);
        this.momentumDecay = StateTensors.nonNegative("momentum_decay", momentumDecay);
    }

    @Override
    public String name() {
        return "nadam";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0, 1.0, StateTensors.filled(params, 0f), StateTensors.filled(params, 0f));
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "mu", s.mu(), params);
        StateTensors.check(name(), "nu", s.nu(), params);
        long t = s.count() + 1;
        double muT = b1 * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
        double muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * momentumDecay));
        double product = (float) (s.muProduct() * (float) muT);
        float cg = (float) ((1 - muT) / (1 - product));
        float cm = (float) (muNext / (1 - product * muNext));
        float fb1 = (float) b1;
        float fb2 = (float) b2;
        float c1 = (float) (1 - b1);
        float c2 = (float) (1 - b2);
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(b2, t));
        float e = (float) eps;
        NadamCoefficients k = new NadamCoefficients(fb1, c1, fb2, c2, bc2Sqrt, e, cg, cm);
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(new State(t, product, s.mu(), s.nu()), u, (i, g, out, w, off, n, f) ->
                kern.nadam(g, s.mu().get(i).data(), s.nu().get(i).data(), out, w, off, n, k, f));
    }
}
