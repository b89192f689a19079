package io.gradscale.tensor;

/**
 * Standard normal numbers by the ziggurat method (Marsaglia and Tsang, "The ziggurat method for generating random
 * variables", J. Stat. Software 2000), in Doornik's form ZIGNOR ("An improved ziggurat method to generate normal
 * random samples", 2005): 128 layers of equal area, one {@link Rng#nextLong()} per number in about 98.8 % of
 * draws (53 bits for the uniform, 7 other bits for the layer), so that noise for a million parameters costs a
 * few milliseconds, where {@link Rng#nextGaussian()} (Box-Muller) needs a logarithm and a cosine per number.
 *
 * <p>The table is computed once from the constants below; the rare wedge and tail draws use {@link StrictMath},
 * so the same generator state gives the same numbers on every JVM, interpreted or compiled.
 */
public final class Gaussian {
    private static final int LAYERS = 128;
    /** Start of the tail, {@code r}: {@code f(r) r + integral from r to infinity of f = V}. */
    private static final double R = 3.442619855899;
    /** Area of each layer (and of the base layer with the tail), for {@code f(x) = exp(-x^2 / 2)}. */
    private static final double V = 9.91256303526217e-3;
    /** Layer edges {@code x_0 = V / f(r) > x_1 = r > ... > x_128 = 0}. */
    private static final double[] X = new double[LAYERS + 1];
    /** {@code x_{i+1} / x_i}: a uniform below it lies inside layer i's rectangle. */
    private static final double[] RATIO = new double[LAYERS];

    static {
        double f = StrictMath.exp(-0.5 * R * R);
        X[0] = V / f;
        X[1] = R;
        X[LAYERS] = 0;
        for (int i = 2; i < LAYERS; i++) {
            X[i] = StrictMath.sqrt(-2 * StrictMath.log(V / X[i - 1] + f));
            f = StrictMath.exp(-0.5 * X[i] * X[i]);
        }
        for (int i = 0; i < LAYERS; i++) {
            RATIO[i] = X[i + 1] / X[i];
        }
    }

    private Gaussian() {
    }

    /** One standard normal number from {@code rng}. */
    public static double next(Rng rng) {
        while (true) {
            long bits = rng.nextLong();
            double u = 2 * ((bits >>> 11) * 0x1.0p-53) - 1; // uniform in [-1, 1)
            int i = (int) (bits & (LAYERS - 1));
            if (Math.abs(u) < RATIO[i]) {
                return u * X[i];
            }
            if (i == 0) {
                return tail(rng, u < 0);
            }
            double x = u * X[i];
            double f0 = StrictMath.exp(-0.5 * (X[i] * X[i] - x * x));
            double f1 = StrictMath.exp(-0.5 * (X[i + 1] * X[i + 1] - x * x));
            if (f1 + rng.nextDouble() * (f0 - f1) < 1.0) {
                return x;
            }
        }
    }

    /** A draw from the tail beyond {@link #R} (Marsaglia 1964), with the given sign. */
    private static double tail(Rng rng, boolean negative) {
        double x;
        double y;
        do {
            x = StrictMath.log(1.0 - rng.nextDouble()) / R;
            y = StrictMath.log(1.0 - rng.nextDouble());
        } while (-2 * y < x * x);
        return negative ? x - R : R - x;
    }

    /**
     * Adds {@code sigma z} to every element of {@code a[off, off + n)}, the {@code z} standard normal from {@code rng} in
     * index order.
     */
    public static void addNoise(Rng rng, double sigma, float[] a, int off, int n) {
        for (int j = off; j < off + n; j++) {
            a[j] = (float) (a[j] + sigma * next(rng));
        }
    }
}
