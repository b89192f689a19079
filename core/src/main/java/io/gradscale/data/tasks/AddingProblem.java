package io.gradscale.data.tasks;

import io.gradscale.data.Dataset;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * The adding problem: sum the two marked numbers of a long sequence.
 *
 * <p>Introduced by Hochreiter and Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8),
 * 1997 (experiment 4), to show that plain recurrent networks cannot bridge long time lags. This is
 * the form used by Le, Jaitly and Hinton ("A Simple Way to Initialize Recurrent Networks of
 * Rectified Linear Units", 2015) and Arjovsky, Shah and Bengio ("Unitary Evolution Recurrent Neural
 * Networks", ICML 2016): each of the {@code T} steps has two inputs, a value {@code u_t ~ U(0, 1)}
 * and a marker {@code m_t}; exactly two markers are 1, one at a uniform position in the first half
 * {@code [0, T/2)} and one in the second half {@code [T/2, T)}; the target is
 * {@code sum_t m_t u_t}. Predicting the constant 1 gives a mean squared error of about 1/6, the
 * baseline a model must beat.
 */
public final class AddingProblem {
    /** Mean squared error of always predicting 1 (the variance of a sum of two U(0,1)). */
    public static final double BASELINE_MSE = 1.0 / 6.0;

    private AddingProblem() {}

    /**
     * {@code n} sequences of length {@code steps}: inputs {@code [n, steps, 2]} (value, marker), targets {@code [n, 1]}.
     */
    public static Dataset generate(int n, int steps, Rng rng) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        if (steps < 2) {
            throw new IllegalArgumentException("steps must be >= 2 (one marker in each half), got " + steps);
        }
        float[] x = new float[Math.multiplyExact(n, steps * 2)];
        float[] y = new float[n];
        int half = steps / 2;
        for (int i = 0; i < n; i++) {
            int base = i * steps * 2;
            for (int t = 0; t < steps; t++) {
                x[base + 2 * t] = rng.nextFloat();
            }
            int first = rng.nextInt(half);
            int second = half + rng.nextInt(steps - half);
            x[base + 2 * first + 1] = 1f;
            x[base + 2 * second + 1] = 1f;
            y[i] = x[base + 2 * first] + x[base + 2 * second];
        }
        return Dataset.regression(Tensor.wrap(x, n, steps, 2), Tensor.wrap(y, n, 1));
    }
}
