package io.gradscale.data.tasks;

import io.gradscale.data.Dataset;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * The copying memory problem: read a short sequence, wait, then reproduce it.
 *
 * <p>From the long-time-lag tasks of Hochreiter and Schmidhuber ("Long Short-Term Memory", 1997), in
 * the form of Arjovsky, Shah and Bengio ("Unitary Evolution Recurrent Neural Networks", ICML 2016).
 * With {@code k} data symbols {@code 0..k-1}, a blank {@code k} and a delimiter {@code k+1}, an input
 * of length {@code delay + 2L} is: {@code L} random data symbols, {@code delay - 1} blanks, the
 * delimiter, then {@code L} blanks. The target at each step is blank, except for the last {@code L}
 * steps, which must repeat the first {@code L} inputs. Inputs are one-hot over {@code k + 2} symbols;
 * targets are per-step labels over {@code k + 1} classes. Always predicting blank, then guessing
 * uniformly, costs {@code L log(k) / (delay + 2L)} nats per step: the baseline a model must beat.
 */
public final class CopyMemory {
    /** Number of data symbols in Arjovsky et al. (2016). */
    public static final int DEFAULT_SYMBOLS = 8;
    /** Length of the sequence to copy in Arjovsky et al. (2016). */
    public static final int DEFAULT_COPY_LENGTH = 10;

    private CopyMemory() {}

    /** Per-step cross-entropy (nats) of the memoryless baseline described above. */
    public static double baselineCrossEntropy(int symbols, int copyLength, int delay) {
        return copyLength * Math.log(symbols) / (delay + 2.0 * copyLength);
    }

    /**
     * {@code n} sequences: inputs {@code [n, delay + 2 L, symbols + 2]}, labels {@code [n, delay + 2 L]}
     * over {@code symbols + 1} classes.
     */
    public static Dataset generate(int n, int delay, int symbols, int copyLength, Rng rng) {
        if (n < 1 || delay < 1 || symbols < 1 || copyLength < 1) {
            throw new IllegalArgumentException("n, delay, symbols and copyLength must all be >= 1, got " + n + ", " + delay
                    + ", " + symbols + ", " + copyLength);
        }
        int steps = Math.addExact(delay, 2 * copyLength);
        int channels = symbols + 2;
        int blank = symbols;
        int delimiter = symbols + 1;
        float[] x = new float[Math.multiplyExact(n, Math.multiplyExact(steps, channels))];
        int[] labels = new int[Math.multiplyExact(n, steps)];
        int[] data = new int[copyLength];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < copyLength; j++) {
                data[j] = rng.nextInt(symbols);
            }
            int base = i * steps;
            for (int t = 0; t < steps; t++) {
                int in;
                if (t < copyLength) {
                    in = data[t];
                } else if (t == copyLength + delay - 1) {
                    in = delimiter;
                } else {
                    in = blank;
                }
                x[(base + t) * channels + in] = 1f;
                labels[base + t] = t >= steps - copyLength ? data[t - (steps - copyLength)] : blank;
            }
        }
        return Dataset.sequenceClassification(Tensor.wrap(x, n, steps, channels), labels, symbols + 1, steps);
    }
}
