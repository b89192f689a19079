package io.gradscale.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM for small problems on the Vector API, without packing: {@code C = op(A) op(B) (+ C)}, row-major.
 *
 * <p>{@link VectorGemm} sends problems here when packing would cost more than it saves. Transposed
 * operands are copied into row-major form (cheap at these sizes), then a {@code 4 x 2}-vector
 * register tile walks k. Each element is {@code fma}-accumulated from zero in order of k and then
 * stored or added to C, so results do not depend on the thread count (work is split over rows only).
 */
final class SmallGemm {
    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    private static final int L = S.length();
    private static final int MR = 4;
    private static final int ROW_CHUNK = 32;

    private SmallGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        // m, n and k are positive: VectorGemm.gemm, the only caller, has already handled empty products
        final float[] aa;
        final int ao;
        final int la;
        if (transA) {
            aa = transpose(a, aOff, lda, k, m);
            ao = 0;
            la = k;
        } else {
            aa = a;
            ao = aOff;
            la = lda;
        }
        final float[] bb;
        final int bo;
        final int lb;
        if (transB) {
            bb = transpose(b, bOff, ldb, n, k);
            bo = 0;
            lb = n;
        } else {
            bb = b;
            bo = bOff;
            lb = ldb;
        }
        par.forRange(m, ROW_CHUNK, (lo, hi) -> rows(lo, hi, n, k, aa, ao, la, bb, bo, lb, accumulate, c, cOff, ldc));
    }

    /** The transpose of the {@code rows x cols} matrix at {@code src} (leading dimension {@code ld}). */
    private static float[] transpose(float[] src, int off, int ld, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            int base = off + r * ld;
            for (int col = 0; col < cols; col++) {
                t[col * rows + r] = src[base + col];
            }
        }
        return t;
    }

    private static void rows(int lo, int hi, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                             boolean accumulate, float[] c, int co, int ldc) {
        int nv = n - n % L;
        int i = lo;
        for (; i + MR <= hi; i += MR) {
            int j = 0;
            for (; j + 2 * L <= nv; j += 2 * L) {
                tile4x2(i, j, k, a, ao, lda, b, bo, ldb, accumulate, c, co, ldc);
            }
            for (; j < nv; j += L) {
                for (int r = i; r < i + MR; r++) {
                    tile1x1(r, j, k, a, ao, lda, b, bo, ldb, accumulate, c, co, ldc);
                }
            }
            for (int r = i; r < i + MR; r++) {
                tail(r, nv, n, k, a, ao, lda, b, bo, ldb, accumulate, c, co, ldc);
            }
        }
        for (; i < hi; i++) {
            for (int j = 0; j < nv; j += L) {
                tile1x1(i, j, k, a, ao, lda, b, bo, ldb, accumulate, c, co, ldc);
            }
            tail(i, nv, n, k, a, ao, lda, b, bo, ldb, accumulate, c, co, ldc);
        }
    }

    private static void tile4x2(int i, int j, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                boolean accumulate, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        int a0 = ao + i * lda;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        for (int p = 0; p < k; p++) {
            int bp = bo + p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector v0 = FloatVector.broadcast(S, a[a0 + p]);
            c00 = v0.fma(b0, c00);
            c01 = v0.fma(b1, c01);
            FloatVector v1 = FloatVector.broadcast(S, a[a1 + p]);
            c10 = v1.fma(b0, c10);
            c11 = v1.fma(b1, c11);
            FloatVector v2 = FloatVector.broadcast(S, a[a2 + p]);
            c20 = v2.fma(b0, c20);
            c21 = v2.fma(b1, c21);
            FloatVector v3 = FloatVector.broadcast(S, a[a3 + p]);
            c30 = v3.fma(b0, c30);
            c31 = v3.fma(b1, c31);
        }
        store(c00, c, co + i * ldc + j, accumulate);
        store(c01, c, co + i * ldc + j + L, accumulate);
        store(c10, c, co + (i + 1) * ldc + j, accumulate);
        store(c11, c, co + (i + 1) * ldc + j + L, accumulate);
        store(c20, c, co + (i + 2) * ldc + j, accumulate);
        store(c21, c, co + (i + 2) * ldc + j + L, accumulate);
        store(c30, c, co + (i + 3) * ldc + j, accumulate);
        store(c31, c, co + (i + 3) * ldc + j + L, accumulate);
    }

    private static void tile1x1(int i, int j, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                boolean accumulate, float[] c, int co, int ldc) {
        FloatVector acc = FloatVector.zero(S);
        int a0 = ao + i * lda;
        for (int p = 0; p < k; p++) {
            acc = FloatVector.broadcast(S, a[a0 + p]).fma(FloatVector.fromArray(S, b, bo + p * ldb + j), acc);
        }
        store(acc, c, co + i * ldc + j, accumulate);
    }

    private static void tail(int i, int from, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                             boolean accumulate, float[] c, int co, int ldc) {
        int a0 = ao + i * lda;
        for (int j = from; j < n; j++) {
            float s = 0f;
            for (int p = 0; p < k; p++) {
                s = Math.fma(a[a0 + p], b[bo + p * ldb + j], s);
            }
            int idx = co + i * ldc + j;
            c[idx] = accumulate ? c[idx] + s : s;
        }
    }

    private static void store(FloatVector v, float[] c, int idx, boolean accumulate) {
        (accumulate ? v.add(FloatVector.fromArray(S, c, idx)) : v).intoArray(c, idx);
    }
}
