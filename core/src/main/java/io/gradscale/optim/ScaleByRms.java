package io.gradscale.optim;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * RMSprop's rescaling (Hinton, Coursera lecture 6e, 2012), centered as in Graves, "Generating Sequences
 * With Recurrent Neural Networks", 2013, with PyTorch's placement of epsilon:
 * <pre>
 *   s <- a s + (1 - a) g^2
 *   c <- a c + (1 - a) g                     (centered only)
 *   u <- g / (sqrt(s - c^2) + eps)           (centered)   or   g / (sqrt(s) + eps)
 * </pre>
 * RMSprop's momentum is a {@link TraceMomentum} after this. NaN propagates. The arithmetic is
 * {@link Kernels#rmsprop}, which can also add the update to the weights in the same pass.
 */
public final class ScaleByRms implements TensorwiseTransform<ScaleByRms.State> {
    /** PyTorch's {@code alpha}. */
    public static final double DEFAULT_ALPHA = 0.99;
    /** PyTorch's {@code eps}. */
    public static final double DEFAULT_EPS = 1e-8;

    /**
     * @param squareAvg moving averages of g^2
     * @param gradAvg   moving averages of g (centered only; empty otherwise)
     */
    public record State(List<Tensor> squareAvg, List<Tensor> gradAvg) {
    }

    private final double alpha;
    private final double eps;
    private final boolean centered;

    public ScaleByRms(double alpha, double eps, boolean centered) {
        this.alpha = StateTensors.unitInterval("alpha", alpha);
        this.eps = StateTensors.nonNegative("epsilon", eps);
        this.centered = centered;
    }

    @Override
    public String name() {
        return "rms";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(StateTensors.filled(params, 0f), centered ? StateTensors.filled(params, 0f) : List.of());
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "squareAvg", s.squareAvg(), params);
        if (centered) {
            StateTensors.check(name(), "gradAvg", s.gradAvg(), params);
        }
        float a = (float) alpha;
        float c = (float) (1 - alpha);
        float e = (float) eps;
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(s, u, (i, g, out, w, off, n, f) -> kern.rmsprop(g, s.squareAvg().get(i).data(),
                centered ? s.gradAvg().get(i).data() : null, out, w, off, n, a, c, e, f));
    }
}
