package io.gradscale.optim;

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
 * followed by the learning rate (PyTorch's default 1.0). NaN propagates.
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
        return StagedUpdate.of(s, i -> {
            float[] from = u.rewriteSource(i);
            float[] g = u.get(i).data();
            float[] sq = s.squareAvg().get(i).data();
            float[] acc = s.accDelta().get(i).data();
            u.engine().parallel().forRange(g.length, StateTensors.CHUNK, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    float gj = from[j];
                    float sj = sq[j] * r + c * gj * gj;
                    sq[j] = sj;
                    float std = (float) Math.sqrt(sj + e);
                    float d = (float) Math.sqrt(acc[j] + e) / std * gj;
                    acc[j] = acc[j] * r + c * d * d;
                    g[j] = d;
                }
            });
        });
    }
}
