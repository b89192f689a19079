package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dead and saturated shares of one batch of activations, and that outputs that are not numbers judge neither. */
class ActivationProbeTest {
    /** A batch of 8 rows and 4 columns, column c filled with {@code column[c]} (NaN, infinities and 0 included). */
    static Tensor columns(double... column) {
        float[] d = new float[8 * column.length];
        for (int r = 0; r < 8; r++) {
            for (int c = 0; c < column.length; c++) {
                d[r * column.length + c] = (float) column[c];
            }
        }
        return Tensor.of(d, 8, column.length);
    }

    @ParameterizedTest(name = "{0}: {1} {2} {3} {4} -> dead {5}, saturated {6}")
    @CsvSource({
            "relu, 0, 0, 1, 2, 0.5, 0",
            "relu, 1, 1, 1, 1, 0, 0",
            "relu, NaN, 0, 1, 2, NaN, NaN",
            "relu, Infinity, 0, 1, 2, NaN, NaN",
            "tanh, 1, -1, 0, 0.5, 0, 0.5",
            "tanh, NaN, -1, 0, 0.5, NaN, NaN",
            "sigmoid, 0.001, 0.999, 0.5, 0.5, 0, 0.5"})
    void sharesOfABatch(String kind, double a, double b, double c, double d, double dead, double saturated) {
        ActivationStats s = ActivationProbe.summarize(kind, columns(a, b, c, d), Engine.serial());
        assertEquals(dead, s.deadFraction(), 1e-12);
        assertEquals(saturated, s.saturatedFraction(), 1e-12);
    }
}
