package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The same inputs give the same bits on one thread and on two (and three). */
@Tag("kernels")
class DeterminismTest {
    private static final Engine ONE = Engine.serial();
    private static final Engine TWO = Engine.withThreads(2);
    private static final Engine THREE = Engine.withThreads(3);

    @AfterAll
    static void close() {
        TWO.parallel().close();
        THREE.parallel().close();
    }

    @Test
    void reductionsAreBitIdenticalAcrossThreadCounts() {
        Tensor a = Tensor.randn(new Rng(1), 3_000_017);
        long s1 = Double.doubleToRawLongBits(ONE.sumSquares(a));
        assertEquals(s1, Double.doubleToRawLongBits(TWO.sumSquares(a)));
        assertEquals(s1, Double.doubleToRawLongBits(THREE.sumSquares(a)));
        long t1 = Double.doubleToRawLongBits(ONE.sum(a));
        assertEquals(t1, Double.doubleToRawLongBits(TWO.sum(a)));
        assertEquals(t1, Double.doubleToRawLongBits(THREE.sum(a)));
    }

    @Test
    void matmulIsBitIdenticalAcrossThreadCounts() {
        Rng rng = new Rng(2);
        for (int[] s : new int[][] {{257, 129, 300}, {128, 784, 512}, {33, 17, 1000}}) {
            Tensor a = Tensor.randn(rng, s[0], s[2]);
            Tensor b = Tensor.randn(rng, s[2], s[1]);
            for (boolean tb : new boolean[] {false, true}) {
                Tensor bb = tb ? ONE.transpose(b) : b;
                Tensor c1 = ONE.matmul(a, bb, false, tb);
                assertTrue(c1.bitEquals(TWO.matmul(a, bb, false, tb)), "2 threads, shape " + java.util.Arrays.toString(s));
                assertTrue(c1.bitEquals(THREE.matmul(a, bb, false, tb)), "3 threads, shape " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void elementwiseAndAxisOpsAreBitIdentical() {
        Rng rng = new Rng(3);
        Tensor a = Tensor.randn(rng, 300, 1000);
        Tensor b = Tensor.randn(rng, 1000);
        assertTrue(ONE.add(a, b).bitEquals(TWO.add(a, b)));
        assertTrue(ONE.unary(UnaryOp.TANH, 0f, a).bitEquals(TWO.unary(UnaryOp.TANH, 0f, a)));
        assertTrue(ONE.sum(a, 0, false).bitEquals(TWO.sum(a, 0, false)));
        assertTrue(ONE.sum(a, 1, true).bitEquals(TWO.sum(a, 1, true)));
        assertTrue(ONE.logSoftmax(a).bitEquals(TWO.logSoftmax(a)));
    }

    @Test
    void parallelLoopsPropagateFailures() {
        try (Parallel p = Parallel.ofThreads(2)) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> p.forRange(100, 10, (lo, hi) -> {
                        if (lo == 50) {
                            throw new IllegalStateException("chunk 5 failed");
                        }
                    }));
            assertEquals("chunk 5 failed", e.getMessage());
            double s = p.sumRange(1000, 7, (lo, hi) -> hi - lo);
            assertEquals(1000.0, s);
        }
    }

    @Test
    void nestedParallelLoopsDoNotDeadlock() {
        try (Parallel p = Parallel.ofThreads(2)) {
            double[] out = new double[8];
            p.forRange(8, 1, (lo, hi) -> out[lo] = p.sumRange(1000, 10, (a, b) -> b - a));
            for (double v : out) {
                assertEquals(1000.0, v);
            }
        }
    }
}
