package io.gradscale.data;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The exact sums {@code S1 = sum x} and {@code S2 = sum x^2} of float values, per feature, whatever the order in which
 * the values are added: the statistics of a {@link Standardizer} therefore have the same bits when the rows are
 * summed in one pass, in any order, or in parts on a cluster's partitions and {@link #merge merged} in any order.
 *
 * <p>The method is Kulisch's long accumulator ("The exact dot product as basic tool for long interval arithmetic",
 * Computing 91, 2011), kept as one 64-bit integer per binary exponent. A finite float is {@code x = M 2^(b - 150)}
 * with an integer {@code |M| < 2^24} and the biased exponent {@code b} in {@code 1..254} (subnormals use {@code b = 1});
 * {@code M} is added to bucket {@code b} of {@code S1}. Its square {@code M^2 2^(2(b - 150))} is exact too: the square's
 * 48 bits are split into two 24-bit halves, added to two buckets of {@code S2}. Every add is an integer add, so the
 * result is independent of order and grouping. A bucket grows by less than {@code 2^24} per value: after
 * {@link #FOLD_EVERY} values per feature the buckets are folded into arbitrary-precision integers, so nothing overflows.
 *
 * <p>The standardizer's moments come from the exact sums with one rounding each: the mean
 * {@code S1 / m} and the sum of squared deviations from the exact mean, {@code S2 - S1^2 / m}, each evaluated exactly
 * as a rational and rounded once to double (34 significant digits, then to the nearest double). Non-finite values
 * make the sums non-finite as IEEE addition would (NaN, or an infinity of the one sign seen).
 */
public final class ExactMoments implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Biased float exponents 0..255: one bucket each (bucket 0 is unused; subnormals share bucket 1's scale). */
    private static final int BUCKETS = 256;
    /** A float's significand, implicit bit included, has 24 bits. */
    private static final int SIGNIFICAND_BITS = 24;
    /** Scale of bucket 1: {@code 2^(1 - 150)}, the value of a subnormal float's last bit. */
    private static final int BUCKET_ONE_EXPONENT = -149;
    /**
     * Values per feature between folds of the buckets: a bucket then holds less than {@code 2^37 * 2^24 = 2^61}, and a
     * merge of two adds up to less than {@code 2^62}.
     */
    static final long FOLD_EVERY = 1L << 37;
    /** Precision of the final divisions before the one rounding to double. */
    private static final MathContext DIVISION = MathContext.DECIMAL128;

    private final int features;
    private final long[] s1;  // [features * BUCKETS]
    private final long[] s2hi; // [features * BUCKETS], the upper 24 bits of M^2
    private final long[] s2lo; // [features * BUCKETS], the lower 24 bits of M^2
    private final BigInteger[] folded1; // [features], in units of 2^-149
    private final BigInteger[] folded2; // [features], in units of 2^-298
    private final long[] count;       // [features], values since the last fold
    private final long[] total;       // [features]
    private final int[] nonFinite;    // [features]: bit 0 NaN, bit 1 +inf, bit 2 -inf

    /** Empty sums of {@code features} features. */
    public ExactMoments(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        this.features = features;
        this.s1 = new long[features * BUCKETS];
        this.s2hi = new long[features * BUCKETS];
        this.s2lo = new long[features * BUCKETS];
        this.folded1 = new BigInteger[features];
        this.folded2 = new BigInteger[features];
        java.util.Arrays.fill(folded1, BigInteger.ZERO);
        java.util.Arrays.fill(folded2, BigInteger.ZERO);
        this.count = new long[features];
        this.total = new long[features];
        this.nonFinite = new int[features];
    }

    public int features() {
        return features;
    }

    /** Values added to feature 0 (every feature gets as many when whole rows are added). */
    public long count() {
        return total[0];
    }

    /** Adds {@code x[i]} to feature {@code i % features} for every {@code i}: rows of {@code features} values, row-major. */
    public ExactMoments addRows(float[] x) {
        return addRows(x, 0, x.length);
    }

    /** As {@link #addRows(float[])} over {@code x[from, to)}, {@code from} at a row's start. */
    public ExactMoments addRows(float[] x, int from, int to) {
        if ((to - from) % features != 0) {
            throw new IllegalArgumentException((to - from) + " values are not whole rows of " + features + " features");
        }
        for (int i = from; i < to; i += features) {
            for (int j = 0; j < features; j++) {
                add(j, x[i + j]);
            }
        }
        return this;
    }

    /** Adds one value to feature {@code j}. */
    public void add(int j, float v) {
        int bits = Float.floatToRawIntBits(v);
        int b = (bits >>> 23) & 0xff;
        if (b == 0xff) {
            nonFinite[j] |= Float.isNaN(v) ? 1 : v > 0 ? 2 : 4;
        } else {
            long m = bits & 0x7fffff;
            if (b == 0) {
                b = 1; // subnormal: M 2^-149, no implicit bit
            } else {
                m |= 1L << 23;
            }
            long sq = m * m;
            int at = j * BUCKETS + b;
            s1[at] += bits < 0 ? -m : m;
            s2hi[at] += sq >>> SIGNIFICAND_BITS;
            s2lo[at] += sq & ((1L << SIGNIFICAND_BITS) - 1);
        }
        total[j]++;
        if (++count[j] == FOLD_EVERY) {
            fold(j);
        }
    }

    /** Adds {@code other}'s sums into these (exact, so merging in any order gives the same sums). */
    public ExactMoments merge(ExactMoments other) {
        if (other.features != features) {
            throw new IllegalArgumentException("cannot merge sums of " + other.features + " features into sums of " + features);
        }
        for (int j = 0; j < features; j++) {
            if (count[j] + other.count[j] >= FOLD_EVERY) {
                fold(j);
                other.fold(j);
            }
            for (int b = 0, at = j * BUCKETS; b < BUCKETS; b++, at++) {
                s1[at] += other.s1[at];
                s2hi[at] += other.s2hi[at];
                s2lo[at] += other.s2lo[at];
            }
            folded1[j] = folded1[j].add(other.folded1[j]);
            folded2[j] = folded2[j].add(other.folded2[j]);
            count[j] += other.count[j];
            total[j] += other.total[j];
            nonFinite[j] |= other.nonFinite[j];
        }
        return this;
    }

    /** Moves feature {@code j}'s buckets into its arbitrary-precision sums. */
    private void fold(int j) {
        BigInteger a = BigInteger.ZERO;
        BigInteger q = BigInteger.ZERO;
        for (int b = 1, at = j * BUCKETS + 1; b < BUCKETS; b++, at++) {
            if (s1[at] != 0) {
                a = a.add(BigInteger.valueOf(s1[at]).shiftLeft(b - 1));
            }
            if (s2hi[at] != 0 || s2lo[at] != 0) {
                BigInteger sq = BigInteger.valueOf(s2hi[at]).shiftLeft(SIGNIFICAND_BITS).add(BigInteger.valueOf(s2lo[at]));
                q = q.add(sq.shiftLeft(2 * (b - 1)));
            }
            s1[at] = 0;
            s2hi[at] = 0;
            s2lo[at] = 0;
        }
        folded1[j] = folded1[j].add(a);
        folded2[j] = folded2[j].add(q);
        count[j] = 0;
    }

    /** The exact sum of feature {@code j} rounded once to double. */
    public double sum(int j) {
        if (nonFinite[j] != 0) {
            return nonFiniteSum(j);
        }
        fold(j);
        return scaled(new BigDecimal(folded1[j]), BUCKET_ONE_EXPONENT).doubleValue();
    }

    /**
     * The standardizer of these values ({@link Standardizer#fromMoments}): per feature the mean {@code S1 / m} and the
     * sum of squared deviations from the exact mean, {@code (m S2 - S1^2) / m}, each rounded once.
     */
    public Standardizer standardizer() {
        long m = total[0];
        if (m == 0) {
            throw new IllegalArgumentException("cannot fit a standardiser on zero examples");
        }
        double[] mu = new double[features];
        double[] ss = new double[features];
        BigDecimal bm = BigDecimal.valueOf(m);
        for (int j = 0; j < features; j++) {
            if (total[j] != m) {
                throw new IllegalStateException("feature " + j + " has " + total[j] + " values, feature 0 " + m);
            }
            if (nonFinite[j] != 0) {
                mu[j] = nonFiniteSum(j);
                ss[j] = Double.NaN;
                continue;
            }
            fold(j);
            BigInteger a = folded1[j];
            mu[j] = scaled(new BigDecimal(a).divide(bm, DIVISION), BUCKET_ONE_EXPONENT).doubleValue();
            // S1 = A 2^-149, S2 = Q 2^-298: m S2 - S1^2 = (m Q - A^2) 2^-298, exact in integers
            BigInteger num = folded2[j].multiply(BigInteger.valueOf(m)).subtract(a.multiply(a));
            ss[j] = scaled(new BigDecimal(num).divide(bm, DIVISION), 2 * BUCKET_ONE_EXPONENT).doubleValue();
        }
        return Standardizer.fromMoments(mu, ss, m);
    }

    private double nonFiniteSum(int j) {
        int f = nonFinite[j];
        return (f & 1) != 0 || f == 6 ? Double.NaN : f == 2 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** {@code x 2^e}, exactly ({@code e < 0}: {@code 2^e} has a finite decimal expansion). */
    private static BigDecimal scaled(BigDecimal x, int e) {
        BigDecimal p = new BigDecimal(BigInteger.ONE.shiftLeft(Math.abs(e)));
        return e >= 0 ? x.multiply(p) : x.multiply(BigDecimal.ONE.divide(p));
    }
}
