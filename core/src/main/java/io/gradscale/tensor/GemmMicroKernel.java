package io.gradscale.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel of {@link VectorGemm}: one {@code MR x NR} tile of C from one
 * packed strip of A and one packed strip of B over {@code kc} steps of k.
 *
 * <p>Following Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS
 * 34(3), 2008) and the BLIS micro-kernel design (Van Zee and van de Geijn, ACM TOMS 41(3), 2015), the
 * tile lives in {@code MR * NV} vector accumulators for the whole loop over k: each step loads
 * {@code NV} vectors of B, broadcasts {@code MR} scalars of A and issues {@code MR * NV} fused
 * multiply-adds. Both strips are packed so that each step reads consecutive memory.
 *
 * <p>Every element is computed as {@code acc = 0; for p in [0, kc): acc = fma(a[p], b[p], acc)} and
 * then stored ({@code c = acc}) or added ({@code c = c + acc}); edge tiles go through a scratch tile
 * with exactly the same arithmetic. The value of an element therefore depends only on k-blocking,
 * never on which tile or thread computed it.
 */
final class GemmMicroKernel {
    static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    /** Vector length in floats. */
    static final int L = S.length();
    /** Rows of C per tile: the number of A values broadcast per step of k. */
    static final int MR = 8;
    /** Vectors of C per tile row. */
    static final int NV = 2;
    /** Columns of C per tile. */
    static final int NR = NV * L;

    private GemmMicroKernel() {
    }

    /**
     * The full tile at {@code c[cOff..]}: {@code C = acc} when {@code add} is false, else {@code C += acc}.
     * {@code pa} holds the {@code MR x kc} strip of A from {@code ai}, the value of row {@code r} at step
     * {@code p} at {@code ai + r*aStride + p*aStep}: {@code (1, MR)} for a packed strip, {@code (lda, 1)} for A
     * read in place; {@code pb} holds {@code kc} rows of {@code NR} values of B from {@code bi},
     * {@code bStride} apart: {@code NR} for a packed strip, the leading dimension when B is read in place.
     */
    static void tile(int kc, float[] pa, int ai, int aStride, int aStep, float[] pb, int bi, int bStride,
                     float[] c, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c71 = FloatVector.zero(S);
        // One index for A with per-call offsets to its rows (separate row indices measured about 5 % slower).
        int k2 = 2 * aStride, k3 = 3 * aStride, k4 = 4 * aStride, k5 = 5 * aStride, k6 = 6 * aStride, k7 = 7 * aStride;
        for (int p = 0, a = ai, b = bi; p < kc; p++, a += aStep, b += bStride) {
            FloatVector b0 = FloatVector.fromArray(S, pb, b);
            FloatVector b1 = FloatVector.fromArray(S, pb, b + L);
            FloatVector v = FloatVector.broadcast(S, pa[a]);
            c00 = v.fma(b0, c00);
            c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(S, pa[a + aStride]);
            c10 = v.fma(b0, c10);
            c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(S, pa[a + k2]);
            c20 = v.fma(b0, c20);
            c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(S, pa[a + k3]);
            c30 = v.fma(b0, c30);
            c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(S, pa[a + k4]);
            c40 = v.fma(b0, c40);
            c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(S, pa[a + k5]);
            c50 = v.fma(b0, c50);
            c51 = v.fma(b1, c51);
            v = FloatVector.broadcast(S, pa[a + k6]);
            c60 = v.fma(b0, c60);
            c61 = v.fma(b1, c61);
            v = FloatVector.broadcast(S, pa[a + k7]);
            c70 = v.fma(b0, c70);
            c71 = v.fma(b1, c71);
        }
        // Stores are written out here, not in a helper: a call that is not inlined would force the
        // accumulators to be boxed, and C2 then keeps them boxed through the loop over k.
        int r0 = cOff;
        int r1 = r0 + ldc;
        int r2 = r1 + ldc;
        int r3 = r2 + ldc;
        int r4 = r3 + ldc;
        int r5 = r4 + ldc;
        int r6 = r5 + ldc;
        int r7 = r6 + ldc;
        if (add) {
            c00 = c00.add(FloatVector.fromArray(S, c, r0));
            c01 = c01.add(FloatVector.fromArray(S, c, r0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, r1));
            c11 = c11.add(FloatVector.fromArray(S, c, r1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, r2));
            c21 = c21.add(FloatVector.fromArray(S, c, r2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, r3));
            c31 = c31.add(FloatVector.fromArray(S, c, r3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, r4));
            c41 = c41.add(FloatVector.fromArray(S, c, r4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, r5));
            c51 = c51.add(FloatVector.fromArray(S, c, r5 + L));
            c60 = c60.add(FloatVector.fromArray(S, c, r6));
            c61 = c61.add(FloatVector.fromArray(S, c, r6 + L));
            c70 = c70.add(FloatVector.fromArray(S, c, r7));
            c71 = c71.add(FloatVector.fromArray(S, c, r7 + L));
        }
        c00.intoArray(c, r0);
        c01.intoArray(c, r0 + L);
        c10.intoArray(c, r1);
        c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2);
        c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3);
        c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4);
        c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5);
        c51.intoArray(c, r5 + L);
        c60.intoArray(c, r6);
        c61.intoArray(c, r6 + L);
        c70.intoArray(c, r7);
        c71.intoArray(c, r7 + L);
    }

    /**
     * A tile cut by the edge of C: only {@code rows x cols} of it are written. The tile is computed into
     * {@code scratch} (at least {@code MR * NR} floats, row stride NR) and the valid part applied with the
     * same store-or-add as {@link #tile}. A tile at most one vector wide computes only that vector.
     */
    static void edgeTile(int kc, float[] pa, int ai, int aStride, int aStep, float[] pb, int bi, int bStride,
                         float[] c, int cOff, int ldc, boolean add, int rows, int cols, float[] scratch) {
        if (cols <= L) {
            narrowTile(kc, pa, ai, aStride, aStep, pb, bi, bStride, scratch);
        } else {
            tile(kc, pa, ai, aStride, aStep, pb, bi, bStride, scratch, 0, NR, false);
        }
        for (int r = 0; r < rows; r++) {
            int src = r * NR;
            int dst = cOff + r * ldc;
            if (add) {
                for (int j = 0; j < cols; j++) {
                    c[dst + j] += scratch[src + j];
                }
            } else {
                System.arraycopy(scratch, src, c, dst, cols);
            }
        }
    }

    /** The first vector of each row of a tile, into {@code out} with row stride NR (for narrow edges of C). */
    private static void narrowTile(int kc, float[] pa, int ai, int aStride, int aStep, float[] pb, int bi, int bStride,
                                   float[] out) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S);
        FloatVector c5 = FloatVector.zero(S);
        FloatVector c6 = FloatVector.zero(S);
        FloatVector c7 = FloatVector.zero(S);
        int k2 = 2 * aStride, k3 = 3 * aStride, k4 = 4 * aStride, k5 = 5 * aStride, k6 = 6 * aStride, k7 = 7 * aStride;
        for (int p = 0, a = ai, b = bi; p < kc; p++, a += aStep, b += bStride) {
            FloatVector b0 = FloatVector.fromArray(S, pb, b);
            c0 = FloatVector.broadcast(S, pa[a]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, pa[a + aStride]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, pa[a + k2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, pa[a + k3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, pa[a + k4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, pa[a + k5]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, pa[a + k6]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, pa[a + k7]).fma(b0, c7);
        }
        c0.intoArray(out, 0);
        c1.intoArray(out, NR);
        c2.intoArray(out, 2 * NR);
        c3.intoArray(out, 3 * NR);
        c4.intoArray(out, 4 * NR);
        c5.intoArray(out, 5 * NR);
        c6.intoArray(out, 6 * NR);
        c7.intoArray(out, 7 * NR);
    }
}
