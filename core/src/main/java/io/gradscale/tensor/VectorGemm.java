package io.gradscale.tensor;

import static io.gradscale.tensor.GemmMicroKernel.MR;
import static io.gradscale.tensor.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * SGEMM on the Vector API: {@code C = op(A) op(B) (+ C)}, row-major, in the GotoBLAS/BLIS layout
 * (Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008).
 *
 * <p>Columns of C are cut into panels of at most {@link #panelColumns} columns. For each panel the
 * whole {@code k x nc} slice of {@code op(B)} is packed once, in parallel, into {@code NR}-column strips,
 * cut along k into blocks of equal depth at most {@link #KC}. The tiles of the panel are then cut into
 * tasks: groups of up to {@link #STRIPS_PER_GROUP} {@code MR}-row strips times groups of up to
 * {@link #STRIPS_PER_COLUMN_GROUP} {@code NR}-column strips, with at least {@link #MIN_TASKS} tasks
 * when the problem allows. For each k-block a task packs one strip of {@code op(A)} ({@code MR x KC}, in
 * L1) at a time, just before running {@link GemmMicroKernel} with it against each strip of its block of
 * B (up to {@code KC x 256} floats, in L2): the roles BLIS gives its micro-panels, with the
 * vector dimension along the columns of row-major C. Transposes are absorbed by {@link GemmPacking}.
 *
 * <p>Determinism: k is never split across threads, and the k-blocks depend only on {@code k}. Every
 * element of C is the k-blocks' partial sums (each {@code fma}-accumulated from zero in order of k)
 * added to C in block order, whatever the tile, group or thread that computes it. Groups and panels
 * are cut from the problem size alone, through {@link Parallel#forChunks}. So results are
 * bit-identical on any number of threads.
 *
 * <p>Problems with at most {@link #SMALL_WORK} multiply-adds skip packing and use {@link SmallGemm};
 * below {@link #PARALLEL_WORK} they run on the calling thread.
 */
final class VectorGemm {
    /**
     * Deepest k-block: a {@code MR x KC} strip of A (12 KiB) stays in L1 and a {@code KC x 256} block of B
     * (512 KiB) in L2. Products with {@code k <= KC} touch each tile of C once instead of once per block.
     */
    static final int KC = 512;
    /** Upper bound, in floats, on the packed copy of one panel of {@code op(B)} (16 MiB). */
    static final int PANEL_FLOATS = 1 << 22;
    /** Most {@code MR}-row strips per row group (96 rows): the rows of C one task computes against its column group. */
    static final int STRIPS_PER_GROUP = 16;
    /** Most {@code NR}-column strips per column group: a {@code KC x NC} block of B of at most 512 KiB, kept in L2. */
    static final int STRIPS_PER_COLUMN_GROUP = 8;
    /**
     * At least this many tasks (row groups times column groups) when the panel has enough strips, so
     * that two threads taking tasks from a shared counter end within a small task of each other.
     */
    static final int MIN_TASKS = 8;
    /** Strips of B packed per parallel chunk. */
    static final int PACK_STRIPS = 4;
    /** Largest {@code m * n * k} handled by the unpacked kernel, where packing costs more than it saves. */
    static final long SMALL_WORK = 64L * 64 * 64;
    /**
     * Smallest {@code m * n * k} worth handing to other threads: below it (about 100 microseconds on one
     * core) waking a worker costs about as much as it saves. Results are the same either way.
     */
    static final long PARALLEL_WORK = 1L << 22;
    /**
     * Smallest {@code op(B)}, in floats, that {@link #packWhole} packs on several threads: packing is a copy,
     * so a 1 Mi-float (4 MiB) operand is about where a worker's wake-up stops dominating.
     */
    static final long PARALLEL_PACK_FLOATS = 1L << 20;

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
        if ((long) m * n * k < PARALLEL_WORK) {
            par = Parallel.serial();
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
        int ncMax = panelColumns(n, k, panelFloats);
        float[] packedB = new float[k * ncMax];
        for (int j0 = 0; j0 < n; j0 += ncMax) {
            int nc = Math.min(ncMax, n - j0);
            packPanel(transB, n, k, b, bOff, ldb, j0, nc, packedB, 0, par);
            panel(transA, m, k, a, aOff, lda, packedB, 0, j0, nc, accumulate, c, cOff, ldc, par);
        }
    }

    /**
     * The whole of {@code op(B)} ({@code k x n}) packed as {@link #blocked} packs it panel by panel (with
     * {@link #PANEL_FLOATS}): panel {@code j0} starts at {@code j0 * k}, each in the layout of
     * {@link GemmPacking#packB}. {@link #prepacked} then reads exactly the values {@link #blocked} would have packed.
     */
    static float[] packWhole(boolean transB, int k, int n, float[] b, int bOff, int ldb, Parallel par) {
        if ((long) n * k < PARALLEL_PACK_FLOATS) {
            par = Parallel.serial();
        }
        float[] packed = new float[k * ceil(n, NR) * NR];
        int ncMax = panelColumns(n, k, PANEL_FLOATS);
        for (int j0 = 0; j0 < n; j0 += ncMax) {
            packPanel(transB, n, k, b, bOff, ldb, j0, Math.min(ncMax, n - j0), packed, j0 * k, par);
        }
        return packed;
    }

    /**
     * {@link #gemm} with {@code op(B)} also given packed by {@link #packWhole}: the same path choice, blocking
     * and order of summation, so the same bits, without packing B again.
     */
    static void prepacked(boolean transA, boolean transB, int m, int n, int k,
                          float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] packedB,
                          boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        if (m == 0 || n == 0 || k == 0 || (long) m * n * k <= SMALL_WORK) {
            gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
            return;
        }
        if ((long) m * n * k < PARALLEL_WORK) {
            par = Parallel.serial();
        }
        int ncMax = panelColumns(n, k, PANEL_FLOATS);
        for (int j0 = 0; j0 < n; j0 += ncMax) {
            panel(transA, m, k, a, aOff, lda, packedB, j0 * k, j0, Math.min(ncMax, n - j0), accumulate, c, cOff, ldc, par);
        }
    }

    /** Packs the {@code k x nc} panel of {@code op(B)} at column {@code j0} into {@code dst} from {@code dstOff}. */
    private static void packPanel(boolean transB, int n, int k, float[] b, int bOff, int ldb, int j0, int nc,
                                  float[] dst, int dstOff, Parallel par) {
        int kcMax = kBlockDepth(k);
        int kBlocks = ceil(k, kcMax);
        int stripsB = ceil(nc, NR);
        int packChunks = ceil(stripsB, PACK_STRIPS);
        par.forChunks(kBlocks * packChunks, t -> {
            int kb = t / packChunks;
            int p0 = kb * kcMax;
            int kc = Math.min(kcMax, k - p0);
            int s0 = (t % packChunks) * PACK_STRIPS;
            int s1 = Math.min(stripsB, s0 + PACK_STRIPS);
            GemmPacking.packB(transB, b, bOff, ldb, n, j0, p0, kc, s0, s1, dst, dstOff + p0 * stripsB * NR);
        });
    }

    /** The columns {@code [j0, j0 + nc)} of C from the panel of {@code op(B)} packed at {@code packedB[bBase]}. */
    private static void panel(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] packedB, int bBase,
                              int j0, int nc, boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        int kcMax = kBlockDepth(k);
        int stripsA = ceil(m, MR);
        int rowGroups = ceil(stripsA, STRIPS_PER_GROUP);
        int groupStrips = ceil(stripsA, rowGroups);
        int stripsB = ceil(nc, NR);
        // Column groups small enough for L2, and enough tasks to keep every thread busy.
        int colGroups = Math.min(stripsB, Math.max(ceil(stripsB, STRIPS_PER_COLUMN_GROUP), ceil(MIN_TASKS, rowGroups)));
        int colStrips = ceil(stripsB, colGroups);
        int cols = ceil(stripsB, colStrips);
        par.forChunks(rowGroups * cols, t -> {
            int sa0 = (t / cols) * groupStrips;
            int sb0 = (t % cols) * colStrips;
            block(transA, m, k, kcMax, a, aOff, lda, sa0, Math.min(stripsA, sa0 + groupStrips),
                    packedB, bBase, stripsB, sb0, Math.min(stripsB, sb0 + colStrips), nc, accumulate, c, cOff + j0, ldc);
        });
    }

    /**
     * The tiles of A's strips {@code [sa0, sa1)} times the panel's strips {@code [sb0, sb1)}: for each k-block,
     * each strip of A is packed just before it is used, then run (from L1) against every strip of B (from L2).
     */
    private static void block(boolean transA, int m, int k, int kcMax, float[] a, int aOff, int lda,
                              int sa0, int sa1, float[] packedB, int bBase, int stripsB, int sb0, int sb1, int nc,
                              boolean accumulate, float[] c, int cOff, int ldc) {
        float[] packedA = new float[MR * kcMax];
        float[] scratch = new float[MR * NR];
        for (int p0 = 0; p0 < k; p0 += kcMax) {
            int kc = Math.min(kcMax, k - p0);
            boolean add = accumulate || p0 > 0;
            int bBlock = bBase + p0 * stripsB * NR;
            for (int sa = sa0; sa < sa1; sa++) {
                int row = sa * MR;
                int rows = Math.min(MR, m - row);
                GemmPacking.packAStrip(transA, a, aOff, lda, m, row, p0, kc, packedA);
                for (int sb = sb0; sb < sb1; sb++) {
                    int col = sb * NR;
                    int cols = Math.min(NR, nc - col);
                    int bi = bBlock + sb * NR * kc;
                    int ci = cOff + row * ldc + col;
                    if (rows == MR && cols == NR) {
                        GemmMicroKernel.tile(kc, packedA, 0, packedB, bi, c, ci, ldc, add);
                    } else {
                        GemmMicroKernel.edgeTile(kc, packedA, 0, packedB, bi, c, ci, ldc, add, rows, cols, scratch);
                    }
                }
            }
        }
    }

    static int ceil(int x, int y) {
        return (x + y - 1) / y;
    }
}
