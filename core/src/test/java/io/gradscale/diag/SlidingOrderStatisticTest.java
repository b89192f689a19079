package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The incremental window answers exactly what sorting the window answers ({@link Stats#quantile},
 * {@link Stats#median}), at every position of random streams with ties, NaN, infinities and signed zeros.
 */
class SlidingOrderStatisticTest {
    /** What a stream's values are drawn from. */
    enum Draw {
        /** Continuous values: no ties. */
        CONTINUOUS,
        /** Five distinct values: ties everywhere. */
        FEW_VALUES,
        /** A third of the values NaN or infinite, the rest from a few values including -0.0 and 0.0. */
        NON_FINITE_AND_ZEROS,
        /** Every value NaN: the window has no finite value. */
        ALL_NAN
    }

    static Stream<Arguments> streams() {
        Stream.Builder<Arguments> b = Stream.builder();
        int[] capacities = {1, 2, 3, 7, 20, 64};
        long seed = 1;
        for (Draw d : Draw.values()) {
            for (int cap : capacities) {
                b.add(Arguments.of(d, cap, seed++));
            }
        }
        return b.build();
    }

    static double draw(Draw d, SplittableRandom r) {
        return switch (d) {
            case CONTINUOUS -> Math.exp(r.nextGaussian() * 3);
            case FEW_VALUES -> r.nextInt(5);
            case NON_FINITE_AND_ZEROS -> switch (r.nextInt(9)) {
                case 0 -> Double.NaN;
                case 1 -> Double.POSITIVE_INFINITY;
                case 2 -> Double.NEGATIVE_INFINITY;
                case 3 -> -0.0;
                case 4 -> 0.0;
                default -> r.nextInt(3) - 1.5;
            };
            case ALL_NAN -> Double.NaN;
        };
    }

    @ParameterizedTest(name = "{0}, window {1}")
    @MethodSource("streams")
    void everyQuantileEqualsTheSortedWindowsBitForBit(Draw d, int capacity, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[500];
        SlidingOrderStatistic s = new SlidingOrderStatistic(capacity);
        double[] qs = {0.0, 0.1, 0.5, 0.9, 0.999, 1.0, DoctorThresholds.SPIKE_REFERENCE_QUANTILE};
        for (int i = 0; i < x.length; i++) {
            x[i] = draw(d, r);
            s.push(x[i]);
            double[] window = Arrays.copyOfRange(x, Math.max(0, i + 1 - capacity), i + 1);
            assertEquals(window.length, s.size());
            for (double q : qs) {
                final int at = i;
                assertEquals(Stats.quantile(window, q), s.quantile(q), () -> "quantile " + q + " at " + at + " of " + Arrays.toString(window));
            }
            assertEquals(Stats.median(window), s.median(), () -> "median of " + Arrays.toString(window));
        }
    }

    @Test
    void anEmptyWindowHasNoQuantileAndAWindowHoldsSomething() {
        SlidingOrderStatistic s = new SlidingOrderStatistic(4);
        assertEquals(Double.NaN, s.quantile(0.5));
        assertEquals(Double.NaN, s.median());
        assertEquals(0, s.size());
        assertThrows(IllegalArgumentException.class, () -> new SlidingOrderStatistic(0));
    }
}
