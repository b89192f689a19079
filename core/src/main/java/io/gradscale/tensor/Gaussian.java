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
    static final double[] X = new double[LAYERS + 1];
    /** {@code x_{i+1} / x_i}: a uniform below it lies inside layer i's rectangle. */
    static final double[] RATIO = new double[LAYERS];
    /** SplitMix64's increment: the j-th output of a generator seeded {@code s} is {@code mix(s + (j + 1) GOLDEN)}. */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Seeds the generator of the rare draws that a noise kernel's counter-based stream cannot finish. */
    static final long SLOW_SALT = 0x5DEECE66DL;

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
            double u = (bits >> 11) * 0x1.0p-52; // the top 53 bits, signed: uniform in [-1, 1)
            int i = (int) (bits & (LAYERS - 1));
            if (Math.abs(u) < RATIO[i]) {
                return u * X[i];
            }
            double x = wedgeOrTail(rng, u, i);
            if (!Double.isNaN(x)) {
                return x;
            }
        }
    }

    /**
     * The rest of an attempt whose rectangle test failed for layer {@code i} and uniform {@code u}: the base layer's
     * tail, or the wedge test; NaN when the attempt is rejected (the caller then starts a fresh one).
     */
    static double wedgeOrTail(Rng rng, double u, int i) {
        if (i == 0) {
            return tail(rng, u < 0);
        }
        double x = u * X[i];
        double f0 = StrictMath.exp(-0.5 * (X[i] * X[i] - x * x));
        double f1 = StrictMath.exp(-0.5 * (X[i + 1] * X[i + 1] - x * x));
        return f1 + rng.nextDouble() * (f0 - f1) < 1.0 ? x : Double.NaN;
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

    /** SplitMix64's output function (Steele, Lea and Flood 2014), as {@link Rng#nextLong()}. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The end of an attempt whose rectangle test failed for {@code (u, i)}: the tail or wedge test with the rare
     * generator {@code slow}, and a whole fresh attempt from it when rejected.
     */
    static double slowDraw(Rng slow, double u, int i) {
        double x = wedgeOrTail(slow, u, i);
        return Double.isNaN(x) ? next(slow) : x;
    }

    /**
     * {@code out[off + j] = (in[off + j] + sigma z_j) * scale} for {@code j < n}, the draws {@code z_j} from the
     * counter-based stream of {@code seed} (see {@link #noiseRange}); {@code in} may be {@code out}.
     */
    public static void noise(long seed, double sigma, double scale, float[] in, float[] out, int off, int n) {
        noiseRange(seed, new Rng(seed ^ SLOW_SALT), sigma, scale, in, out, off, 0, n);
    }

    /**
     * For the elements {@code j} in {@code [from, to)} of a tensor whose noise seed is {@code seed},
     * {@code out[off + j] = (in[off + j] + sigma z_j) * scale} in double, rounded once to float, where draw {@code j}
     * takes the bits {@code b_j = mix(seed + (j + 1) GOLDEN)} (the j-th output of SplitMix64 seeded there, so that any
     * element's bits are known without generating the ones before it: a tensor's noise can be cut into pieces):
     * {@code u = (b_j >> 11) 2^-52}, layer {@code b_j & 127}; inside the rectangle {@code z_j = u x_i}, otherwise the
     * attempt goes on with {@code slow}, a generator seeded {@code seed ^ SLOW_SALT} and consumed in element order.
     */
    static void noiseRange(long seed, Rng slow, double sigma, double scale, float[] in, float[] out, int off, int from, int to) {
        for (int j = from; j < to; j++) {
            long bits = mix(seed + (j + 1) * GOLDEN);
            double u = (bits >> 11) * 0x1.0p-52;
            int i = (int) (bits & (LAYERS - 1));
            double z = Math.abs(u) < RATIO[i] ? u * X[i] : slowDraw(slow, u, i);
            out[off + j] = (float) ((in[off + j] + sigma * z) * scale);
        }
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
