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
 */
public record GradientSum(float[][] grads, double loss) implements Serializable {
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
        return new GradientSum(a, left.loss + right.loss);
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
