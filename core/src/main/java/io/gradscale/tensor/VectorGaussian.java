package io.gradscale.tensor;

import static io.gradscale.tensor.Gaussian.BLOCK;
import static io.gradscale.tensor.Gaussian.PAIRS;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Gaussian#noiseRange} on the Vector API, bit for bit: {@code L} pairs at a time (8 lanes of double on
 * AVX-512, 4 on AVX2), SplitMix64 computed from its counters lane by lane, then fdlibm's logarithm, sine and cosine
 * with the reference's operations in the reference's order (no lanewise transcendental, no fused multiply-add). The
 * whole blocks inside the range go through the vectors, the partial blocks at its ends through the reference.
 *
 * <p>The work runs in three passes over chunks of {@link #CHUNK_PAIRS} pairs, through scratch arrays that stay in the
 * first-level cache: the radii, then the two numbers of each pair, then {@code (in + sigma z) scale} rounded to float.
 * One loop doing everything is too large for C2: it stops inlining the Vector API's methods (its node-count cutoff)
 * and the vectors are then boxed, several objects per pair, which made it slower than the scalar reference. Storing
 * a double and loading it back is exact, so the passes give the same bits as one expression. Loaded only by
 * {@link VectorKernels}.
 */
final class VectorGaussian {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Long lanes of the double species' shape, as constants (see {@link VectorKernels#INT_SPECIES}). */
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, D.vectorShape());
    private static final int L = D.length();
    /** A block's pairs split into whole vectors, and float lanes of half the width exist (at least 64 bits). */
    static final boolean USABLE = PAIRS % L == 0 && D.vectorBitSize() >= 128;
    /** Float lanes of half the double shape: L floats, loaded and widened to L doubles. */
    private static final VectorSpecies<Float> F = USABLE
            ? VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2)) : null;
    /** Pairs per pass: 256 pairs, 4 KB of numbers and 2 KB of radii, well inside the first-level cache. */
    static final int CHUNK_PAIRS = 256;

    private VectorGaussian() {
    }

    /** As {@link Gaussian#noiseRange}. */
    static void noise(long state, double sigma, double scale, float[] in, float[] out, int from, int to) {
        int vFrom = (from + BLOCK - 1) / BLOCK * BLOCK;
        int vTo = to / BLOCK * BLOCK;
        if (!USABLE || vFrom >= vTo || to > Math.min(in.length, out.length) || from < 0) {
            Gaussian.noiseRange(state, sigma, scale, in, out, from, to);
            return;
        }
        Gaussian.noiseRange(state, sigma, scale, in, out, from, vFrom);
        double[] r = new double[CHUNK_PAIRS];
        double[] z = new double[2 * CHUNK_PAIRS];
        for (int first = vFrom; first < vTo; first += 2 * CHUNK_PAIRS) {
            int n = Math.min(2 * CHUNK_PAIRS, vTo - first);
            radii(state, first / 2, n / 2, r);
            numbers(state, first / 2, n / 2, r, z);
            apply(sigma, scale, in, out, first, n, z);
        }
        Gaussian.noiseRange(state, sigma, scale, in, out, vTo, to);
    }

    private static LongVector lb(long v) {
        return LongVector.broadcast(LONGS, v);
    }

    private static DoubleVector db(double v) {
        return DoubleVector.broadcast(D, v);
    }

    /**
     * The lanes' counters: pair {@code p0 + l} in lane {@code l} takes outputs {@code 2p} and {@code 2p + 1}, at
     * {@code state + (2p + 1) G} and one {@code G} further. Made afresh from a scalar for each vector: a vector carried
     * from one iteration to the next is boxed by C2.
     */
    private static LongVector counters(LongVector lanes, long state, long p0) {
        return lanes.add(state + (2 * p0 + 1) * Gaussian.GOLDEN);
    }

    /** {@code 2G l} in lane l. */
    private static LongVector lanes() {
        return LongVector.zero(LONGS).addIndex(1).mul(2 * Gaussian.GOLDEN);
    }

    /** {@code r[i] = sqrt(-2 ln u)} of pairs {@code p0 + i}, {@code i < n} (a multiple of L). */
    private static void radii(long state, long p0, int n, double[] r) {
        LongVector lanes = lanes();
        LongVector oneBits = lb(Gaussian.ONE_BITS);
        LongVector halfBits = lb(Gaussian.HALF_BITS);
        LongVector mantissaMask = lb(Gaussian.MANTISSA);
        LongVector sqrt2 = lb(Gaussian.SQRT2_MANTISSA);
        LongVector two52 = lb(Gaussian.TWO52_BITS);
        DoubleVector one = db(1.0);
        DoubleVector two = db(2.0);
        DoubleVector half = db(0.5);
        DoubleVector minusTwo = db(-2.0);
        DoubleVector bias = db(Gaussian.TWO52_PLUS_BIAS);
        for (int i = 0; i < n; i += L) {
            LongVector a = mix(counters(lanes, state, p0 + i));
            DoubleVector u = two.sub(a.lanewise(VectorOperators.LSHR, 12).or(oneBits).reinterpretAsDoubles());
            LongVector bits = u.reinterpretAsLongs();
            LongVector mantissa = bits.and(mantissaMask);
            VectorMask<Long> high = mantissa.compare(VectorOperators.GT, sqrt2);
            DoubleVector m = mantissa.or(oneBits.blend(halfBits, high)).reinterpretAsDoubles();
            DoubleVector k = bits.lanewise(VectorOperators.LSHR, 52).add(lb(1), high).or(two52).reinterpretAsDoubles().sub(bias);
            DoubleVector f = m.sub(one);
            DoubleVector s = f.div(two.add(f));
            DoubleVector z = s.mul(s);
            DoubleVector w = z.mul(z);
            DoubleVector t1 = w.mul(Gaussian.LG6).add(Gaussian.LG4);
            t1 = w.mul(w.mul(t1).add(Gaussian.LG2));
            DoubleVector t2 = w.mul(Gaussian.LG7).add(Gaussian.LG5);
            t2 = w.mul(t2).add(Gaussian.LG3);
            t2 = z.mul(w.mul(t2).add(Gaussian.LG1));
            DoubleVector rr = t2.add(t1);
            DoubleVector hfsq = half.mul(f).mul(f);
            DoubleVector log = k.mul(Gaussian.LN2_HI).sub(hfsq.sub(s.mul(hfsq.add(rr)).add(k.mul(Gaussian.LN2_LO))).sub(f));
            minusTwo.mul(log).lanewise(VectorOperators.SQRT).intoArray(r, i);
        }
    }

    /**
     * The numbers of pairs {@code p0 + i}, {@code i < n}, in element order: {@code r cos theta} at {@code 16b + k} and
     * {@code r sin theta} at {@code 16b + 8 + k} of {@code z}, for pair {@code i = 8b + k}.
     */
    private static void numbers(long state, long p0, int n, double[] r, double[] z) {
        LongVector lanes = lanes();
        LongVector oneBits = lb(Gaussian.ONE_BITS);
        LongVector sign = lb(Gaussian.SIGN);
        LongVector lowWord = lb(~Gaussian.LOW_WORD);
        DoubleVector one = db(1.0);
        DoubleVector half = db(0.5);
        DoubleVector quarterPi = db(Gaussian.PI_4);
        DoubleVector zero = DoubleVector.zero(D);
        DoubleVector qxMax = db(Gaussian.COS_QX_MAX);
        for (int i = 0; i < n; i += L) {
            LongVector c = mix(counters(lanes, state, p0 + i).add(Gaussian.GOLDEN));
            DoubleVector phi = c.lanewise(VectorOperators.LSHR, 12).or(oneBits).reinterpretAsDoubles().sub(one).mul(quarterPi);
            DoubleVector pz = phi.mul(phi);
            DoubleVector pv = pz.mul(phi);
            DoubleVector sr = pz.mul(Gaussian.S6).add(Gaussian.S5);
            sr = pz.mul(sr).add(Gaussian.S4);
            sr = pz.mul(sr).add(Gaussian.S3);
            sr = pz.mul(sr).add(Gaussian.S2);
            DoubleVector sin = phi.add(pv.mul(pz.mul(sr).add(Gaussian.S1)));
            DoubleVector cr = pz.mul(Gaussian.C6).add(Gaussian.C5);
            cr = pz.mul(cr).add(Gaussian.C4);
            cr = pz.mul(cr).add(Gaussian.C3);
            cr = pz.mul(cr).add(Gaussian.C2);
            cr = pz.mul(pz.mul(cr).add(Gaussian.C1));
            DoubleVector quarter = phi.mul(0.25).reinterpretAsLongs().and(lowWord).reinterpretAsDoubles();
            DoubleVector qx = zero.blend(quarter, phi.compare(VectorOperators.GE, Gaussian.COS_SMALL))
                    .blend(qxMax, phi.compare(VectorOperators.GT, Gaussian.COS_LARGE));
            DoubleVector cos = one.sub(qx).sub(half.mul(pz).sub(qx).sub(pz.mul(cr)));
            LongVector sinBits = sin.reinterpretAsLongs();
            LongVector cosBits = cos.reinterpretAsLongs();
            VectorMask<Long> swap = c.and(1L).compare(VectorOperators.NE, 0L);
            DoubleVector rv = DoubleVector.fromArray(D, r, i);
            int at = i / PAIRS * BLOCK + i % PAIRS;
            cosBits.blend(sinBits, swap).lanewise(VectorOperators.XOR, c.lanewise(VectorOperators.LSHL, 62).and(sign))
                    .reinterpretAsDoubles().mul(rv).intoArray(z, at);
            sinBits.blend(cosBits, swap).lanewise(VectorOperators.XOR, c.lanewise(VectorOperators.LSHL, 61).and(sign))
                    .reinterpretAsDoubles().mul(rv).intoArray(z, at + PAIRS);
        }
    }

    /** {@code out[first + j] = (float) ((in[first + j] + sigma z[j]) * scale)} for {@code j < n} (a multiple of L). */
    private static void apply(double sigma, double scale, float[] in, float[] out, int first, int n, double[] z) {
        DoubleVector sigmaV = db(sigma);
        DoubleVector scaleV = db(scale);
        for (int j = 0; j < n; j += L) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(F, in, first + j).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector t = x.add(sigmaV.mul(DoubleVector.fromArray(D, z, j))).mul(scaleV);
            ((FloatVector) t.convertShape(VectorOperators.D2F, F, 0)).intoArray(out, first + j);
        }
    }

    /** SplitMix64's finalizer, lane by lane. */
    private static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(Gaussian.MIX1);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(Gaussian.MIX2);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }
}
