package io.gradscale.tensor;

import static io.gradscale.tensor.GemmMicroKernel.MR;
import static io.gradscale.tensor.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * Copies blocks of the operands of {@link VectorGemm} into the strip layout the micro-kernel reads.
 *
 * <p>A block of {@code op(A)} (rows {@code [i0, i0 + mc)}, k in {@code [p0, p0 + kc)}) becomes strips of
 * {@link GemmMicroKernel#MR} rows: strip {@code s} holds, for each {@code p}, the {@code MR} values
 * {@code op(A)[i0 + s*MR + r][p0 + p]} at {@code s*MR*kc + p*MR + r}. A block of {@code op(B)} becomes
 * strips of {@link GemmMicroKernel#NR} columns: {@code op(B)[p0 + p][j0 + s*NR + c]} at
 * {@code s*NR*kc + p*NR + c}. Rows and columns past the edge are zero, so edge tiles need no special
 * case in the micro-kernel. Transposed operands are read in their stored order here; there is no
 * separate transpose copy.
 */
final class GemmPacking {
    private GemmPacking() {
    }

    /**
     * Packs strips {@code [s0, s1)} of the {@code mc x kc} block of {@code op(A)} starting at row {@code i0}
     * and column {@code p0} into {@code dst} from {@code dstOff}. {@code m} bounds the rows of {@code op(A)}.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int m, int i0, int p0, int kc,
                      int s0, int s1, float[] dst, int dstOff) {
        for (int s = s0; s < s1; s++) {
            int row0 = i0 + s * MR;
            int rows = Math.min(MR, m - row0);
            int base = dstOff + s * MR * kc;
            if (rows < MR) {
                Arrays.fill(dst, base, base + MR * kc, 0f);
            }
            if (transA) {
                // A is stored k x m: each step of k reads MR consecutive values.
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(a, aOff + (p0 + p) * lda + row0, dst, base + p * MR, rows);
                }
            } else {
                // A is stored m x k: read each row contiguously, write with stride MR.
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (row0 + r) * lda + p0;
                    for (int p = 0, d = base + r; p < kc; p++, d += MR) {
                        dst[d] = a[src + p];
                    }
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
                // B is stored n x k: read each column of op(B) contiguously, write with stride NR.
                for (int c = 0; c < cols; c++) {
                    int src = bOff + (col0 + c) * ldb + p0;
                    for (int p = 0, d = base + c; p < kc; p++, d += NR) {
                        dst[d] = b[src + p];
                    }
                }
            } else {
                // B is stored k x n: each step of k is NR consecutive values.
                for (int p = 0; p < kc; p++) {
                    System.arraycopy(b, bOff + (p0 + p) * ldb + col0, dst, base + p * NR, cols);
                }
            }
        }
    }
}
