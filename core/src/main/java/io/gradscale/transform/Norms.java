package io.gradscale.transform;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;

/**
 * p-norms of tensors and groups of tensors, accumulated in double, and in-place scaling.
 *
 * <p>A group norm is the p-norm of the concatenation, which equals PyTorch's norm of the per-tensor
 * norms: {@code (sum_i ||g_i||_p^p)^(1/p)}, and {@code max_i ||g_i||_inf} for {@code p = inf}. Sums are
 * cut into fixed chunks combined in order, so the bits do not depend on the thread count.
 */
public final class Norms {
    /** Elements per chunk of a parallel loop; fixed so that results do not depend on threads. */
    static final int CHUNK = 1 <<15;

    private Norms() {
    }

    /** Checks a norm order: finite and at least 1, or positive infinity. */
    public static double checkOrder(String what, double p) {
        if (!(p >= 1.0)) {
            throw new IllegalArgumentException(what + ": the norm order p must be at least 1 or infinity, got " + p);
        }
        return p;
    }

    /**
     * The "power sum" of a tensor: {@code sum |x|^p}, or {@code max |x|} for {@code p = inf}. NaN if any
     * element is NaN; infinite if any is infinite.
     */
    public static double powerSum(Engine e, Tensor t, double p) {
        float[] d = t.data();
        if (p == 2.0) {
            return e.sumSquares(t);
        }
        if (p == Double.POSITIVE_INFINITY) {
            return e.maxAbs(t);
        }
        if (p == 1.0) {
            return e.parallel().sumRange(d.length, CHUNK, (lo, hi) -> {
                double s = 0;
                for (int i = lo; i < hi; i++) {
                    s += Math.abs(d[i]);
                }
                return s;
            });
        }
        return e.parallel().sumRange(d.length, CHUNK, (lo, hi) -> {
            double s = 0;
            for (int i = lo; i < hi; i++) {
                s += Math.pow(Math.abs(d[i]), p);
            }
            return s;
        });
    }

    /** Combines two power sums (a sum, or a NaN-propagating max for {@code p = inf}). */
    public static double combine(double acc, double part, double p) {
        if (p == Double.POSITIVE_INFINITY) {
            return acc != acc || part != part ? Double.NaN : Math.max(acc, part);
        }
        return acc + part;
    }

    /** The norm from a power sum. */
    public static double finish(double powerSum, double p) {
        if (p == 2.0) {
            return Math.sqrt(powerSum);
        }
        if (p == 1.0 || p == Double.POSITIVE_INFINITY) {
            return powerSum;
        }
        return Math.pow(powerSum, 1.0 / p);
    }

    /** {@code ||t||_p}. */
    public static double norm(Engine e, Tensor t, double p) {
        return finish(powerSum(e, t, p), p);
    }

    /**
     * The p-norm of the group of update tensors {@code members}. A 2-norm of a tensor nobody has touched since
     * the load uses the sum of squares the load took while copying it (the same bits, one pass fewer).
     */
    public static double groupNorm(Updates u, int[] members, double p) {
        double[] parts = new double[members.length];
        u.forEachOf(members, m -> {
            int i = members[m];
            parts[m] = p == 2.0 && u.hasLoadedSumSquares(i) ? u.loadedSumSquares(i) : powerSum(u.engine(), u.get(i), p);
        });
        double acc = 0;
        for (double part : parts) {
            acc = combine(acc, part, p); // in member order, whatever order the parts were taken in
        }
        return finish(acc, p);
    }

    /** {@code t *= s} in place. */
    public static void scale(Engine e, Tensor t, float s) {
        float[] d = t.data();
        var k = e.kernels();
        e.parallel().forRange(d.length, CHUNK, (lo, hi) -> k.scaleShift(d, lo, s, 0f, d, lo, hi - lo));
    }

    /** True when every element is finite (neither NaN nor infinite). */
    public static boolean allFinite(Engine e, Tensor t) {
        return Float.isFinite(e.maxAbs(t));
    }

    /** Number of NaN or infinite elements. */
    public static int countNonFinite(Tensor t) {
        int n = 0;
        for (float x : t.data()) {
            if (!Float.isFinite(x)) {
                n++;
            }
        }
        return n;
    }
}
