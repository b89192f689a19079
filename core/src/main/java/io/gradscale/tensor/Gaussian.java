package io.gradscale.tensor;

/**
 * Gaussian noise for DP-SGD, counter-based so that any piece of it can be computed on its own, on any thread, by
 * the scalar reference below or by the Vector API kernel ({@code VectorGaussian}), with the same bits.
 *
 * <h2>The generator</h2>
 * The uniform bits are SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA
 * 2014; what {@link java.util.SplittableRandom} and {@link Rng} use): the generator in state {@code s} gives as its
 * {@code m}-th output ({@code m = 0, 1, ...}) {@code mix(s + (m + 1) G)}, with {@code G = 0x9E3779B97F4A7C15} and
 * {@code mix} its 64-bit finalizer. Any output is known from {@code (s, m)} alone, which is what makes the stream
 * counter-based: a tensor's noise can be cut into pieces computed in any order, and the result does not depend on
 * the number of threads. A tensor of {@code n} elements takes {@link #outputs(int)} outputs (its elements rounded up to
 * whole blocks, one output per element) and the generator's state moves past them ({@link #skip}): a caller that
 * draws every tensor of every step from one state in a fixed order consumes one SplitMix64 sequence, whose period is
 * {@code 2^64}, so no two tensors or steps ever share an output.
 *
 * <h2>The normal numbers</h2>
 * The Box-Muller transform (Box and Muller, "A note on the generation of random normal deviates", Ann. Math. Stat.
 * 1958): two uniforms {@code u in (0, 1]} and an angle {@code theta} give the two independent standard normal numbers
 * {@code r cos theta} and {@code r sin theta}, {@code r = sqrt(-2 ln u)}. The elements go by blocks of {@link #BLOCK}:
 * pair {@code p = 8b + k} ({@code k < 8}) of block {@code b} writes {@code r cos theta} to element {@code 16b + k} and
 * {@code r sin theta} to element {@code 16b + 8 + k}, and takes the outputs {@code 2p} ({@code a}) and {@code 2p + 1}
 * ({@code c}):
 * <ul>
 *   <li>{@code u = 2 - d}, {@code d} the double in {@code [1, 2)} whose 52 mantissa bits are the top 52 bits of
 *       {@code a}: {@code u} takes the values {@code j 2^-52}, {@code j = 1 .. 2^52}, exactly. So {@code r <= 8.49}:
 *       the numbers are cut off beyond 8.49 standard deviations (probability {@code 2^-52} per pair, about
 *       {@code 2e-16});</li>
 *   <li>{@code theta}: the top 52 bits of {@code c} give {@code f in [0, 1)} the same way and {@code phi = f pi / 4} a
 *       uniform angle in the first octant; bit 0 of {@code c} swaps {@code (cos phi, sin phi)}, bits 1 and 2 flip the
 *       signs of the two results. The eight images of the octant under these reflections are the eight octants, so
 *       {@code theta} is uniform on the circle.</li>
 * </ul>
 *
 * <h2>Bits that do not depend on the hardware</h2>
 * The Vector API's lanewise {@code LOG}, {@code SIN} and {@code COS} may differ from {@link Math}'s in the last bit
 * (and between the interpreter and compiled code), so neither path uses them: {@code ln}, {@code sin} and {@code cos}
 * are fdlibm's algorithms (Sun's freely distributable libm, {@code e_log.c}, {@code k_sin.c}, {@code k_cos.c}, as in
 * {@link StrictMath}, each within 1 ulp) written out here with {@code +}, {@code -}, {@code *}, {@code /},
 * {@code sqrt}, comparisons and bit operations, which IEEE 754 and Java define to the bit, lane by lane as in scalar
 * code, and no fused multiply-add. The vector kernel performs the same operations in the same order, so it gives the
 * same bits as {@link #noiseRange}; {@code KernelParityTest} holds it to that.
 *
 * <h2>What this generator guarantees, and what it does not</h2>
 * It guarantees reproducibility (the same state gives the same noise on every JVM, with or without the Vector API, on
 * any number of threads, and across a checkpoint and resume) and statistical quality (SplitMix64 passes BigCrush; the
 * numbers are held to the normal distribution's CDF, moments and tails in {@code GaussianTest}). It is <b>not</b> a
 * cryptographically secure generator: anyone who learns the seed, or enough of the outputs, can predict the noise
 * and remove it. Nor does it defend against the attacks on floating-point Gaussian noise (Mironov, "On significance of
 * the least significant bits for differential privacy", CCS 2012): the set of doubles the transform can produce
 * differs with the value the noise is added to, and the noisy result is rounded to float, which can leak the
 * noiseless value. The privacy guarantees the accountant reports hold for the ideal Gaussian mechanism, as in Opacus
 * without its {@code secure_mode} (which draws from a CSPRNG and sums several draws). Use this generator for research
 * and for reproducible experiments, not to protect real people's data against a determined adversary.
 */
public final class Gaussian {
    /** Elements per block: a block's 8 pairs write its first 8 elements ({@code r cos}) and its last 8 ({@code r sin}). */
    public static final int BLOCK = 16;
    /** Pairs of normal numbers per block. */
    static final int PAIRS = BLOCK / 2;
    /** SplitMix64's increment. */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** SplitMix64's two finalizer multipliers. */
    static final long MIX1 = 0xBF58476D1CE4E5B9L;
    static final long MIX2 = 0x94D049BB133111EBL;

    /** The exponent bits of 1.0: with 52 random mantissa bits, a double uniform in {@code [1, 2)}. */
    static final long ONE_BITS = 0x3FF0000000000000L;
    /** The exponent bits of 0.5. */
    static final long HALF_BITS = 0x3FE0000000000000L;
    static final long MANTISSA = 0x000FFFFFFFFFFFFFL;
    static final long SIGN = 0x8000000000000000L;
    /** The mantissa of sqrt(2): above it the logarithm's argument is halved, so that it lies in {@code [sqrt(2)/2, sqrt(2)]}. */
    static final long SQRT2_MANTISSA = Double.doubleToRawLongBits(Math.sqrt(2.0)) & MANTISSA;
    /** The bits of {@code 2^52}: OR-ed with an integer below {@code 2^52}, the double {@code 2^52 + n}. */
    static final long TWO52_BITS = 0x4330000000000000L;
    /** {@code 2^52 + 1023}: subtracted from the double of a biased exponent, that exponent, exactly. */
    static final double TWO52_PLUS_BIAS = 0x1.0p52 + 1023;

    // fdlibm e_log.c: ln(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f / (2 + f), R within 2^-58.45 of the series
    static final double LN2_HI = 6.93147180369123816490e-01;
    static final double LN2_LO = 1.90821492927058770002e-10;
    static final double LG1 = 6.666666666666735130e-01;
    static final double LG2 = 3.999999999940941908e-01;
    static final double LG3 = 2.857142874366239149e-01;
    static final double LG4 = 2.222219843214978396e-01;
    static final double LG5 = 1.818357216161805012e-01;
    static final double LG6 = 1.531383769920937332e-01;
    static final double LG7 = 1.479819860511658591e-01;
    // fdlibm k_sin.c: sin(x) = x + x^3 (S1 + x^2 (S2 + ... + x^2 S6)) on |x| <= pi/4
    static final double S1 = -1.66666666666666324348e-01;
    static final double S2 = 8.33333333332248946124e-03;
    static final double S3 = -1.98412698298579493134e-04;
    static final double S4 = 2.75573137070700676789e-06;
    static final double S5 = -2.50507602534068634195e-08;
    static final double S6 = 1.58969099521155010221e-10;
    // fdlibm k_cos.c: cos(x) = 1 - x^2/2 + x^4 (C1 + x^2 (C2 + ... + x^2 C6)) on |x| <= pi/4
    static final double C1 = 4.16666666666666019037e-02;
    static final double C2 = -1.38888888888741095749e-03;
    static final double C3 = 2.48015872894767294178e-05;
    static final double C4 = -2.75573143513906633035e-07;
    static final double C5 = 2.08757232129817482790e-09;
    static final double C6 = -1.13596475577881948265e-11;
    /** Below it, k_cos.c computes {@code 1 - (x^2/2 - x^2 r)} directly. */
    static final double COS_SMALL = 0.3;
    /** Above it, k_cos.c's split {@code qx} is the constant {@link #COS_QX_MAX}. */
    static final double COS_LARGE = 0.78125;
    static final double COS_QX_MAX = 0.28125;
    /** The low 32 bits of a double: cleared in k_cos.c's {@code qx = x / 4} so that {@code 1 - qx} is exact. */
    static final long LOW_WORD = 0xFFFFFFFFL;
    static final double PI_4 = Math.PI / 4;

    private Gaussian() {
    }

    /** The SplitMix64 outputs a tensor of {@code n} elements takes: {@code n} rounded up to whole blocks. */
    public static long outputs(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("a tensor of " + n + " elements");
        }
        return ((long) n + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** The generator's state after the noise of a tensor of {@code n} elements drawn from {@code state}. */
    public static long skip(long state, int n) {
        return state + outputs(n) * GOLDEN;
    }

    /** SplitMix64's finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * MIX1;
        z = (z ^ (z >>> 27)) * MIX2;
        return z ^ (z >>> 31);
    }

    /**
     * For the elements {@code j} in {@code [from, to)} of a tensor whose noise is drawn from generator state
     * {@code state}: {@code out[j] = (float) ((in[j] + sigma z_j) * scale)}, in double, rounded once, with {@code z_j}
     * the standard normal number of element {@code j} (see the class comment). {@code in} may be {@code out}. The
     * reference: every kernel gives these bits.
     */
    public static void noiseRange(long state, double sigma, double scale, float[] in, float[] out, int from, int to) {
        if (from < 0 || to > Math.min(in.length, out.length) || from > to) {
            throw new IndexOutOfBoundsException("noise over [" + from + ", " + to + ") of arrays of " + in.length + " and "
                    + out.length + " floats");
        }
        for (int b = from / BLOCK; b * BLOCK < to; b++) {
            int first = b * BLOCK;
            for (int k = 0; k < PAIRS; k++) {
                int ex = first + k;
                int ey = first + PAIRS + k;
                boolean wx = ex >= from && ex < to;
                boolean wy = ey >= from && ey < to;
                if (!wx && !wy) {
                    continue;
                }
                long p = (long) b * PAIRS + k;
                double[] z = pair(state, p);
                if (wx) {
                    out[ex] = (float) ((in[ex] + sigma * z[0]) * scale);
                }
                if (wy) {
                    out[ey] = (float) ((in[ey] + sigma * z[1]) * scale);
                }
            }
        }
    }

    /** The standard normal number of element {@code j} of a tensor drawn from {@code state}. */
    static double normal(long state, long j) {
        long b = j / BLOCK;
        int k = (int) (j % BLOCK);
        return pair(state, b * PAIRS + k % PAIRS)[k / PAIRS];
    }

    /** Pair {@code p}'s two numbers {@code (r cos theta, r sin theta)}, from the outputs {@code 2p} and {@code 2p + 1}. */
    static double[] pair(long state, long p) {
        long a = mix(state + (2 * p + 1) * GOLDEN);
        long c = mix(state + (2 * p + 2) * GOLDEN);
        double r = Math.sqrt(-2.0 * log(2.0 - Double.longBitsToDouble((a >>> 12) | ONE_BITS)));
        double phi = (Double.longBitsToDouble((c >>> 12) | ONE_BITS) - 1.0) * PI_4;
        long sin = Double.doubleToRawLongBits(sin(phi));
        long cos = Double.doubleToRawLongBits(cos(phi));
        boolean swap = (c & 1) != 0;
        long x = (swap ? sin : cos) ^ ((c << 62) & SIGN);
        long y = (swap ? cos : sin) ^ ((c << 61) & SIGN);
        return new double[] {r * Double.longBitsToDouble(x), r * Double.longBitsToDouble(y)};
    }

    /** fdlibm's natural logarithm for a positive normal double (no special cases: {@code u} is in {@code [2^-52, 1]}). */
    static double log(double u) {
        long bits = Double.doubleToRawLongBits(u);
        long mantissa = bits & MANTISSA;
        boolean high = mantissa > SQRT2_MANTISSA;
        double m = Double.longBitsToDouble(mantissa | (high ? HALF_BITS : ONE_BITS));
        double k = Double.longBitsToDouble(TWO52_BITS | ((bits >>> 52) + (high ? 1 : 0))) - TWO52_PLUS_BIAS;
        double f = m - 1.0;
        double s = f / (2.0 + f);
        double z = s * s;
        double w = z * z;
        double t1 = w * (LG2 + w * (LG4 + w * LG6));
        double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        double r = t2 + t1;
        double hfsq = 0.5 * f * f;
        return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
    }

    /** fdlibm's kernel sine on {@code [0, pi/4]}. */
    static double sin(double x) {
        double z = x * x;
        double v = z * x;
        double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
        return x + v * (S1 + z * r);
    }

    /** fdlibm's kernel cosine on {@code [0, pi/4]}. */
    static double cos(double x) {
        double z = x * x;
        double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
        double qx = x < COS_SMALL ? 0.0
                : x > COS_LARGE ? COS_QX_MAX : Double.longBitsToDouble(Double.doubleToRawLongBits(x * 0.25) & ~LOW_WORD);
        double hz = 0.5 * z - qx;
        double a = 1.0 - qx;
        return a - (hz - z * r);
    }
}
