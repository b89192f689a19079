package io.gradscale.optim;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * AdaGrad's rescaling, Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization", JMLR 2011, as in PyTorch:
 * <pre>
 *   s <- s + g^2          (s starts at the initial accumulator value)
 *   u <- g / (sqrt(s) + eps)
 * </pre>
 * AdaGrad's learning-rate decay is the schedule {@code lr / (1 + t lr_decay)}. NaN propagates. The arithmetic is
 * {@link Kernels#adagrad}, which can also add the update to the weights in the same pass.
 */
public final class ScaleByAdagrad implements TensorwiseTransform<ScaleByAdagrad.State> {
    /** PyTorch's {@code eps}. */
    public static final double DEFAULT_EPS = 1e-10;
    /** PyTorch's {@code initial_accumulator_value}. */
    public static final double DEFAULT_INITIAL_ACCUMULATOR = 0.0;

    /** @param sum accumulated squared gradients */
    public record State(List<Tensor> sum) {
    }

    private final double initialAccumulator;
    private final double eps;

    public ScaleByAdagrad(double initialAccumulator, double eps) {
        this.initialAccumulator = StateTensors.nonNegative("initial_accumulator_value", initialAccumulator);
        this.eps = StateTensors.nonNegative("epsilon", eps);
    }

    @Override
    public String name() {
        return "adagrad";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(StateTensors.filled(params, (float) initialAccumulator));
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "sum", s.sum(), params);
        float e = (float) eps;
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(s, u, (i, g, out, w, off, n, f) ->
                kern.adagrad(g, s.sum().get(i).data(), out, w, off, n, e, f));
    }
}
