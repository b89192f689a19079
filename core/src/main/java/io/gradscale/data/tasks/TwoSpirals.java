package io.gradscale.data.tasks;

import io.gradscale.data.Dataset;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * Two interleaved spirals: a 2-D binary classification whose boundary winds around the origin.
 *
 * <p>Lang and Witbrock, "Learning to Tell Two Spirals Apart", Proceedings of the 1988 Connectionist
 * Models Summer School. Their points are {@code r = 6.5 (104 - i) / 104}, {@code theta = i pi / 16},
 * {@code i = 0..96} (three turns), and the second spiral is the first rotated by pi. Here the
 * position along the spiral is drawn at random: {@code s ~ U(0, 1)},
 * {@code r = (8 + 96 s) / 104} (the original radii over 6.5, in (0, 1]),
 * {@code theta = turns * 2 pi * (1 - s)}, point {@code (r cos theta, r sin theta)} for class 0 and its
 * negation for class 1, plus Gaussian noise of standard deviation {@code noise} per coordinate.
 * Classes alternate (example {@code i} has class {@code i mod 2}), so the set is balanced.
 */
public final class TwoSpirals {
    /** The number of turns of Lang and Witbrock's spirals. */
    public static final double LANG_WITBROCK_TURNS = 3.0;

    private TwoSpirals() {}

    /** {@code n} points: inputs {@code [n, 2]}, labels 0 or 1. */
    public static Dataset generate(int n, double turns, double noise, Rng rng) {
        if (n < 2) {
            throw new IllegalArgumentException("n must be >= 2 (one point per class), got " + n);
        }
        if (!(turns > 0) || !(noise >= 0) || Double.isInfinite(turns) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("turns must be positive and noise non-negative (both finite), got " + turns + " and " + noise);
        }
        float[] x = new float[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double s = rng.nextDouble();
            double r = (8 + 96 * s) / 104;
            double theta = turns * 2 * Math.PI * (1 - s);
            double sign = (i % 2 == 0) ? 1 : -1;
            x[2 * i] = (float) (sign * r * Math.cos(theta) + noise * rng.nextGaussian());
            x[2 * i + 1] = (float) (sign * r * Math.sin(theta) + noise * rng.nextGaussian());
            labels[i] = i % 2;
        }
        return Dataset.classification(Tensor.wrap(x, n, 2), labels, 2);
    }
}
