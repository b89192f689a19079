package io.gradscale.transform;

/**
 * ZClip, Kumar, Owen, Roy Chowdhury and Güra, "ZClip: Adaptive Spike Mitigation for LLM Pre-Training",
 * 2025: z-score clipping of the global gradient norm against exponential moving statistics.
 *
 * <p>With {@code n = ||g||_2} over all gradients:
 * <ul>
 *   <li>Warm-up (the first {@code warmupSteps} finite norms): norms are collected, nothing is clipped;
 *       then {@code mean} and {@code var} are set to their plain mean and (population) variance.</li>
 *   <li>After: {@code z = (n - mean) / (sqrt(var) + 1e-6)}. When {@code z > threshold} the gradients are
 *       clipped (coefficient {@code T / (n + 1e-6)}) to
 *       {@code T = mean + threshold * std / (z / threshold)} (the reference implementation's
 *       "adaptive scaling": stronger outliers are pulled back harder). The statistics are then updated
 *       with the clipped norm {@code n' = min(n, T)}: {@code mean <- a mean + (1-a) n'};
 *       {@code var <- a var + (1-a) (n' - mean)^2} with the updated mean.</li>
 * </ul>
 * Defaults from the paper: {@code alpha = 0.97}, {@code threshold = 2.5}, 25 warm-up steps. The
 * reference code can also apply a fixed max norm during warm-up; chain {@link ClipByNorm} for that.
 *
 * <p>A non-finite norm leaves the gradients and the statistics unchanged ({@code .nonfinite} = 1).
 *
 * <p>Metrics: {@code zclip.norm}, {@code .z} (NaN in warm-up), {@code .threshold} (the clip target, NaN
 * when not clipping), {@code .factor}, {@code .clipped}, {@code .nonfinite}.
 */
public final class ZClip implements GradientTransform<ZClip.State> {
    public static final double DEFAULT_ALPHA = 0.97;
    public static final double DEFAULT_THRESHOLD = 2.5;
    public static final int DEFAULT_WARMUP_STEPS = 25;
    /** Added to the standard deviation in the z-score, as in the reference implementation. */
    static final double EPS = 1e-6;

    /**
     * @param seen   finite norms seen so far
     * @param warmup the norms of the warm-up steps (length {@code warmupSteps})
     * @param mean   moving mean (0 during warm-up)
     * @param var    moving variance (0 during warm-up)
     */
    public record State(long seen, double[] warmup, double mean, double var) {
    }

    private final double alpha;
    private final double threshold;
    private final int warmupSteps;

    public ZClip(double alpha, double threshold, int warmupSteps) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("zclip: alpha must be in (0, 1), got " + alpha);
        }
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("zclip: threshold must be positive and finite, got " + threshold);
        }
        if (warmupSteps < 1) {
            throw new IllegalArgumentException("zclip: warmupSteps must be at least 1, got " + warmupSteps);
        }
        this.alpha = alpha;
        this.threshold = threshold;
        this.warmupSteps = warmupSteps;
    }

    @Override
    public String name() {
        return "zclip";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0, new double[warmupSteps], 0, 0);
    }

    @Override
    public State update(Updates u, State s, ParameterSet params) {
        double n = Norms.groupNorm(u, params.groups(NormScope.GLOBAL)[0], 2.0);
        var m = u.metrics();
        m.put("zclip.norm", n);
        if (!Double.isFinite(n)) {
            report(m, Double.NaN, Double.NaN, 1.0, 1);
            return s;
        }
        if (s.seen() < warmupSteps) {
            s.warmup()[(int) s.seen()] = n;
            long seen = s.seen() + 1;
            double mean = 0;
            double var = 0;
            if (seen == warmupSteps) {
                for (double x : s.warmup()) {
                    mean += x;
                }
                mean /= warmupSteps;
                for (double x : s.warmup()) {
                    var += (x - mean) * (x - mean);
                }
                var /= warmupSteps;
            }
            report(m, Double.NaN, Double.NaN, 1.0, 0);
            return new State(seen, s.warmup(), mean, var);
        }
        double std = Math.sqrt(s.var());
        double z = (n - s.mean()) / (std + EPS);
        double effective = n;
        double target = Double.NaN;
        double factor = 1.0;
        if (z > threshold) {
            target = s.mean() + threshold * std / (z / threshold);
            factor = ClipByNorm.clipFactor(n, target);
            if (factor < 1.0) {
                for (int i = 0; i < u.size(); i++) {
                    Norms.scale(u.engine(), u.get(i), (float) factor);
                }
            }
            effective = target;
        }
        double mean = alpha * s.mean() + (1 - alpha) * effective;
        double var = alpha * s.var() + (1 - alpha) * (effective - mean) * (effective - mean);
        report(m, z, target, factor, 0);
        return new State(s.seen() + 1, s.warmup(), mean, var);
    }

    private static void report(Metrics m, double z, double target, double factor, int nonFinite) {
        m.put("zclip.z", z);
        m.put("zclip.threshold", target);
        m.put("zclip.factor", factor);
        m.put("zclip.clipped", factor < 1.0 ? 1 : 0);
        m.put("zclip.nonfinite", nonFinite);
    }
}
