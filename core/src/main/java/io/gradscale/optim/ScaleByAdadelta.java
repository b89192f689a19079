package io.gradscale.optim;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * Adadelta's rescaling, Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012, as in PyTorch:
 * <pre>
 *   s <- r s + (1 - r) g^2
 *   d  = sqrt(a + eps) / sqrt(s + eps) * g
 *   a <- r a + (1 - r) d^2
 *   u <- d
 * </pre>
 * followed by the learning rate (PyTorch's default 1.0). NaN propagates. The arithmetic is {@link Kernels#adadelta},
 * which can also add the update to the weights in the same pass.
 */
public final class ScaleByAdadelta implements TensorwiseTransform<ScaleByAdadelta.State> {
    /** PyTorch's {@code rho}. */
    public static final double DEFAULT_RHO = 0.9;
    /** PyTorch's {@code eps}. */
    public static final double DEFAULT_EPS = 1e-6;

    /**
     * @param squareAvg moving averages of g^2
     * @param accDelta  moving averages of the squared updates
     */
    public record State(List<Tensor> squareAvg, List<Tensor> accDelta) {
    }

    private final double rho;
    private final double eps;

    public ScaleByAdadelta(double rho, double eps) {
        if (!(rho >= 0 && rho <= 1)) {
            throw new IllegalArgumentException("Invalid rho value: " + rho + " (expected 0 <= rho <= 1)");
        }
        this.rho = rho;
        this.eps = StateTensors.nonNegative("epsilon", eps);
    }

    @Override
    public String name() {
        return "adadelta";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(StateTensors.filled(params, 0f), StateTensors.filled(params, 0f));
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "squareAvg", s.squareAvg(), params);
        StateTensors.check(name(), "accDelta", s.accDelta(), params);
        float r = (float) rho;
        float c = (float) (1 - rho);
        float e = (float) eps;
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(s, u, (i, g, out, w, off, n, f) -> kern.adadelta(g, s.squareAvg().get(i).data(),
                s.accDelta().get(i).data(), out, w, off, n, r, c, e, f));
    }
}
