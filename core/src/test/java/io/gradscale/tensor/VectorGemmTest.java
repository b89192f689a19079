package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed GEMM over odd shapes, every transpose combination, accumulation, offsets and leading
 * dimensions wider than the matrices (sizes on both sides of the small-problem and parallel thresholds): within the forward error bound of a double-precision product,
 * bit-identical to the summation order it documents, and bit-identical on 1, 2 and 3 threads.
 *
 * <p>Not tagged {@code kernels}: it calls the Vector API class directly, so it runs only in the JVM
 * that has the {@code jdk.incubator.vector} module.
 */
class VectorGemmTest {
    private static final Parallel TWO = Parallel.ofThreads(2);
    private static final Parallel THREE = Parallel.ofThreads(3);
    /** Unit roundoff of float32. */
    private static final double U = 0x1p-24;
    private static final float GUARD = 12345.678f;

    @AfterAll
    static void close() {
        TWO.close();
        THREE.close();
    }

    /** m, n, k: small-path sizes, exact tiles, edge tiles in both directions, one to several k-blocks. */
    static Stream<Arguments> cases() {
        int[][] shapes = {
            {1, 1, 1}, {7, 33, 5}, {64, 64, 64},
            {6, 32, 1400}, {12, 64, 256}, {13, 47, 300}, {65, 97, 513}, {128, 10, 256},
            {1, 700, 400}, {200, 1, 1500}, {100, 130, 784}, {37, 300, 260}, {131, 33, 77}, {150, 200, 300},
            {512, 32, 1600}, // an LSTM's dW_ih: with A transposed, solved as C^T = B^T A
            {64, 256, 256}, // deep-mlp's products: x W^T as C^T = W x^T on one thread, directly on several
        };
        Stream.Builder<Arguments> b = Stream.builder();
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (boolean acc : new boolean[] {false, true}) {
                    b.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, acc));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4} accumulate={5}")
    @MethodSource("cases")
    void matchesDoubleProductAndDocumentedOrderOnAnyThreadCount(int m, int n, int k, boolean ta, boolean tb,
                                                                boolean acc) {
        Problem p = new Problem(m, n, k, ta, tb, acc, new Rng(31L * m + 7L * n + k + (ta ? 1 : 0) + (tb ? 2 : 0)));
        int kc = (long) m * n * k <= VectorGemm.SMALL_WORK ? k : VectorGemm.kBlockDepth(k);
        float[] spec = p.inOrder(kc);
        for (Parallel par : new Parallel[] {Parallel.serial(), TWO, THREE}) {
            float[] c = p.c0.clone();
            VectorGemm.gemm(ta, tb, m, n, k, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, acc, c, p.cOff, p.ldc, par);
            String what = p + " on " + par.threads() + " thread(s)";
            assertBits(spec, c, what);
            p.assertWithinErrorBound(c, what);
        }
    }

    @Test
    void severalColumnPanelsGiveTheSameBits() {
        int m = 45, n = 150, k = 600;
        for (int t = 0; t < 4; t++) {
            Problem p = new Problem(m, n, k, (t & 1) != 0, (t & 2) != 0, t == 3, new Rng(100 + t));
            float[] spec = p.inOrder(VectorGemm.kBlockDepth(k));
            for (Parallel par : new Parallel[] {Parallel.serial(), TWO}) {
                float[] c = p.c0.clone();
                // A panel limit of 64 columns cuts n = 150 into three panels.
                VectorGemm.blocked(p.ta, p.tb, m, n, k, p.a, p.aOff, p.lda, p.b, p.bOff, p.ldb, p.acc,
                        c, p.cOff, p.ldc, par, 64 * k);
                assertBits(spec, c, p + " in 64-column panels on " + par.threads() + " thread(s)");
            }
        }
    }

    @Test
    void kBlocksHaveEqualDepth() {
        assertEquals(1, VectorGemm.kBlockDepth(1));
        assertEquals(VectorGemm.KC, VectorGemm.kBlockDepth(VectorGemm.KC));
        assertEquals(VectorGemm.KC / 2 + 1, VectorGemm.kBlockDepth(VectorGemm.KC + 1));
        assertEquals(392, VectorGemm.kBlockDepth(784));
        assertEquals(400, VectorGemm.kBlockDepth(1200));
        for (int k = 1; k < 3000; k += 37) {
            int d = VectorGemm.kBlockDepth(k);
            int blocks = VectorGemm.ceil(k, d);
            assertTrue(d <= VectorGemm.KC && blocks == VectorGemm.ceil(k, VectorGemm.KC),
                    "k=" + k + ": depth " + d + " in " + blocks + " blocks");
        }
    }

    @Test
    void emptyProductsClearOrKeepC() {
        float[] c = {1f, 2f, 3f, 4f};
        VectorGemm.gemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[2], 0, 2, true, c, 0, 2, Parallel.serial());
        assertBits(new float[] {1f, 2f, 3f, 4f}, c, "k = 0 accumulating");
        VectorGemm.gemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[2], 0, 2, false, c, 0, 2, Parallel.serial());
        assertBits(new float[4], c, "k = 0 overwriting");
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** Operands stored inside larger buffers: non-zero offsets and leading dimensions 3 wider than needed. */
    private static final class Problem {
        final int m, n, k;
        final boolean ta, tb, acc;
        final float[] a, b, c0;
        final int aOff = 5, bOff = 3, cOff = 2;
        final int lda, ldb, ldc;

        Problem(int m, int n, int k, boolean ta, boolean tb, boolean acc, Rng rng) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.ta = ta;
            this.tb = tb;
            this.acc = acc;
            lda = (ta ? m : k) + 3;
            ldb = (tb ? k : n) + 3;
            ldc = n + 3;
            a = random(rng, aOff + (ta ? k : m) * lda);
            b = random(rng, bOff + (tb ? n : k) * ldb);
            c0 = new float[cOff + m * ldc];
            java.util.Arrays.fill(c0, GUARD);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c0[cOff + i * ldc + j] = (float) rng.nextGaussian();
                }
            }
        }

        float a(int i, int p) {
            return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float b(int p, int j) {
            return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /** The documented order: per k-block of depth {@code kc}, fma from zero, then store or add to C. */
        float[] inOrder(int kc) {
            float[] c = c0.clone();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int idx = cOff + i * ldc + j;
                    float cij = c[idx];
                    for (int p0 = 0; p0 < k; p0 += kc) {
                        float s = 0f;
                        for (int p = p0; p < Math.min(k, p0 + kc); p++) {
                            s = Math.fma(a(i, p), b(p, j), s);
                        }
                        cij = p0 == 0 && !acc ? s : cij + s;
                    }
                    c[idx] = cij;
                }
            }
            return c;
        }

        /** {@code |c - exact| <= gamma_(k+1) (sum |a||b| + |c0|)}, the classical bound for a float dot product. */
        void assertWithinErrorBound(float[] c, String what) {
            double gamma = (k + 1) * U / (1 - (k + 1) * U);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int idx = cOff + i * ldc + j;
                    double exact = acc ? c0[idx] : 0.0;
                    double mag = acc ? Math.abs(c0[idx]) : 0.0;
                    for (int p = 0; p < k; p++) {
                        double t = (double) a(i, p) * b(p, j);
                        exact += t;
                        mag += Math.abs(t);
                    }
                    double err = Math.abs(c[idx] - exact);
                    if (err > gamma * mag + Float.MIN_NORMAL) {
                        throw new AssertionError(what + ": C[" + i + "," + j + "] = " + c[idx] + ", exact " + exact
                                + ", error " + err + " above bound " + gamma * mag);
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                    assertEquals(GUARD, c[cOff + i * ldc + j], what + ": wrote outside C at row " + i + " column " + j);
                }
            }
            for (int i = 0; i < cOff; i++) {
                assertEquals(GUARD, c[i], what + ": wrote before C at " + i);
            }
        }

        @Override
        public String toString() {
            return m + "x" + n + "x" + k + (ta ? " A^T" : "") + (tb ? " B^T" : "") + (acc ? " accumulating" : "");
        }

        private static float[] random(Rng rng, int len) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            return x;
        }
    }
}
