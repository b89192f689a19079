package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Products with the right operand packed once ({@link Engine#packB}) against the same products packed by the
 * GEMM itself: bit-identical over shapes on both sides of the small-problem threshold, one to several k-blocks
 * and panels, every transpose, with and without accumulation, on 1, 2 and 3 threads; and the packed copy is
 * what large products read. Not tagged {@code kernels}: it builds {@link VectorKernels} directly.
 */
class PrepackedGemmTest {
    private static final Parallel TWO = Parallel.ofThreads(2);
    private static final Parallel THREE = Parallel.ofThreads(3);
    private static final Kernels VECTOR = new VectorKernels();

    @AfterAll
    static void close() {
        TWO.close();
        THREE.close();
    }

    /** m, n, k: the LSTM's recurrent products (forward and backward), the small path, edges, several k-blocks. */
    static Stream<Arguments> cases() {
        int[][] shapes = {
            {32, 512, 128}, {32, 128, 512}, {32, 128, 32}, {1, 1, 1}, {64, 64, 64}, {7, 33, 5},
            {13, 47, 300}, {65, 97, 513}, {6, 32, 1400}, {200, 1, 1500}, {150, 200, 300},
        };
        Stream.Builder<Arguments> b = Stream.builder();
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                b.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
    @MethodSource("cases")
    void sameBitsAsTheUnpackedProductOnAnyThreadCount(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(17L * m + 5L * n + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        Tensor a = ta ? Tensor.randn(rng, k, m) : Tensor.randn(rng, m, k);
        Tensor b = tb ? Tensor.randn(rng, n, k) : Tensor.randn(rng, k, n);
        Tensor c0 = Tensor.randn(rng, m, n);
        Tensor want = new Engine(VECTOR, Parallel.serial()).matmul(a, b, ta, tb);
        Tensor wantAcc = c0.copy();
        new Engine(VECTOR, Parallel.serial()).gemmInto(ta, tb, a, b, wantAcc, true);
        for (Parallel par : new Parallel[] {Parallel.serial(), TWO, THREE}) {
            Engine e = new Engine(VECTOR, par);
            PackedMatrix p = e.packB(b, tb);
            assertTrue(p.isPacked());
            assertEquals(k, p.rows());
            assertEquals(n, p.columns());
            assertArrayEquals(want.data(), e.matmul(a, ta, p).data(), "threads " + par);
            Tensor acc = c0.copy();
            e.gemmInto(ta, a, p, acc, true);
            assertArrayEquals(wantAcc.data(), acc.data(), "accumulated, threads " + par);
        }
    }

    @Test
    void severalPanelsOfB() {
        int m = 8;
        int n = VectorGemm.PANEL_FLOATS / 1024 + 40;
        int k = 1024;
        assertTrue(VectorGemm.panelColumns(n, k, VectorGemm.PANEL_FLOATS) < n, "the case must cut B into panels");
        Rng rng = new Rng(3);
        Tensor a = Tensor.randn(rng, m, k);
        Tensor b = Tensor.randn(rng, n, k);
        Engine e = new Engine(VECTOR, TWO);
        assertArrayEquals(e.matmul(a, b, false, true).data(), e.matmul(a, false, e.packB(b, true)).data());
    }

    @Test
    void largeProductsReadThePackedCopyAndSmallOnesTheSource() {
        Rng rng = new Rng(9);
        Engine e = new Engine(VECTOR, Parallel.serial());
        Tensor w = Tensor.randn(rng, 512, 128);
        PackedMatrix forward = e.packB(w, true);
        Arrays.fill(forward.packed(), Float.NaN);
        // The LSTM's h W^T, [32, 128] x [128, 512]: above SMALL_WORK, so it must read the packed copy.
        assertTrue(32L * 512 * 128 > VectorGemm.SMALL_WORK);
        assertTrue(Float.isNaN(e.matmul(Tensor.randn(rng, 32, 128), false, forward).data()[0]));
        // A single row is below SMALL_WORK and reads W in place.
        assertTrue(1L * 512 * 128 <= VectorGemm.SMALL_WORK);
        assertFalse(Float.isNaN(e.matmul(Tensor.randn(rng, 1, 128), false, forward).data()[0]));
    }

    @Test
    void kernelsThatDoNotPackReadTheSource() {
        Rng rng = new Rng(4);
        Engine e = new Engine(Kernels.reference(), Parallel.serial());
        Tensor a = Tensor.randn(rng, 32, 128);
        Tensor w = Tensor.randn(rng, 512, 128);
        PackedMatrix p = e.packB(w, true);
        assertFalse(p.isPacked());
        assertArrayEquals(e.matmul(a, w, false, true).data(), e.matmul(a, false, p).data());
    }

    @Test
    void misfitOperandsAreRejected() {
        Engine e = new Engine(VECTOR, Parallel.serial());
        PackedMatrix p = e.packB(Tensor.zeros(4, 3), true);
        assertThrows(ShapeException.class, () -> e.packB(Tensor.zeros(2, 3, 4), false));
        assertThrows(ShapeException.class, () -> e.matmul(Tensor.zeros(2, 4), false, p));
        assertThrows(ShapeException.class, () -> e.gemmInto(false, Tensor.zeros(2, 3), p, Tensor.zeros(2, 3), true));
    }
}
