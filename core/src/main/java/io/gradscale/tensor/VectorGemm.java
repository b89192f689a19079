package io.gradscale.tensor;

import static io.gradscale.tensor.GemmMicroKernel.MR;
import static io.gradscale.tensor.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * SGEMM on the Vector API: {@code C = op(A) op(B) (+ C)}, row-major, in the GotoBLAS/BLIS layout
 * (Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008).
 *
 * <p>Columns of C are cut into panels of at most {@link #panelColumns} columns. For each panel the
 * whole {@code k x nc} slice of {@code op(B)} is packed once into {@code NR}-column strips, cut along
 * k into blocks of about {@link #KC} (a strip of one block stays in L1 while it is reused). Rows of
 * C are then cut into groups; each group packs its {@code MR}-row strips of {@code op(A)} for one
 * k-block at a time (an L2-sized block) and runs {@link GemmMicroKernel} over every
 * {@code MR x NR} tile of the panel. Transposes are absorbed by {@link GemmPacking}.
 *
 * <p>Determinism: k is never split across threads, and the k-blocks depend only on {@code k}. Every
 * element of C is the k-blocks' partial sums (each {@code fma}-accumulated from zero in order of k)
 * added to C in block order, whatever the tile, group or thread that computes it. Groups and panels
 * are cut from the problem size alone, through {@link Parallel#forChunks}. So results are
 * bit-identical on any number of threads.
 *
 * <p>Problems with at most {@link #SMALL_WORK} multiply-adds skip packing and use {@link SmallGemm}.
 */
final class VectorGemm {
    /** Target depth of a k-block: a {@code KC x NR} strip of B (32 KiB at 256) is reused from L1/L2. */
    static final int KC = 256;
    /** Upper bound, in floats, on the packed copy of one panel of {@code op(B)} (16 MiB). */
    static final int PANEL_FLOATS = 1 << 22;
    /** Target number of {@code MR}-row strips per row group: an {@code MC x KC} block of A of about 96 KiB. */
    static final int STRIPS_PER_GROUP = 16;
    /** At least this many row groups when there are enough strips, so two or more threads stay balanced. */
    static final int MIN_GROUPS = 8;
    /** Strips of B packed per parallel chunk. */
    static final int PACK_STRIPS = 4;
    /** Largest {@code m * n * k} handled by the unpacked kernel, where packing costs more than it saves. */
    static final long SMALL_WORK = 64L * 64 * 64;

    private VectorGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        if ((long) m * n * k <= SMALL_WORK) {
            SmallGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
            return;
        }
        blocked(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par, PANEL_FLOATS);
    }

    /** Columns per panel: as many as fit {@code panelFloats} for this {@code k}, a multiple of NR. */
    static int panelColumns(int n, int k, int panelFloats) {
        int fit = Math.max(NR, panelFloats / k / NR * NR);
        return Math.min(fit, ceil(n, NR) * NR);
    }

    /** Depth of each k-block: {@code k} cut into equal blocks of at most {@link #KC} (no short last block). */
    static int kBlockDepth(int k) {
        return ceil(k, ceil(k, KC));
    }

    /**
     * The packed path for any size ({@code m, n, k > 0}); {@code panelFloats} bounds the packed copy of
     * B (tests lower it to exercise several panels on small matrices).
     */
    static void blocked(boolean transA, boolean transB, int m, int n, int k,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                        boolean accumulate, float[] c, int cOff, int ldc, Parallel par, int panelFloats) {
        int kcMax = kBlockDepth(k);
        int kBlocks = ceil(k, kcMax);
        int stripsA = ceil(m, MR);
        int groups = Math.min(stripsA, Math.max(ceil(stripsA, STRIPS_PER_GROUP), MIN_GROUPS));
        int groupStrips = ceil(stripsA, groups);
        int nGroups = ceil(stripsA, groupStrips);
        int ncMax = panelColumns(n, k, panelFloats);
        float[] packedB = new float[k * ncMax];
        for (int j0 = 0; j0 < n; j0 += ncMax) {
            int nc = Math.min(ncMax, n - j0);
            int stripsB = ceil(nc, NR);
            int packChunks = ceil(stripsB, PACK_STRIPS);
            int panelJ0 = j0;
            par.forChunks(kBlocks * packChunks, t -> {
                int kb = t / packChunks;
                int p0 = kb * kcMax;
                int kc = Math.min(kcMax, k - p0);
                int s0 = (t % packChunks) * PACK_STRIPS;
                int s1 = Math.min(stripsB, s0 + PACK_STRIPS);
                GemmPacking.packB(transB, b, bOff, ldb, n, panelJ0, p0, kc, s0, s1, packedB, p0 * stripsB * NR);
            });
            par.forChunks(nGroups, g -> {
                int sa0 = g * groupStrips;
                int sa1 = Math.min(stripsA, sa0 + groupStrips);
                rowGroup(transA, m, k, kcMax, a, aOff, lda, sa0, sa1, packedB, stripsB, nc,
                        accumulate, c, cOff + panelJ0, ldc);
            });
        }
    }

    private static void rowGroup(boolean transA, int m, int k, int kcMax, float[] a, int aOff, int lda,
                                 int sa0, int sa1, float[] packedB, int stripsB, int nc,
                                 boolean accumulate, float[] c, int cOff, int ldc) {
        int strips = sa1 - sa0;
        float[] packedA = new float[strips * MR * kcMax];
        float[] scratch = new float[MR * NR];
        int i0 = sa0 * MR;
        for (int p0 = 0; p0 < k; p0 += kcMax) {
            int kc = Math.min(kcMax, k - p0);
            boolean add = accumulate || p0 > 0;
            GemmPacking.packA(transA, a, aOff, lda, m, i0, p0, kc, 0, strips, packedA);
            int bBlock = p0 * stripsB * NR;
            for (int sb = 0; sb < stripsB; sb++) {
                int col = sb * NR;
                int cols = Math.min(NR, nc - col);
                int bi = bBlock + sb * NR * kc;
                for (int sa = 0; sa < strips; sa++) {
                    int row = i0 + sa * MR;
                    int rows = Math.min(MR, m - row);
                    int ai = sa * MR * kc;
                    int ci = cOff + row * ldc + col;
                    if (rows == MR && cols == NR) {
                        GemmMicroKernel.tile(kc, packedA, ai, packedB, bi, c, ci, ldc, add);
                    } else {
                        GemmMicroKernel.edgeTile(kc, packedA, ai, packedB, bi, c, ci, ldc, add, rows, cols, scratch);
                    }
                }
            }
        }
    }

    static int ceil(int x, int y) {
        return (x + y - 1) / y;
    }
}
