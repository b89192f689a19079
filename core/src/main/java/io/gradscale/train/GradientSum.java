package io.gradscale.train;

import java.io.Serializable;

/**
 * The gradient contributed by some micro-batches of a step, one array per trainable parameter (in
 * {@link io.gradscale.transform.ParameterSet} order; null where the parameter received no gradient), and their
 * share of the step's loss. A node's value in the tree of {@link MicroBatches}; serializable so that a
 * cluster can move it.
 *
 * @param grads the gradient sums, per parameter
 * @param loss the micro-batches' mean losses, each weighted by its share of the batch's examples, added up
 * @param norms with per-example clipping, each example's gradient norm, in batch order (null without)
 * @param weights with per-example clipping, the weight {@code c_i} each example's gradient was summed with (null without)
 * @param statistics batch statistics a worker's passes kept instead of applying them (see
 *                   {@link MicroBatchPass#deferStatistics}), in micro-batch order; null when there are none
 */
public record GradientSum(float[][] grads, double loss, double[] norms, float[] weights, float[][] statistics) implements Serializable {
    /** A sum without per-example clipping. */
    public GradientSum(float[][] grads, double loss) {
        this(grads, loss, null, null, null);
    }

    /** A sum without deferred statistics. */
    public GradientSum(float[][] grads, double loss, double[] norms, float[] weights) {
        this(grads, loss, norms, weights, null);
    }

    /**
     * {@code left + right}, element by element, written into {@code left}'s arrays (which it owns) and returned:
     * the tree's one addition.
     */
    public static GradientSum add(GradientSum left, GradientSum right) {
        float[][] a = left.grads;
        float[][] b = right.grads;
        if (a.length != b.length) {
            throw new IllegalArgumentException("gradient sums of " + a.length + " and " + b.length + " parameters cannot be added");
        }
        for (int i = 0; i < a.length; i++) {
            if (b[i] == null) {
                continue;
            }
            if (a[i] == null) {
                a[i] = b[i];
                continue;
            }
            float[] x = a[i];
            float[] y = b[i];
            if (x.length != y.length) {
                throw new IllegalArgumentException("parameter " + i + ": gradients of " + x.length + " and " + y.length + " elements");
            }
            for (int j = 0; j < x.length; j++) {
                x[j] += y[j];
            }
        }
        // the tree adds a left (earlier) node to a right one: concatenation keeps the batch's order
        return new GradientSum(a, left.loss + right.loss, concat(left.norms, right.norms), concat(left.weights, right.weights),
                concat(left.statistics, right.statistics));
    }

    private static float[][] concat(float[][] a, float[][] b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        float[][] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double[] concat(double[] a, double[] b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] concat(float[] a, float[] b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Bytes of gradient this sum carries (4 per element). */
    public long bytes() {
        long n = 0;
        for (float[] g : grads) {
            n += g == null ? 0 : 4L * g.length;
        }
        return n;
    }
}
