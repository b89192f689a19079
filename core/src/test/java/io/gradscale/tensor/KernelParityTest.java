package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The fast kernels against the scalar reference, over lengths that exercise vector tails. */
@Tag("kernels")
class KernelParityTest {
    private static final Kernels FAST = Kernels.best();
    private static final Kernels REF = Kernels.reference();

    static IntStream lengths() {
        return IntStream.of(0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 1023, 1025, 4099);
    }

    private static float[] random(Rng rng, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return a;
    }

    @Test
    void reportsWhichKernelsRun() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module, FAST != REF, "the SIMD kernels are used exactly when the Vector API module is present");
    }

    /** Gaussian noise, bit for bit, over ranges starting inside a block, across blocks, and in place. */
    @ParameterizedTest
    @MethodSource("lengths")
    void gaussianNoiseIsExact(int n) {
        Rng rng = new Rng(31 + n);
        float[] in = random(rng, n + 40, -3, 3);
        for (int from : new int[] {0, 5, 16, 23}) {
            for (long state : new long[] {n, -7L * n, Long.MAX_VALUE}) {
                float[] r1 = new float[in.length];
                float[] r2 = new float[in.length];
                FAST.gaussianNoise(state, 1.7, 0.01, in, r1, from, from + n);
                REF.gaussianNoise(state, 1.7, 0.01, in, r2, from, from + n);
                assertArrayBits(r2, r1, "gaussianNoise from " + from + ", state " + state);
                float[] same = in.clone();
                FAST.gaussianNoise(state, 1.7, 0.01, same, same, from, from + n);
                for (int j = 0; j < in.length; j++) {
                    assertEquals(Float.floatToRawIntBits(j >= from && j < from + n ? r2[j] : in[j]), Float.floatToRawIntBits(same[j]),
                            "in place, element " + j);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("lengths")
    void binaryKernelsAreExact(int n) {
        Rng rng = new Rng(n);
        float[] a = random(rng, n + 3, -2, 2);
        float[] b = random(rng, n + 5, 0.5f, 2);
        float[] r1 = new float[n + 1];
        float[] r2 = new float[n + 1];
        FAST.add(a, 3, b, 5, r1, 1, n);
        REF.add(a, 3, b, 5, r2, 1, n);
        assertArrayBits(r2, r1, "add");
        FAST.sub(a, 3, b, 5, r1, 1, n);
        REF.sub(a, 3, b, 5, r2, 1, n);
        assertArrayBits(r2, r1, "sub");
        FAST.mul(a, 3, b, 5, r1, 1, n);
        REF.mul(a, 3, b, 5, r2, 1, n);
        assertArrayBits(r2, r1, "mul");
        FAST.div(a, 3, b, 5, r1, 1, n);
        REF.div(a, 3, b, 5, r2, 1, n);
        assertArrayBits(r2, r1, "div");
        FAST.scaleShift(a, 3, 1.7f, -0.3f, r1, 1, n);
        REF.scaleShift(a, 3, 1.7f, -0.3f, r2, 1, n);
        assertArrayBits(r2, r1, "scaleShift");
    }

    /**
     * The LSTM cell's new state, over widths with vector tails, at offsets, with signed zeros, infinities and
     * NaN among the gates and the state (a fused multiply-add or a reordered sum would change the bits).
     */
    @ParameterizedTest
    @MethodSource("lengths")
    void lstmCellStateIsExact(int h) {
        Rng rng = new Rng(h + 5);
        float[] act = random(rng, 3 * h + 2, -1.5f, 1.5f);
        float[] c = random(rng, h + 1, -3, 3);
        float[] special = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, 3e38f};
        for (int j = 0; j < h; j += 5) {
            act[2 + j] = special[j % special.length];
            c[1 + (j * 3) % h] = special[(j + 2) % special.length];
        }
        float[] want = new float[h + 2];
        float[] got = new float[h + 2];
        REF.lstmCellState(act, 2, c, 1, h, want);
        FAST.lstmCellState(act, 2, c, 1, h, got);
        assertArrayBits(want, got, "lstmCellState");
        for (int j = 0; j < h; j++) {
            float expected = act[2 + h + j] * c[1 + j] + act[2 + j] * act[2 + 2 * h + j];
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(want[1 + j]), "reference at " + j);
        }
    }

    /**
     * The GRU cell's candidate, new state and backward row over widths with vector tails, at offsets, with
     * signed zeros, infinities and NaN among the inputs, and the backward with and without {@code dPrev}; each
     * also held to its formula written out here.
     */
    @ParameterizedTest
    @MethodSource("lengths")
    void gruCellKernelsAreExact(int h) {
        Rng rng = new Rng(h + 17);
        float[] xp = random(rng, 3 * h + 3, -2, 2);
        float[] hp = random(rng, 3 * h + 5, -2, 2);
        float[] rz = random(rng, 2 * h + 1, 0.01f, 0.99f);
        float[] n = random(rng, h + 2, -0.99f, 0.99f);
        float[] hprev = random(rng, h + 2, -1, 1);
        float[] dh = random(rng, h + 2, -1, 1);
        float[] special = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, 3e38f};
        for (int j = 0; j < h; j += 5) {
            xp[3 + 2 * h + j] = special[j % special.length];
            hprev[2 + (j * 3) % h] = special[(j + 2) % special.length];
            dh[2 + (j * 7) % h] = special[(j + 4) % special.length];
        }
        float[] want = new float[h + 2];
        float[] got = new float[h + 2];
        REF.gruCellCandidate(xp, 3, rz, 1, hp, 5, h, want, 2);
        FAST.gruCellCandidate(xp, 3, rz, 1, hp, 5, h, got, 2);
        assertArrayBits(want, got, "gruCellCandidate");
        for (int j = 0; j < h; j++) {
            assertEquals(Float.floatToIntBits(xp[3 + 2 * h + j] + rz[1 + j] * hp[5 + 2 * h + j]),
                    Float.floatToIntBits(want[2 + j]), "candidate at " + j);
        }
        want = new float[h + 2];
        got = new float[h + 2];
        REF.gruCellState(rz, 1, n, hprev, 2, h, want);
        FAST.gruCellState(rz, 1, n, hprev, 2, h, got);
        assertArrayBits(want, got, "gruCellState");
        for (int j = 0; j < h; j++) {
            float z = rz[1 + h + j];
            assertEquals(Float.floatToIntBits((1f - z) * n[2 + j] + z * hprev[2 + j]), Float.floatToIntBits(want[2 + j]),
                    "state at " + j);
        }
        for (boolean prev : new boolean[] {false, true}) {
            float[][] out = new float[2][];
            for (int impl = 0; impl < 2; impl++) {
                float[] dx = new float[3 * h + 5];
                float[] dhp = new float[3 * h + 5];
                float[] dp = prev ? new float[h + 2] : null;
                (impl == 0 ? REF : FAST).gruCellBackward(rz, 1, n, hprev, dh, 2, h, hp, 5, dx, dhp, dp);
                out[impl] = concat(dx, dhp, dp);
                if (impl == 0) {
                    for (int j = 0; j < h; j++) {
                        float rg = rz[1 + j];
                        float z = rz[1 + h + j];
                        float d = dh[2 + j];
                        float an = d * (1f - z) * (1f - n[2 + j] * n[2 + j]);
                        assertEquals(Float.floatToIntBits(an), Float.floatToIntBits(dx[5 + 2 * h + j]), "a_n at " + j);
                        assertEquals(Float.floatToIntBits(an * hp[5 + 2 * h + j] * rg * (1f - rg)), Float.floatToIntBits(dx[5 + j]),
                                "a_r at " + j);
                        assertEquals(Float.floatToIntBits(an * rg), Float.floatToIntBits(dhp[5 + 2 * h + j]), "dhp_n at " + j);
                        assertEquals(Float.floatToIntBits(d * (hprev[2 + j] - n[2 + j]) * z * (1f - z)),
                                Float.floatToIntBits(dhp[5 + h + j]), "a_z at " + j);
                    }
                }
            }
            assertArrayBits(out[0], out[1], "gruCellBackward, dPrev " + prev);
        }
    }

    /** The LSTM cell's backward row, with and without each optional gradient, over widths with vector tails. */
    @ParameterizedTest
    @MethodSource("lengths")
    void lstmCellBackwardIsExact(int h) {
        Rng rng = new Rng(h + 11);
        float[] act = random(rng, 4 * h + 2, 0.01f, 0.99f);
        float[] tc = random(rng, h + 1, -0.99f, 0.99f);
        float[] c = random(rng, h + 1, -2, 2);
        float[] dh = random(rng, h + 1, -1, 1);
        float[] dcn = random(rng, h + 1, -1, 1);
        for (int mask = 0; mask < 8; mask++) {
            float[] dhm = (mask & 1) != 0 ? dh : null;
            float[] dcm = (mask & 2) != 0 ? dcn : null;
            boolean prev = (mask & 4) != 0;
            float[] dp1 = new float[4 * h + 3];
            float[] dp2 = new float[4 * h + 3];
            float[] p1 = prev ? new float[h + 1] : null;
            float[] p2 = prev ? new float[h + 1] : null;
            FAST.lstmCellBackward(act, 2, tc, c, dhm, dcm, 1, h, dp1, 3, p1);
            REF.lstmCellBackward(act, 2, tc, c, dhm, dcm, 1, h, dp2, 3, p2);
            assertArrayBits(dp2, dp1, "dp, mask " + mask);
            if (prev) {
                assertArrayBits(p2, p1, "dcPrev, mask " + mask);
            }
        }
    }

    /**
     * The Adam kernel, plain and AMSGrad, writing the update, adding it to the weights (with a factor, without
     * one) or both, and with the gradient read from the update buffer itself; NaN, infinities and signed zeros
     * among the gradients and moments (the maximum of AMSGrad must treat them as {@code Math.max} does).
     */
    @ParameterizedTest
    @MethodSource("lengths")
    void adamIsExact(int n) {
        Rng rng = new Rng(n + 23);
        float[] g0 = random(rng, n + 2, -3, 3);
        float[] m0 = random(rng, n + 2, -1, 1);
        float[] v0 = random(rng, n + 2, 0, 2);
        float[] x0 = random(rng, n + 2, 0, 2);
        float[] w0 = random(rng, n + 2, -1, 1);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, 1e30f};
        for (int i = 0; i < Math.min(n, specials.length); i++) {
            g0[2 + (i * 7) % n] = specials[i];
            x0[2 + (i * 5) % n] = specials[(i + 2) % specials.length] == -0f ? -0f : Math.abs(specials[(i + 2) % specials.length]);
            v0[2 + (i * 3) % n] = i % 2 == 0 ? -0f : 0f;
        }
        AdamCoefficients k = new AdamCoefficients(0.9f, 0.1f, 0.999f, 1e-3f, 0.0447f, 1e-8f, 5.26f);
        for (int mask = 0; mask < 16; mask++) {
            boolean ams = (mask & 1) != 0;
            boolean keep = (mask & 2) != 0;
            boolean apply = (mask & 4) != 0 || !keep;
            float f = (mask & 8) != 0 ? -1e-3f : 1f;
            float[][] out = new float[2][];
            for (int impl = 0; impl < 2; impl++) {
                float[] g = g0.clone();
                float[] m = m0.clone();
                float[] v = v0.clone();
                float[] x = ams ? x0.clone() : null;
                float[] u = keep ? (mask == 2 ? g : new float[n + 2]) : null;
                float[] w = apply ? w0.clone() : null;
                (impl == 0 ? REF : FAST).adam(g, m, v, x, u, w, 2, n, k, f);
                out[impl] = concat(m, v, x, u, w);
            }
            assertArrayBits(out[0], out[1], "mask " + mask);
        }
    }

    /**
     * The momentum kernel on its first and later steps, plain and Nesterov, writing the update, adding it to
     * the weights (with a factor, without one) or both, and with the gradient read from the update buffer
     * itself; NaN, infinities and signed zeros among the gradients and the buffer. Each case is also held
     * to the formula written out here, so that a product taken outside the fused multiply-add fails.
     */
    @ParameterizedTest
    @MethodSource("lengths")
    void momentumIsExact(int n) {
        Rng rng = new Rng(n + 41);
        float[] g0 = random(rng, n + 2, -3, 3);
        float[] b0 = random(rng, n + 2, -1, 1);
        float[] w0 = random(rng, n + 2, -1, 1);
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, 1e30f};
        for (int i = 0; i < Math.min(n, specials.length); i++) {
            g0[2 + (i * 7) % n] = specials[i];
            b0[2 + (i * 5) % n] = specials[(i + 3) % specials.length];
        }
        float mu = 0.9f;
        float keep = 0.7f;
        for (int mask = 0; mask < 32; mask++) {
            boolean first = (mask & 1) != 0;
            boolean nesterov = (mask & 2) != 0;
            boolean keepU = (mask & 4) != 0;
            boolean apply = (mask & 8) != 0 || !keepU;
            float f = (mask & 16) != 0 ? -1e-2f : 1f;
            float[][] out = new float[2][];
            for (int impl = 0; impl < 2; impl++) {
                float[] g = g0.clone();
                float[] b = b0.clone();
                float[] u = keepU ? ((mask & 8) == 0 ? g : new float[n + 2]) : null;
                float[] w = apply ? w0.clone() : null;
                (impl == 0 ? REF : FAST).momentum(g, b, u, w, 2, n, mu, keep, first, nesterov, f);
                out[impl] = concat(b, u, w);
                for (int j = 2; j < n + 2; j++) {
                    float bj = first ? g0[j] : Math.fma(keep, g0[j], b0[j] * mu);
                    float q = nesterov ? Math.fma(mu, bj, g0[j]) : bj;
                    assertEquals(Float.floatToIntBits(bj), Float.floatToIntBits(b[j]), "buffer, mask " + mask + " at " + j);
                    if (u != null) {
                        assertEquals(Float.floatToIntBits(q), Float.floatToIntBits(u[j]), "update, mask " + mask + " at " + j);
                    }
                    if (w != null) {
                        float wj = f == 1f ? w0[j] + q : w0[j] + (q * f + 0f);
                        assertEquals(Float.floatToIntBits(wj), Float.floatToIntBits(w[j]), "weight, mask " + mask + " at " + j);
                    }
                }
            }
            assertArrayBits(out[0], out[1], "mask " + mask);
        }
    }

    /**
     * RMSprop (plain and centered), AdaGrad, Adadelta and NAdam, writing the update, adding it to the weights
     * (with a factor, without one) or both, and with the gradient read from the update buffer itself; NaN,
     * infinities, signed zeros and a negative centered variance (whose square root is NaN) among the inputs.
     */
    @ParameterizedTest
    @MethodSource("lengths")
    void adaptiveOptimizerKernelsAreExact(int n) {
        Rng rng = new Rng(n + 59);
        float[] g0 = random(rng, n + 2, -3, 3);
        float[] s0 = random(rng, n + 2, 0, 2);
        float[] m0 = random(rng, n + 2, -2, 2);
        float[] w0 = random(rng, n + 2, -1, 1);
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, 1e30f};
        for (int i = 0; i < Math.min(n, specials.length); i++) {
            g0[2 + (i * 7) % n] = specials[i];
            s0[2 + (i * 5) % n] = i % 2 == 0 ? -0f : 0f;
        }
        NadamCoefficients nk = new NadamCoefficients(0.9f, 0.1f, 0.999f, 1e-3f, 0.0447f, 1e-8f, 0.21f, 0.83f);
        for (int c = 0; c < 40; c++) {
            int kind = c / 8; // rmsprop, centered rmsprop, adagrad, adadelta, nadam
            int mask = c % 8;
            boolean keepU = (mask & 1) != 0;
            boolean apply = (mask & 2) != 0 || !keepU;
            float f = (mask & 4) != 0 ? -1e-2f : 1f;
            float[][] out = new float[2][];
            for (int impl = 0; impl < 2; impl++) {
                float[] g = g0.clone();
                float[] s = s0.clone();
                // Adadelta's accumulated squared deltas are never negative (the root of a negative one is a NaN
                // whose sign the scalar and vector square roots need not agree on)
                float[] m = kind == 1 || kind == 4 ? m0.clone() : kind == 3 ? s0.clone() : null;
                float[] u = keepU ? ((mask & 2) == 0 ? g : new float[n + 2]) : null;
                float[] w = apply ? w0.clone() : null;
                Kernels k = impl == 0 ? REF : FAST;
                switch (kind) {
                    case 0, 1 -> k.rmsprop(g, s, m, u, w, 2, n, 0.99f, 0.01f, 1e-8f, f);
                    case 2 -> k.adagrad(g, s, u, w, 2, n, 1e-10f, f);
                    case 3 -> k.adadelta(g, s, m, u, w, 2, n, 0.9f, 0.1f, 1e-6f, f); // m: the accumulated deltas
                    default -> k.nadam(g, m, s, u, w, 2, n, nk, f); // s: the second moment
                }
                out[impl] = concat(s, m, u, w);
            }
            assertArrayBits(out[0], out[1], "kind " + kind + ", mask " + mask);
        }
    }

    private static float[] concat(float[]... arrays) {
        int len = 0;
        for (float[] a : arrays) {
            len += a == null ? 0 : a.length;
        }
        float[] r = new float[len];
        int at = 0;
        for (float[] a : arrays) {
            if (a != null) {
                System.arraycopy(a, 0, r, at, a.length);
                at += a.length;
            }
        }
        return r;
    }

    /**
     * The transcendental kernels give the same bits before and after the JIT compiles them (the first call
     * of a fresh JVM runs interpreted, the last one compiled), so results never depend on warm-up, and the
     * special values come out as in the reference.
     */
    @ParameterizedTest
    @MethodSource("transcendental")
    void transcendentalKernelsDoNotDependOnTheJit(UnaryOp op) {
        float[] a = random(new Rng(op.ordinal()), 4096, -30f, 30f);
        float[] first = new float[a.length];
        FAST.unary(op, 0f, a, 0, first, 0, a.length);
        float[] again = new float[a.length];
        for (int rep = 0; rep < 3000; rep++) {
            FAST.unary(op, 0f, a, 0, again, 0, a.length);
        }
        assertArrayBits(first, again, op + " interpreted vs compiled");
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 100f, -100f, 0f, 88.5f, -87.2f,
            1e-8f, -1e-8f, 0.2499f, 0.2501f, -0.2501f, 20f, -20f, 1f};
        float[] got = new float[special.length];
        float[] want = new float[special.length];
        FAST.unary(op, 0f, special, 0, got, 0, special.length);
        REF.unary(op, 0f, special, 0, want, 0, special.length);
        for (int i = 0; i < special.length; i++) {
            boolean subnormal = Math.abs(want[i]) < Float.MIN_NORMAL;
            if (Float.isInfinite(want[i])) {
                assertEquals(want[i], got[i], op + " at " + special[i]);
            } else {
                assertClose(want[i], got[i], subnormal ? Float.MIN_NORMAL : 3e-7, op + " at " + special[i]);
            }
            assertTrue(Float.isNaN(want[i]) || Math.abs(want[i]) > 1e-6 || Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1e-30, Math.abs(want[i])) + 1e-13,
                    op + " keeps relative accuracy near 0 at " + special[i] + ": " + got[i] + " vs " + want[i]);
        }
    }

    static Stream<UnaryOp> transcendental() {
        return Stream.of(UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID);
    }

    static Stream<Arguments> unaryCases() {
        return Stream.of(UnaryOp.values()).flatMap(op -> IntStream.of(1, 17, 64, 1000).mapToObj(n -> Arguments.of(op, n)));
    }

    @ParameterizedTest
    @MethodSource("unaryCases")
    void unaryKernelsMatchReference(UnaryOp op, int n) {
        Rng rng = new Rng(op.ordinal() * 31L + n);
        boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL;
        float[] a = random(rng, n, positive ? 0.1f : -6f, 6f);
        float p = op == UnaryOp.SOFTPLUS ? 1f : 0.1f;
        float[] r1 = new float[n];
        float[] r2 = new float[n];
        FAST.unary(op, p, a, 0, r1, 0, n);
        REF.unary(op, p, a, 0, r2, 0, n);
        for (int i = 0; i < n; i++) {
            assertClose(r2[i], r1[i], 4e-7, op + " at x=" + a[i]);
        }
        float[] g = random(rng, n, -1, 1);
        FAST.unaryBackward(op, p, a, r2, g, r1, 0, n);
        REF.unaryBackward(op, p, a, r2, g, r2.clone(), 0, n);
        float[] expect = new float[n];
        REF.unaryBackward(op, p, a, r2, g, expect, 0, n);
        for (int i = 0; i < n; i++) {
            assertClose(expect[i], r1[i], 4e-7, op + "' at x=" + a[i]);
        }
    }

    @ParameterizedTest
    @MethodSource("lengths")
    void reductionsMatchReference(int n) {
        Rng rng = new Rng(100 + n);
        float[] a = random(rng, n, -3, 3);
        float[] b = random(rng, n, -3, 3);
        assertClose(REF.sum(a, 0, n), FAST.sum(a, 0, n), 1e-6 * n, "sum");
        assertClose(REF.sumSquares(a, 0, n), FAST.sumSquares(a, 0, n), 1e-6 * n, "sumSquares");
        assertClose(REF.dot(a, 0, b, 0, n), FAST.dot(a, 0, b, 0, n), 1e-6 * n, "dot");
        assertEquals(REF.max(a, 0, n), FAST.max(a, 0, n), "max");
        assertEquals(REF.maxAbs(a, 0, n), FAST.maxAbs(a, 0, n), "maxAbs");
        if (n > 0) {
            a[n / 2] = Float.NaN;
            assertTrue(Float.isNaN(FAST.max(a, 0, n)), "max propagates NaN");
            assertTrue(Float.isNaN(FAST.maxAbs(a, 0, n)), "maxAbs propagates NaN");
            assertTrue(Double.isNaN(FAST.sumSquares(a, 0, n)), "sumSquares propagates NaN");
        }
    }

    /** The maximum magnitude on special values: infinities of either sign, signed zeros, subnormals, NaNs with a sign or a payload. */
    @ParameterizedTest
    @MethodSource("lengths")
    void maxAbsIsExactOnSpecialValues(int n) {
        float[] specials = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL,
                -Float.MAX_VALUE, Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001)};
        for (float sp : specials) {
            for (int at : new int[] {0, n / 2, n - 1}) {
                if (n == 0) {
                    continue;
                }
                float[] a = random(new Rng(n + 7), n + 2, -3, 3);
                a[1 + at] = sp;
                float want = REF.maxAbs(a, 1, n);
                float got = FAST.maxAbs(a, 1, n);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), "maxAbs with " + sp + " at " + at);
            }
        }
        float[] zeros = {-0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f};
        assertEquals(Float.floatToRawIntBits(REF.maxAbs(zeros, 0, zeros.length)),
                Float.floatToRawIntBits(FAST.maxAbs(zeros, 0, zeros.length)), "negative zeros");
    }

    @Test
    void longSumsKeepDoubleAccuracy() {
        int n = 10_000_000;
        float[] a = new float[n];
        java.util.Arrays.fill(a, 0.1f);
        double exact = n * (double) 0.1f;
        assertClose(exact, FAST.sum(a, 0, n), 1e-9 * exact, "sum of 1e7 equal values");
        assertClose(exact * 0.1f, FAST.sumSquares(a, 0, n), 1e-6 * exact, "sum of squares of 1e7 equal values");
    }

    static Stream<Arguments> gemmShapes() {
        Rng rng = new Rng(7);
        Stream.Builder<Arguments> b = Stream.builder();
        int[][] fixed = {{1, 1, 1}, {4, 32, 8}, {5, 33, 7}, {17, 1, 9}, {1, 100, 3}, {64, 64, 64}, {33, 65, 129}, {128, 10, 256}};
        for (int[] f : fixed) {
            for (int t = 0; t < 4; t++) {
                b.add(Arguments.of(f[0], f[1], f[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        for (int i = 0; i < 12; i++) {
            b.add(Arguments.of(1 + rng.nextInt(70), 1 + rng.nextInt(90), 1 + rng.nextInt(80), rng.nextInt(2) == 1, rng.nextInt(2) == 1));
        }
        return b.build();
    }

    @ParameterizedTest
    @MethodSource("gemmShapes")
    void gemmMatchesReference(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(m * 1000L + n * 10L + k);
        float[] a = random(rng, m * k, -1, 1);
        float[] b = random(rng, k * n, -1, 1);
        float[] c0 = random(rng, m * n, -1, 1);
        for (boolean acc : new boolean[] {false, true}) {
            float[] c1 = c0.clone();
            float[] c2 = c0.clone();
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            FAST.gemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, acc, c1, 0, n, Parallel.serial());
            exactGemm(ta, tb, m, n, k, a, lda, b, ldb, acc, c2, n);
            for (int i = 0; i < m * n; i++) {
                assertClose(c2[i], c1[i], 2e-6 * (k + 1), "C[" + i / n + "," + i % n + "] of " + m + "x" + n + "x" + k
                        + " ta=" + ta + " tb=" + tb + " acc=" + acc);
            }
        }
    }

    private static void exactGemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
                                  boolean acc, float[] c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                }
                c[i * ldc + j] = (float) ((acc ? c[i * ldc + j] : 0.0) + s);
            }
        }
    }

    @Test
    void referenceGemmAgreesWithExactProduct() {
        Rng rng = new Rng(3);
        int m = 13, n = 11, k = 29;
        float[] a = random(rng, m * k, -1, 1);
        float[] b = random(rng, k * n, -1, 1);
        float[] c1 = new float[m * n];
        float[] c2 = new float[m * n];
        REF.gemm(false, false, m, n, k, a, 0, k, b, 0, n, false, c1, 0, n, Parallel.serial());
        exactGemm(false, false, m, n, k, a, k, b, n, false, c2, n);
        for (int i = 0; i < m * n; i++) {
            assertClose(c2[i], c1[i], 1e-5, "reference C[" + i + "]");
        }
    }

    static void assertClose(double expected, double actual, double tol, String what) {
        double err = Math.abs(expected - actual);
        double scale = Math.max(1.0, Math.abs(expected));
        assertTrue(err <= tol * scale || (Double.isNaN(expected) && Double.isNaN(actual)),
                what + ": expected " + expected + " got " + actual + " (error " + err + ")");
    }

    static void assertArrayBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    what + " differs at " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }
}
