package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The counter-based Box-Muller noise against the standard normal (Kolmogorov-Smirnov over a million draws, the CDF at
 * a table of points, moments, tails, correlations), its functions against {@link StrictMath}, and its stream: pieces,
 * element formula, consecutive tensors. Fixed seeds, so every run checks the same numbers. Tagged {@code kernels}: it
 * runs again without the Vector API, on the reference.
 */
@Tag("kernels")
class GaussianTest {
    private static final int N = 1 << 20;
    /** The Kolmogorov-Smirnov statistic's critical value at level 0.001 is 1.95 / sqrt(n). */
    private static final double KS_001 = 1.95;

    private static float[] draws(long state, int n) {
        float[] z = new float[n];
        Kernels.best().gaussianNoise(state, 1.0, 1.0, new float[n], z, 0, n);
        return z;
    }

    private static double phi(double x) {
        return 0.5 * (1 + Erf.erf(x / Math.sqrt(2)));
    }

    @ParameterizedTest
    @ValueSource(longs = {0L, 42L, -1L, Long.MIN_VALUE, 0x9E3779B97F4A7C15L})
    void aMillionDrawsFollowTheStandardNormal(long seed) {
        float[] z = draws(seed, N);
        double[] s = new double[N];
        for (int i = 0; i < N; i++) {
            s[i] = z[i];
        }
        Arrays.sort(s);
        double d = 0;
        for (int i = 0; i < N; i++) {
            double f = phi(s[i]);
            d = Math.max(d, Math.max(f - (double) i / N, (double) (i + 1) / N - f));
        }
        assertTrue(d < KS_001 / Math.sqrt(N), "Kolmogorov-Smirnov D = " + d);
        // Phi at points (Abramowitz and Stegun, Table 26.1), the empirical CDF within 5 binomial standard deviations
        double[][] cdf = {{-4, 3.16712418331199e-5}, {-3.5, 2.3262907903552504e-4}, {-3, 0.0013498980316301},
                {-2, 0.0227501319481792}, {-1, 0.158655253931457}, {-0.5, 0.308537538725987}, {0, 0.5}, {0.25, 0.598706325682924},
                {1, 0.841344746068543}, {2, 0.977249868051821}, {3, 0.99865010196837}, {3.5, 0.99976737092096},
                {4, 0.999968328758167}};
        for (double[] c : cdf) {
            int below = lowerBound(s, c[0]);
            double sd = Math.sqrt(c[1] * (1 - c[1]) / N);
            assertEquals(c[1], (double) below / N, 5 * sd, "P(z < " + c[0] + ")");
        }
        double m1 = 0;
        double m2 = 0;
        double m3 = 0;
        double m4 = 0;
        for (double v : s) {
            m1 += v;
            m2 += v * v;
            m3 += v * v * v;
            m4 += v * v * v * v;
        }
        assertEquals(0, m1 / N, 5 / Math.sqrt(N), "mean");
        assertEquals(1, m2 / N, 5 * Math.sqrt(2.0 / N), "variance");
        assertEquals(0, m3 / N, 5 * Math.sqrt(15.0 / N), "third moment");
        assertEquals(3, m4 / N, 5 * Math.sqrt(96.0 / N), "fourth moment");
        assertTrue(-s[0] <= 8.5 && s[N - 1] <= 8.5, "the documented cut-off at 8.49: " + s[0] + ", " + s[N - 1]);
    }

    private static int lowerBound(double[] sorted, double x) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Test
    void neighboursPairPartnersAndNextBlocksAreUncorrelated() {
        float[] z = draws(7, N);
        for (int lag : new int[] {1, 2, Gaussian.PAIRS, Gaussian.BLOCK, Gaussian.BLOCK + 1}) {
            double c = 0;
            for (int i = 0; i + lag < N; i++) {
                c += (double) z[i] * z[i + lag];
            }
            assertEquals(0, c / (N - lag), 5 / Math.sqrt(N - lag), "lag " + lag);
        }
        // r cos and r sin of one pair are uncorrelated but share r: E[x^2 y^2] = 1 for independent normals
        double s = 0;
        int pairs = 0;
        for (int b = 0; b < N; b += Gaussian.BLOCK) {
            for (int k = 0; k < Gaussian.PAIRS; k++) {
                double x = z[b + k];
                double y = z[b + Gaussian.PAIRS + k];
                s += x * x * y * y;
                pairs++;
            }
        }
        assertEquals(1, s / pairs, 5 * Math.sqrt(8.0 / pairs), "E[x^2 y^2]");
    }

    @Test
    void logSinAndCosAreWithinOneUlpOfStrictMath() {
        Rng rng = new Rng(11);
        for (int i = 0; i < 200_000; i++) {
            // u as the generator makes it, j 2^-52, over every binade down to 2^-52
            double u = 2.0 - Double.longBitsToDouble((rng.nextLong() >>> 12) | Gaussian.ONE_BITS);
            u = Math.scalb(u, -(i % 53));
            u = Math.max(u, 0x1.0p-52);
            assertEquals(StrictMath.log(u), Gaussian.log(u), Math.ulp(StrictMath.log(u)), "log " + u);
            double x = rng.nextDouble() * Gaussian.PI_4;
            assertEquals(StrictMath.sin(x), Gaussian.sin(x), Math.ulp(StrictMath.sin(x)), "sin " + x);
            assertEquals(StrictMath.cos(x), Gaussian.cos(x), Math.ulp(StrictMath.cos(x)), "cos " + x);
        }
        for (double u : new double[] {1.0, 0x1.0p-52, 0.5, Math.sqrt(0.5), Math.nextUp(Math.sqrt(2) / 2), 0.75}) {
            assertEquals(StrictMath.log(u), Gaussian.log(u), Math.ulp(StrictMath.log(u)), "log " + u);
        }
        for (double x : new double[] {0, Gaussian.COS_SMALL, Math.nextDown(Gaussian.COS_SMALL), Gaussian.COS_LARGE,
                Math.nextUp(Gaussian.COS_LARGE), Math.nextDown(Gaussian.PI_4)}) {
            assertEquals(StrictMath.sin(x), Gaussian.sin(x), Math.ulp(StrictMath.sin(x)), "sin " + x);
            assertEquals(StrictMath.cos(x), Gaussian.cos(x), Math.ulp(StrictMath.cos(x)), "cos " + x);
        }
    }

    @Test
    void aTensorsNoiseCutInAnyPiecesIsTheSameBitsOnEveryKernel() {
        float[] in = Tensor.randn(new Rng(3), 5003).data();
        float[] whole = new float[in.length];
        Gaussian.noiseRange(99, 0.37, 0.125, in, whole, 0, in.length);
        for (Kernels k : new Kernels[] {Kernels.reference(), Kernels.best()}) {
            for (int piece : new int[] {1, 7, 16, 777, 4096}) {
                float[] pieces = new float[in.length];
                for (int from = 0; from < in.length; from += piece) {
                    k.gaussianNoise(99, 0.37, 0.125, in, pieces, from, Math.min(in.length, from + piece));
                }
                for (int i = 0; i < in.length; i++) {
                    assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(pieces[i]),
                            k.name() + ", pieces of " + piece + ", at " + i);
                }
            }
        }
    }

    @Test
    void eachElementIsItsOwnFormulaAndTheNextTensorContinuesTheSequence() {
        long state = 0x1234_5678_9ABCL;
        int n = 1000;
        float[] z = draws(state, n + 40);
        for (int j = 0; j < z.length; j++) {
            assertEquals(Float.floatToRawIntBits((float) ((0f + Gaussian.normal(state, j)) * 1.0)), Float.floatToRawIntBits(z[j]), "element " + j);
        }
        // a tensor of n elements takes outputs(n) outputs: the next tensor's noise is the continuation of one sequence
        assertEquals(Gaussian.BLOCK * 63, Gaussian.outputs(n));
        float[] next = draws(Gaussian.skip(state, n), 24);
        float[] longer = draws(state, (int) Gaussian.outputs(n) + 24);
        for (int j = 0; j < next.length; j++) {
            assertEquals(Float.floatToRawIntBits(longer[(int) Gaussian.outputs(n) + j]), Float.floatToRawIntBits(next[j]), "element " + j);
        }
        assertEquals(0, Gaussian.outputs(0));
        assertEquals(Gaussian.BLOCK, Gaussian.outputs(1));
        assertEquals(Gaussian.BLOCK, Gaussian.outputs(Gaussian.BLOCK));
        assertEquals(2 * Gaussian.BLOCK, Gaussian.outputs(Gaussian.BLOCK + 1));
    }

    @Test
    void sigmaAndScaleAreAppliedInDoubleAndRoundedOnce() {
        float[] in = {1.5f, -2.25f, 0f, 3e-3f, 100f};
        float[] out = new float[in.length];
        Kernels.best().gaussianNoise(5, 0.8, 1.0 / 128, in, out, 0, in.length);
        for (int j = 0; j < in.length; j++) {
            assertEquals((float) ((in[j] + 0.8 * Gaussian.normal(5, j)) * (1.0 / 128)), out[j], 0f, "element " + j);
        }
    }
}
