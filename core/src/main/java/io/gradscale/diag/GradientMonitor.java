package io.gradscale.diag;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.LayerStats;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Updates;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-layer gradient statistics of a training step: gradient L2 norm and largest element, parameter
 * norm, norm of the update actually applied, the log10 update-to-parameter ratio (the quantity the
 * Deeplearning4j training UI plots; around -3 is the usual rule of thumb), and the count of
 * non-finite gradient elements.
 *
 * <p>The global gradient norm is measured every step (one pass over the gradients, accumulated in
 * double); the per-layer statistics only every {@code every}-th step, to keep the monitor's cost
 * small. A step is measured in two halves: {@link #beforeUpdate} reads the gradients and the
 * parameters, {@link #afterUpdate} the applied updates.
 */
public final class GradientMonitor {
    private final ParameterSet params;
    private final Engine engine;
    private final int every;
    private final double[] gradSq;
    private final double[] gradMax;
    private final double[] paramSq;
    private final long[] nonFinite;
    private final double[] paramGradSq;
    private final double[] paramGradMax;
    private final double[] paramValueSq;
    private boolean sampling;

    public GradientMonitor(ParameterSet params, Engine engine, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("monitor interval must be at least 1, got " + every);
        }
        this.params = params;
        this.engine = engine;
        this.every = every;
        int layers = params.layers().size();
        this.gradSq = new double[layers];
        this.gradMax = new double[layers];
        this.paramSq = new double[layers];
        this.nonFinite = new long[layers];
        this.paramGradSq = new double[params.size()];
        this.paramGradMax = new double[params.size()];
        this.paramValueSq = new double[params.size()];
    }

    /** True when per-layer statistics are taken at {@code step}. */
    public boolean samples(long step) {
        return step % every == 0;
    }

    /**
     * Reads the gradients (multiplied by {@code gradScale}, e.g. {@code 1/lossScale}) and, when sampling,
     * the parameters; returns the global gradient L2 norm.
     */
    public double beforeUpdate(long step, double gradScale) {
        sampling = samples(step);
        double total = 0;
        for (int g = 0; g < gradSq.length; g++) {
            double sq = 0;
            double mx = 0;
            double psq = 0;
            long bad = 0;
            for (int i : params.layerMembers(g)) {
                Tensor grad = params.parameter(i).grad();
                double s = engine.sumSquares(grad);
                sq += s;
                if (sampling) {
                    double m = engine.maxAbs(grad);
                    double pv = engine.sumSquares(params.parameter(i).value());
                    paramGradSq[i] = s * gradScale * gradScale;
                    paramGradMax[i] = m * Math.abs(gradScale);
                    paramValueSq[i] = pv;
                    mx = Math.max(mx, m);
                    psq += pv;
                    if (!Double.isFinite(s)) {
                        for (float v : grad.data()) {
                            bad += Float.isFinite(v) ? 0 : 1;
                        }
                    }
                }
            }
            gradSq[g] = sq * gradScale * gradScale;
            gradMax[g] = mx * Math.abs(gradScale);
            paramSq[g] = psq;
            nonFinite[g] = bad;
            total += gradSq[g];
        }
        return Math.sqrt(total);
    }

    /** Per-parameter statistics of the step (by parameter path); empty when not sampling. */
    public Map<String, io.gradscale.train.ParamStats> parameterStats() {
        if (!sampling) {
            return Collections.emptyMap();
        }
        Map<String, io.gradscale.train.ParamStats> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put(params.path(i), new io.gradscale.train.ParamStats(Math.sqrt(paramGradSq[i]), paramGradMax[i],
                    Math.sqrt(paramValueSq[i])));
        }
        return out;
    }

    /** Per-layer statistics of the step, given the updates that were (or, when skipped, were not) applied; empty when not sampling. */
    public Map<String, LayerStats> afterUpdate(Updates updates, boolean skipped) {
        if (!sampling) {
            return Collections.emptyMap();
        }
        Map<String, LayerStats> out = new LinkedHashMap<>();
        for (int g = 0; g < gradSq.length; g++) {
            double usq = 0;
            if (!skipped) {
                for (int i : params.layerMembers(g)) {
                    usq += engine.sumSquares(updates.get(i));
                }
            }
            double un = Math.sqrt(usq);
            double pn = Math.sqrt(paramSq[g]);
            double ratio = un > 0 && pn > 0 ? Math.log10(un / pn) : Double.NaN;
            out.put(params.layers().get(g), new LayerStats(Math.sqrt(gradSq[g]), gradMax[g], pn, un, ratio, nonFinite[g]));
        }
        return out;
    }
}
