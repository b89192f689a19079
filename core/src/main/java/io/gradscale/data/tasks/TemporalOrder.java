package io.gradscale.data.tasks;

import io.gradscale.data.Dataset;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * The temporal order problem: classify a long sequence by the order of its two relevant symbols.
 *
 * <p>Hochreiter and Schmidhuber, "Long Short-Term Memory", 1997 (experiment 6a); used as a
 * pathological long-term-dependency task by Martens and Sutskever ("Learning Recurrent Neural
 * Networks with Hessian-Free Optimization", ICML 2011) and Pascanu, Mikolov and Bengio ("On the
 * difficulty of training recurrent neural networks", ICML 2013). Each step holds one of six symbols,
 * one-hot: {@code A=0, B=1} are relevant, {@code C..F = 2..5} are distractors. Two steps hold a
 * relevant symbol, {@code t1} uniform in {@code [T/10, 2T/10)} and {@code t2} in
 * {@code [5T/10, 6T/10)} (positions 10-20 and 50-60 of the original 100 steps); every other step a
 * uniform distractor. The class is the ordered pair: {@code AA=0, AB=1, BA=2, BB=3}.
 */
public final class TemporalOrder {
    /** Size of the one-hot alphabet: A, B and four distractors. */
    public static final int SYMBOLS = 6;
    /** Number of classes: AA, AB, BA, BB. */
    public static final int CLASSES = 4;

    private TemporalOrder() {}

    /** {@code n} sequences of length {@code steps} (at least 10): inputs {@code [n, steps, 6]}, one label each. */
    public static Dataset generate(int n, int steps, Rng rng) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        if (steps < 10) {
            throw new IllegalArgumentException("steps must be >= 10 so that both symbol windows are non-empty, got " + steps);
        }
        float[] x = new float[Math.multiplyExact(n, steps * SYMBOLS)];
        int[] labels = new int[n];
        int lo1 = steps / 10;
        int hi1 = 2 * steps / 10;
        int lo2 = 5 * steps / 10;
        int hi2 = 6 * steps / 10;
        for (int i = 0; i < n; i++) {
            int base = i * steps * SYMBOLS;
            int t1 = lo1 + rng.nextInt(hi1 - lo1);
            int t2 = lo2 + rng.nextInt(hi2 - lo2);
            int s1 = rng.nextInt(2);
            int s2 = rng.nextInt(2);
            for (int t = 0; t < steps; t++) {
                int symbol = t == t1 ? s1 : t == t2 ? s2 : 2 + rng.nextInt(SYMBOLS - 2);
                x[base + t * SYMBOLS + symbol] = 1f;
            }
            labels[i] = 2 * s1 + s2;
        }
        return Dataset.classification(Tensor.wrap(x, n, steps, SYMBOLS), labels, CLASSES);
    }
}
