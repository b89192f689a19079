package io.gradscale.optim;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.TensorwiseTransform;
import io.gradscale.transform.Updates;

import java.util.List;

/**
 * Heavy-ball momentum with PyTorch SGD's semantics (Polyak 1964; Nesterov's variant as in Sutskever,
 * Martens, Dahl and Hinton, ICML 2013):
 * <pre>
 *   b <- u                                  (first update)
 *   b <- mu b + (1 - dampening) u           (after)
 *   u <- u + mu b    (Nesterov)   or   u <- b
 * </pre>
 * Also RMSprop's momentum (dampening 0), where the first-update copy equals PyTorch's zero-initialized
 * buffer. NaN propagates. The per-tensor work is {@link Kernels#momentum}, which can also add the update to
 * the weights in the same pass ({@link StagedUpdate.Applying}).
 */
public final class TraceMomentum implements TensorwiseTransform<TraceMomentum.State> {
    /**
     * @param count  updates so far (0: the buffers are not yet initialized)
     * @param buffer momentum buffers, one per parameter
     */
    public record State(long count, List<Tensor> buffer) {
    }

    private final double momentum;
    private final double dampening;
    private final boolean nesterov;

    public TraceMomentum(double momentum, double dampening, boolean nesterov) {
        this.momentum = StateTensors.nonNegative("momentum", momentum);
        this.dampening = StateTensors.nonNegative("dampening", dampening);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening, got momentum "
                    + momentum + " and dampening " + dampening);
        }
        this.nesterov = nesterov;
    }

    @Override
    public String name() {
        return "momentum";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0, StateTensors.filled(params, 0f));
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State s, ParameterSet params) {
        StateTensors.check(name(), "buffer", s.buffer(), params);
        float mu = (float) momentum;
        float keep = (float) (1 - dampening);
        boolean first = s.count() == 0;
        State next = new State(s.count() + 1, s.buffer());
        Kernels kern = u.engine().kernels();
        return new ApplyingKernel<>(next, u, (i, g, out, w, off, n, f) ->
                kern.momentum(g, s.buffer().get(i).data(), out, w, off, n, mu, keep, first, nesterov, f));
    }
}
