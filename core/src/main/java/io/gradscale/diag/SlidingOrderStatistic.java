package io.gradscale.diag;

import java.util.Arrays;

/**
 * Order statistics (any quantile, the median) of the last {@code capacity} values of a stream, kept
 * incrementally: each {@link #push} costs one binary search and one shift of at most {@code capacity}
 * contiguous doubles, instead of copying and sorting the window for every query (O(w log w) and an allocation).
 *
 * <p>The structure is a ring buffer of the window's values (in arrival order, so that the oldest is known when it
 * leaves) next to a sorted array of its <em>finite</em> values; NaN and infinities take a place in the window
 * but not in the order, the policy of {@link Stats#quantile} and {@link Stats#median}, which the answers equal
 * bit for bit: values are ordered by {@link Double#compare} (the order {@link Arrays#sort(double[])} gives, with
 * {@code -0.0} before {@code 0.0}), and a leaving value is removed by that same comparison, so ties are exact.
 * A sorted array rather than two heaps: the window of the exploding detector is 20 values, for which shifting
 * a few cache lines beats heap bookkeeping, and one structure answers every quantile, not only the median.
 */
final class SlidingOrderStatistic {
    private final double[] ring; // [capacity] the window in arrival order
    private final double[] sorted; // [capacity] the window's finite values, ascending in [0, finite)
    private int size; // values in the window
    private int head; // index in ring of the oldest value
    private int finite; // finite values in the window

    /** An empty window of at most {@code capacity} values. */
    SlidingOrderStatistic(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("window capacity must be at least 1, got " + capacity);
        }
        ring = new double[capacity];
        sorted = new double[capacity];
    }

    /** Adds {@code v} as the newest value; when the window is full its oldest value leaves first. */
    void push(double v) {
        if (size == ring.length) {
            double old = ring[head];
            head = (head + 1) % ring.length;
            size--;
            if (Double.isFinite(old)) {
                int at = search(old);
                System.arraycopy(sorted, at + 1, sorted, at, finite - at - 1);
                finite--;
            }
        }
        ring[(head + size) % ring.length] = v;
        size++;
        if (Double.isFinite(v)) {
            int at = search(v);
            int insert = at >= 0 ? at : -at - 1;
            System.arraycopy(sorted, insert, sorted, insert + 1, finite - insert);
            sorted[insert] = v;
            finite++;
        }
    }

    /** Index of a value equal to {@code v} under {@link Double#compare} in the sorted finite values, or (-insertion point - 1). */
    private int search(double v) {
        return Arrays.binarySearch(sorted, 0, finite, v);
    }

    /** Values in the window, finite or not. */
    int size() {
        return size;
    }

    /** The q-quantile of the window's finite values, as {@link Stats#quantile}: the element at rank floor(q (n - 1)); NaN when none. */
    double quantile(double q) {
        return finite == 0 ? Double.NaN : sorted[(int) Math.floor(q * (finite - 1))];
    }

    /** The median of the window's finite values, as {@link Stats#median} (the mean of the middle two for an even count); NaN when none. */
    double median() {
        if (finite == 0) {
            return Double.NaN;
        }
        return finite % 2 == 1 ? sorted[finite / 2] : 0.5 * (sorted[finite / 2 - 1] + sorted[finite / 2]);
    }
}
