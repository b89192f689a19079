package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact sums: the statistics do not depend on the order of the rows or on how they are split and merged, and they are
 * the exact values rounded, where a double accumulator in row order is not.
 */
class ExactMomentsTest {
    /** Cases: rows of {@code features} values, some far apart in magnitude so that a double sum depends on its order. */
    record Case(String name, int features, float[] values) {
    }

    static List<Case> cases() {
        Rng rng = new Rng(17);
        float[] wide = new float[300 * 3];
        for (int i = 0; i < wide.length; i++) {
            // magnitudes from 2^-140 (subnormal) to 2^100, signs mixed
            float mag = (float) Math.scalb(1.0 + rng.nextDouble(), rng.nextInt(241) - 140);
            wide[i] = rng.nextDouble() < 0.5 ? -mag : mag;
        }
        float[] pixels = new float[64 * 5];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) rng.nextInt(256) / 255f;
        }
        return List.of(
                new Case("cancelling large values", 1, new float[] {1e20f, 1f, -1e20f, 1f, 3e-7f, 1e20f, -1e20f, 1f}),
                new Case("two columns, one constant", 2, new float[] {5f, 1e-30f, 5f, 2e30f, 5f, -2e30f, 5f, 1f}),
                new Case("subnormals and zeros", 1, new float[] {Float.MIN_VALUE, -0f, 0f, 3 * Float.MIN_VALUE, Float.MIN_NORMAL}),
                new Case("wide random", 3, wide),
                new Case("pixels / 255", 5, pixels));
    }

    /** The exact sum of a column as a BigDecimal (every float is exactly a BigDecimal). */
    static BigDecimal exact(float[] x, int f, int j, boolean squares) {
        BigDecimal s = BigDecimal.ZERO;
        for (int i = j; i < x.length; i += f) {
            BigDecimal v = new BigDecimal(x[i]);
            s = s.add(squares ? v.multiply(v) : v);
        }
        return s;
    }

    @Test
    void theStatisticsAreTheExactValuesRoundedWhateverTheOrderAndTheSplit() {
        MathContext mc = new MathContext(60);
        for (Case c : cases()) {
            int f = c.features();
            int rows = c.values().length / f;
            Standardizer whole = Standardizer.fit(Tensor.wrap(c.values().clone(), rows, f));
            for (int j = 0; j < f; j++) {
                BigDecimal m = BigDecimal.valueOf(rows);
                BigDecimal mean = exact(c.values(), f, j, false).divide(m, mc);
                BigDecimal var = exact(c.values(), f, j, true).divide(m, mc).subtract(mean.multiply(mean));
                assertEquals((float) mean.doubleValue(), whole.mean()[j], c.name() + ": mean of column " + j);
                float std = (float) Math.sqrt(var.doubleValue());
                assertEquals(std > 0 ? std : 1f, whole.std()[j], Math.ulp(std), c.name() + ": std of column " + j);
            }
            // the rows reversed, and every split into two parts merged either way: the same bits
            float[] reversed = new float[c.values().length];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(c.values(), (rows - 1 - r) * f, reversed, r * f, f);
            }
            assertSame(whole, new ExactMoments(f).addRows(reversed).standardizer(), c.name() + ", reversed");
            for (int cut = 0; cut <= rows; cut++) {
                ExactMoments a = new ExactMoments(f).addRows(c.values(), 0, cut * f);
                ExactMoments b = new ExactMoments(f).addRows(c.values(), cut * f, rows * f);
                ExactMoments a2 = new ExactMoments(f).addRows(c.values(), 0, cut * f);
                ExactMoments b2 = new ExactMoments(f).addRows(c.values(), cut * f, rows * f);
                assertSame(whole, a.merge(b).standardizer(), c.name() + ", cut at row " + cut);
                assertSame(whole, b2.merge(a2).standardizer(), c.name() + ", cut at row " + cut + ", merged the other way");
            }
        }
    }

    @Test
    void aDoubleAccumulatorInRowOrderDependsOnTheSplitWhereTheExactSumDoesNot() {
        float[] x = cases().get(0).values();
        double inOrder = 0;
        for (float v : x) {
            inOrder += v;
        }
        double halves = 0;
        double second = 0;
        for (int i = 0; i < x.length; i++) {
            if (i < 2) {
                halves += x[i];
            } else {
                second += x[i];
            }
        }
        assertNotEquals(inOrder, halves + second, "the data is order-sensitive for a double sum");
        ExactMoments s = new ExactMoments(1).addRows(x);
        assertEquals(3.0 + (double) 3e-7f, s.sum(0), 0.0, "1 + 1 + 1 + 3e-7f, exactly (47 bits: a double holds it)");
    }

    @Test
    void nonFiniteValuesGiveTheSumsIeeeAdditionWould() {
        record NonFinite(float[] x, double sum) {
        }
        for (NonFinite c : List.of(new NonFinite(new float[] {1f, Float.NaN}, Double.NaN),
                new NonFinite(new float[] {Float.POSITIVE_INFINITY, 1f}, Double.POSITIVE_INFINITY),
                new NonFinite(new float[] {Float.NEGATIVE_INFINITY, 1f}, Double.NEGATIVE_INFINITY),
                new NonFinite(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, Double.NaN))) {
            assertEquals(c.sum(), new ExactMoments(1).addRows(c.x()).sum(0), 0.0, Arrays.toString(c.x()));
            assertThrows(IllegalArgumentException.class, () -> new ExactMoments(1).addRows(c.x()).standardizer(),
                    "a standardizer needs a finite mean");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ExactMoments(2).addRows(new float[3]));
        assertTrue(e.getMessage().contains("not whole rows of 2"), e.getMessage());
    }

    private static void assertSame(Standardizer a, Standardizer b, String what) {
        assertEquals(Arrays.toString(a.mean()), Arrays.toString(b.mean()), what + ": mean");
        for (int j = 0; j < a.features(); j++) {
            assertEquals(Float.floatToRawIntBits(a.mean()[j]), Float.floatToRawIntBits(b.mean()[j]), what + ": mean " + j);
            assertEquals(Float.floatToRawIntBits(a.std()[j]), Float.floatToRawIntBits(b.std()[j]), what + ": std " + j);
        }
    }
}
