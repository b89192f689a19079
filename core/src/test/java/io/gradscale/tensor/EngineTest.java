package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Tensor operations: broadcasting, axes, slicing, indexing, and the errors bad shapes get. */
@Tag("kernels")
class EngineTest {
    private final Engine e = Engine.serial();

    @Test
    void broadcastingFollowsNumpyRules() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, e.add(a, Tensor.vector(10, 20, 30)).data());
        assertArrayEquals(new float[] {2, 3, 4, 6, 7, 8}, e.add(a, Tensor.of(new float[] {1, 2}, 2, 1)).data());
        assertArrayEquals(new float[] {9, 8, 7, 6, 5, 4}, e.sub(Tensor.scalar(10), a).data());
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, e.div(a, Tensor.scalar(2)).data());
        Tensor col = Tensor.of(new float[] {1, 2}, 2, 1, 1);
        Tensor row = Tensor.of(new float[] {1, 10, 100}, 1, 3);
        Tensor outer = e.mul(col, row);
        assertEquals(Shape.of(2, 1, 3), outer.shape());
        assertArrayEquals(new float[] {1, 10, 100, 2, 20, 200}, outer.data());
    }

    @Test
    void badShapesNameTheOperationAndBothShapes() {
        ShapeException ex = assertThrows(ShapeException.class, () -> e.add(Tensor.zeros(2, 3), Tensor.zeros(4)));
        assertTrue(ex.getMessage().contains("add") && ex.getMessage().contains("[2, 3]") && ex.getMessage().contains("[4]"),
                ex.getMessage());
        ex = assertThrows(ShapeException.class, () -> e.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5), false, false));
        assertTrue(ex.getMessage().contains("matmul") && ex.getMessage().contains("[2, 3]") && ex.getMessage().contains("[4, 5]"),
                ex.getMessage());
        ex = assertThrows(ShapeException.class, () -> e.concat(0, Tensor.zeros(2, 3), Tensor.zeros(2, 4)));
        assertTrue(ex.getMessage().contains("[2, 3]") && ex.getMessage().contains("[2, 4]"), ex.getMessage());
        assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).reshape(4, 2));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(1, 2, 3, 4, 5));
    }

    @Test
    void axisReductions() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {5, 7, 9}, e.sum(a, 0, false).data());
        assertArrayEquals(new float[] {6, 15}, e.sum(a, -1, false).data());
        assertEquals(Shape.of(2, 1), e.sum(a, 1, true).shape());
        Engine.ArgMax m = e.max(Tensor.of(new float[] {1, 9, 3, 7, 2, 7}, 2, 3), 1, false);
        assertArrayEquals(new float[] {9, 7}, m.values().data());
        assertArrayEquals(new int[] {1, 0}, m.indices());
        assertEquals(21.0, e.sum(a));
        assertEquals(91.0, e.sumSquares(a));
    }

    @Test
    void sumToShapeInvertsBroadcasting() {
        Tensor g = Tensor.ones(2, 3, 4);
        assertArrayEquals(new float[] {6, 6, 6, 6}, e.sumToShape(g, Shape.of(4)).data());
        assertArrayEquals(new float[] {8, 8, 8}, e.sumToShape(g, Shape.of(3, 1)).data());
        assertArrayEquals(new float[] {12, 12}, e.sumToShape(g, Shape.of(2, 1, 1)).data());
        assertEquals(24f, e.sumToShape(g, Shape.scalar()).item());
    }

    @Test
    void matmulVariants() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertArrayEquals(new float[] {4, 5, 10, 11}, e.matmul(a, b, false, false).data());
        assertArrayEquals(new float[] {4, 5, 10, 11}, e.matmul(e.transpose(a), b, true, false).data());
        assertArrayEquals(new float[] {4, 5, 10, 11}, e.matmul(a, e.transpose(b), false, true).data());
        Tensor batched = e.matmul(a.reshape(1, 2, 3), b, false, false);
        assertEquals(Shape.of(1, 2, 2), batched.shape());
        Tensor bb = e.matmul(a.reshape(1, 2, 3), b.reshape(1, 3, 2), false, false);
        assertArrayEquals(new float[] {4, 5, 10, 11}, bb.data());
    }

    @Test
    void softmaxRowsSumToOneAndLogSoftmaxIsStable() {
        Tensor x = Tensor.of(new float[] {1000, 1001, 1002, -5, 0, 5}, 2, 3);
        Tensor s = e.softmax(x);
        assertEquals(1.0, s.data()[0] + s.data()[1] + s.data()[2], 1e-6);
        Tensor ls = e.logSoftmax(x);
        for (float v : ls.data()) {
            assertTrue(Float.isFinite(v));
        }
        assertEquals(Math.log(s.data()[2]), ls.data()[2], 1e-6);
    }

    @Test
    void sliceConcatGatherScatter() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        Tensor s = e.slice(a, 1, 1, 3);
        assertArrayEquals(new float[] {2, 3, 6, 7}, s.data());
        Tensor c = e.concat(1, e.slice(a, 1, 0, 1), s, e.slice(a, 1, 3, 4));
        assertTrue(c.bitEquals(a));
        assertArrayEquals(new float[] {2, 8}, e.gatherLast(a, new int[] {1, 3}).data());
        assertArrayEquals(new float[] {0, 5, 0, 0, 0, 0, 0, 7}, e.scatterLast(Tensor.vector(5, 7), new int[] {1, 3}, a.shape()).data());
        assertThrows(IndexOutOfBoundsException.class, () -> e.gatherLast(a, new int[] {0, 4}));
        assertThrows(ShapeException.class, () -> e.slice(a, 1, 2, 5));
    }

    @Test
    void rngIsReproducibleAndResumable() {
        Rng a = new Rng(42);
        a.nextLong();
        long state = a.state();
        double x = a.nextGaussian();
        Rng b = new Rng(0);
        b.setState(state);
        assertEquals(x, b.nextGaussian());
        double mean = 0;
        double var = 0;
        Rng r = new Rng(9);
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            mean += g;
            var += g * g;
        }
        assertEquals(0.0, mean / n, 0.01);
        assertEquals(1.0, var / n, 0.01);
    }

    /** A bias added row by row in chunks across 1-3 threads: every row gets exactly {@code y_r + b}, the bits of one add. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} threads, {1} x {2}")
    @org.junit.jupiter.params.provider.CsvSource({"1, 64, 256", "2, 64, 256", "3, 64, 256", "2, 1, 5", "2, 300, 17",
        "3, 128, 512"})
    void aRowAddedInPlaceOnAnyPoolIsTheElementWiseSum(int threads, int rows, int cols) {
        Rng rng = new Rng(rows * 31L + cols);
        Tensor y = Tensor.randn(rng, rows, cols);
        Tensor b = Tensor.randn(rng, cols);
        float[] expected = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                expected[r * cols + c] = y.data()[r * cols + c] + b.data()[c];
            }
        }
        Engine e = Engine.withThreads(threads);
        try {
            e.addRowInPlace(y, b);
        } finally {
            e.parallel().close();
        }
        assertArrayEquals(expected, y.data());
    }

    @Test
    void aRowThatDoesNotFitIsRefusedWithBothShapes() {
        ShapeException ex = assertThrows(ShapeException.class,
                () -> Engine.serial().addRowInPlace(Tensor.zeros(4, 3), Tensor.zeros(4)));
        assertTrue(ex.getMessage().contains("[4]") && ex.getMessage().contains("[4, 3]"), ex.getMessage());
        assertThrows(ShapeException.class, () -> Engine.serial().addRowInPlace(Tensor.zeros(12), Tensor.zeros(12)));
    }
}
