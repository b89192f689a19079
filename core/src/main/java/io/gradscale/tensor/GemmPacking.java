package io.gradscale.tensor;

import static io.gradscale.tensor.GemmMicroKernel.MR;
import static io.gradscale.tensor.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * Copies blocks of the operands of {@link VectorGemm} into the strip layout the micro-kernel reads.
 *
 * <p>A strip of {@link GemmMicroKernel#MR} rows of {@code op(A)} over k in {@code [p0, p0 + kc)} is stored
 * interleaved by k: {@code op(A)[row0 + r][p0 + p]} at {@code p*MR + r}. A block of {@code op(B)} becomes
 * strips of {@link GemmMicroKernel#NR} columns: {@code op(B)[p0 + p][j0 + s*NR + c]} at
 * {@code s*NR*kc + p*NR + c}. Rows and columns past the edge are zero, so edge tiles need no special
 * case in the micro-kernel. Transposed operands are read in their stored order here; there is no
 * separate transpose copy.
 */
final class GemmPacking {
    private GemmPacking() {
    }

    /**
     * Packs the strip of {@code op(A)} with rows {@code [row0, row0 + MR)} and k in {@code [p0, p0 + kc)} into
     * {@code dst} from 0, interleaved by k: {@code op(A)[row0 + r][p0 + p]} at {@code p*MR + r}, the layout the
     * micro-kernel reads with row stride 1 and step MR. Rows at or past {@code m} are zero. A transposed A
     * (stored k x m) holds the strip's MR values of one step of k at consecutive addresses, so its packing
     * is a copy of MR consecutive floats per step; full strips of an untransposed A are not packed at all
     * but read in place ({@link VectorGemm}), so the strided loop below serves only its last, short strip.
     */
    static void packAStrip(boolean transA, float[] a, int aOff, int lda, int m, int row0, int p0, int kc,
                           float[] dst) {
        int rows = Math.min(MR, m - row0);
        if (rows < MR) {
            Arrays.fill(dst, 0, MR * kc, 0f);
        }
        if (transA && rows == 8 && MR == 8) {
            // Unrolled: System.arraycopy of 8 floats per step of k made a 512x128x1600 product 1.7 x slower.
            for (int p = 0, src = aOff + p0 * lda + row0, d = 0; p < kc; p++, src += lda, d += 8) {
                float v0 = a[src];
                float v1 = a[src + 1];
                float v2 = a[src + 2];
                float v3 = a[src + 3];
                float v4 = a[src + 4];
                float v5 = a[src + 5];
                float v6 = a[src + 6];
                float v7 = a[src + 7];
                dst[d] = v0;
                dst[d + 1] = v1;
                dst[d + 2] = v2;
                dst[d + 3] = v3;
                dst[d + 4] = v4;
                dst[d + 5] = v5;
                dst[d + 6] = v6;
                dst[d + 7] = v7;
            }
        } else if (transA) {
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, aOff + (p0 + p) * lda + row0, dst, p * MR, rows);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                for (int p = 0, src = aOff + (row0 + r) * lda + p0, d = r; p < kc; p++, d += MR) {
                    dst[d] = a[src + p];
                }
            }
        }
    }

    /**
     * Packs strips {@code [s0, s1)} of the {@code kc x nc} block of {@code op(B)} starting at row {@code p0}
     * and column {@code j0} into {@code dst} from {@code dstOff}. {@code n} bounds the columns of {@code op(B)}.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int n, int j0, int p0, int kc,
                      int s0, int s1, float[] dst, int dstOff) {
        for (int s = s0; s < s1; s++) {
            int col0 = j0 + s * NR;
            int cols = Math.min(NR, n - col0);
            int base = dstOff + s * NR * kc;
            if (cols < NR) {
                Arrays.fill(dst, base, base + NR * kc, 0f);
            }
            if (transB) {
                // B is stored n x k: the block's columns of op(B) are rows of B, and the strip their transpose
                // (eight rows of B read as eight sequential streams, eight consecutive floats written per step
                // of k; a scalar loop over one column, writing with stride NR, cost 2-3 cycles per float).
                Transposition.into(b, bOff + col0 * ldb + p0, cols, kc, ldb, dst, base, NR);
            } else {
                // B is stored k x n: each step of k is NR consecutive values.
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, bOff + (p0 + p) * ldb + col0, dst, base + p * NR, cols);
                }
            }
        }
    }
}
