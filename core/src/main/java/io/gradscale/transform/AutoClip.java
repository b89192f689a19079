package io.gradscale.transform;

import java.util.Arrays;

/**
 * AutoClip, Seetharaman, Wichern, Pardo and Le Roux, "AutoClip: Adaptive Gradient Clipping for Source
 * Separation Networks", MLSP 2020.
 *
 * <p>Each step: {@code n = ||g||_2} over all gradients is added to the history, the threshold
 * {@code T} is the {@code percentile}-th percentile of the history (linear interpolation between order
 * statistics, as {@code numpy.percentile}), and the gradients are clipped to global norm {@code T} with
 * PyTorch's coefficient {@code min(1, T / (n + 1e-6))}. The current norm is part of the history, as in
 * the reference code.
 *
 * <p>Memory is bounded: the history keeps the most recent {@code capacity} norms (default
 * {@value #DEFAULT_CAPACITY}, 8 bytes each, twice: in arrival order and sorted), so the percentile follows
 * the recent distribution once more than {@code capacity} steps have been seen. The paper keeps every
 * norm; with the default the two agree for the first {@value #DEFAULT_CAPACITY} steps. A step costs
 * {@code O(capacity)} for the sorted insertion.
 *
 * <p>A non-finite norm is not recorded and the gradients are left unchanged ({@code .nonfinite} = 1).
 *
 * <p>Metrics: {@code autoclip.norm}, {@code .threshold}, {@code .factor}, {@code .clipped}, {@code .nonfinite}.
 */
public final class AutoClip implements GradientTransform<AutoClip.State> {
    /** The paper's recommended percentile. */
    public static final double DEFAULT_PERCENTILE = 10.0;
    /** Norms kept in the history. */
    public static final int DEFAULT_CAPACITY = 10_000;

    /**
     * @param recent ring buffer of the last norms in arrival order ({@code capacity} long)
     * @param sorted the same {@code filled} norms in ascending order (then unused slots)
     * @param filled number of norms held
     * @param next   ring position of the next norm
     * @param seen   norms recorded since the start
     */
    public record State(double[] recent, double[] sorted, int filled, int next, long seen) {
    }

    private final double percentile;
    private final int capacity;

    public AutoClip(double percentile, int capacity) {
        if (!(percentile >= 0 && percentile <= 100)) {
            throw new IllegalArgumentException("autoclip: percentile must be in [0, 100], got " + percentile);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("autoclip: capacity must be at least 1, got " + capacity);
        }
        this.percentile = percentile;
        this.capacity = capacity;
    }

    @Override
    public String name() {
        return "autoclip";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(new double[capacity], new double[capacity], 0, 0, 0);
    }

    @Override
    public State update(Updates u, State s, ParameterSet params) {
        if (s.recent().length != capacity || s.sorted().length != capacity) {
            throw new IllegalArgumentException("autoclip: state holds " + s.recent().length + " slots, the transform "
                    + capacity);
        }
        double n = Norms.groupNorm(u, params.groups(NormScope.GLOBAL)[0], 2.0);
        u.metrics().put("autoclip.norm", n);
        if (!Double.isFinite(n)) {
            u.metrics().put("autoclip.nonfinite", 1);
            u.metrics().put("autoclip.factor", 1);
            u.metrics().put("autoclip.clipped", 0);
            return s;
        }
        int filled = s.filled();
        double[] sorted = s.sorted();
        if (filled == capacity) {
            removeSorted(sorted, filled, s.recent()[s.next()]);
            filled--;
        }
        insertSorted(sorted, filled, n);
        filled++;
        s.recent()[s.next()] = n;
        State next = new State(s.recent(), sorted, filled, (s.next() + 1) % capacity, s.seen() + 1);
        double threshold = percentileOf(sorted, filled, percentile);
        double c = n > threshold * (1 + ClipByNorm.BAND) ? ClipByNorm.clipFactor(n, threshold) : 1.0;
        if (c < 1.0) {
            for (int i = 0; i < u.size(); i++) {
                Norms.scale(u.engine(), u.get(i), (float) c);
            }
        }
        u.metrics().put("autoclip.threshold", threshold);
        u.metrics().put("autoclip.factor", c);
        u.metrics().put("autoclip.clipped", c < 1.0 ? 1 : 0);
        u.metrics().put("autoclip.nonfinite", 0);
        return next;
    }

    /** {@code numpy.percentile(values[0, n), q)} with linear interpolation; {@code values} sorted. */
    static double percentileOf(double[] sorted, int n, double q) {
        double rank = q / 100.0 * (n - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(n - 1, lo + 1);
        double frac = rank - lo;
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
    }

    private static void insertSorted(double[] a, int n, double v) {
        int pos = Arrays.binarySearch(a, 0, n, v);
        if (pos < 0) {
            pos = -pos - 1;
        }
        System.arraycopy(a, pos, a, pos + 1, n - pos);
        a[pos] = v;
    }

    private static void removeSorted(double[] a, int n, double v) {
        int pos = Arrays.binarySearch(a, 0, n, v);
        if (pos < 0) {
            throw new IllegalStateException("autoclip: history is inconsistent, " + v + " is not in the sorted copy");
        }
        System.arraycopy(a, pos + 1, a, pos, n - pos - 1);
    }
}
