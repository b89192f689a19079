package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The ziggurat sampler against the standard normal: its CDF at a table of points, its moments, its tails. */
class GaussianTest {
    private static final int N = 400_000;

    @Test
    void drawsOneAtATimeFollowTheStandardNormal() {
        Rng rng = new Rng(12345);
        double[] z = new double[N];
        for (int i = 0; i < N; i++) {
            z[i] = Gaussian.next(rng);
        }
        assertStandardNormal(z);
    }

    @Test
    void theCounterBasedNoiseStreamFollowsTheStandardNormal() {
        float[] z = new float[N + 3]; // with a tail the vector loop leaves to the reference
        Gaussian.noise(54321, 1.0, 1.0, new float[z.length], z, 0, z.length);
        double[] d = new double[z.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = z[i];
        }
        assertStandardNormal(d);
    }

    @Test
    void aTensorsNoiseCutInPiecesIsTheSameBits() {
        float[] in = Tensor.randn(new Rng(3), 5000).data();
        float[] whole = new float[in.length];
        Gaussian.noise(99, 0.37, 0.125, in, whole, 0, in.length);
        float[] pieces = new float[in.length];
        Rng slow = new Rng(99 ^ Gaussian.SLOW_SALT);
        for (int from = 0; from < in.length; from += 777) {
            Gaussian.noiseRange(99, slow, 0.37, 0.125, in, pieces, 0, from, Math.min(in.length, from + 777));
        }
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToRawIntBits(whole[i]), Float.floatToRawIntBits(pieces[i]), "at " + i);
        }
    }

    private static void assertStandardNormal(double[] z) {
        int n = z.length;
        // Phi at points (Abramowitz and Stegun, Table 26.1), the empirical CDF within 5 binomial standard deviations
        double[][] cdf = {{-3.5, 2.3262907903552504e-4}, {-3, 0.0013498980316301}, {-2, 0.0227501319481792}, {-1, 0.158655253931457},
                {-0.5, 0.308537538725987}, {0, 0.5}, {0.25, 0.598706325682924}, {1, 0.841344746068543}, {2, 0.977249868051821},
                {3, 0.99865010196837}, {3.5, 0.99976737092096}};
        for (double[] c : cdf) {
            int below = 0;
            for (double v : z) {
                below += v < c[0] ? 1 : 0;
            }
            double sd = Math.sqrt(c[1] * (1 - c[1]) / n);
            assertEquals(c[1], (double) below / n, 5 * sd, "P(z < " + c[0] + ")");
        }
        double m1 = 0;
        double m2 = 0;
        double m4 = 0;
        for (double v : z) {
            m1 += v;
            m2 += v * v;
            m4 += v * v * v * v;
        }
        assertEquals(0, m1 / n, 5 / Math.sqrt(n), "mean");
        assertEquals(1, m2 / n, 5 * Math.sqrt(2.0 / n), "variance");
        assertEquals(3, m4 / n, 5 * Math.sqrt(96.0 / n), "fourth moment");
    }

    @Test
    void theSameStateGivesTheSameNumbers() {
        float[] a = new float[1000];
        float[] b = new float[1000];
        Gaussian.addNoise(new Rng(7), 2.0, a, 0, a.length);
        Gaussian.addNoise(new Rng(7), 2.0, b, 0, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
        }
    }
}
