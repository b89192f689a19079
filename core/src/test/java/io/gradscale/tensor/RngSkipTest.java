package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Skipping ahead lands where drawing would, and the count of draws between two states is recovered exactly. */
class RngSkipTest {
    @Test
    void skippingAheadLandsWhereDrawingWouldAndTheDrawsAreCountedBack() {
        for (long seed : new long[] {0, 1, -7, 0x123456789ABCDEFL}) {
            for (int draws : new int[] {0, 1, 2, 7, 1000, 4097}) {
                Rng drawn = new Rng(seed);
                for (int i = 0; i < draws; i++) {
                    drawn.nextFloat();
                }
                Rng skipped = new Rng(seed);
                skipped.skip(draws);
                assertEquals(drawn.state(), skipped.state(), seed + ", " + draws + " draws");
                assertEquals(drawn.nextLong(), skipped.nextLong(), "then the same numbers");
                assertEquals(draws, Rng.drawsBetween(seed, drawn.state() - 0x9E3779B97F4A7C15L), "counted back");
            }
            Rng far = new Rng(seed);
            far.skip(1L << 40);
            assertEquals(1L << 40, Rng.drawsBetween(seed, far.state()), "2^40 draws");
            Rng g = new Rng(seed);
            g.nextGaussian();
            g.nextInt(3);
            assertEquals(3, Rng.drawsBetween(seed, g.state()), "a Gaussian draws two, a small bounded int one");
        }
    }
}
