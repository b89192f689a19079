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
    /** Largest packed panel of B, in floats, that a thread keeps for its next call (4 MiB). */
    static final int KEPT_PANEL_FLOATS = 1 << 20;
    /** Upper bound, in floats, on the packed copy of one panel of {@code op(B)} (16 MiB). */
    static final int PANEL_FLOATS = 1 << 22;
    /** Most {@code MR}-row strips per row group (128 rows): the rows of C one task computes against its column group. */
    static final int STRIPS_PER_GROUP = 16;
    /** Most {@code NR}-column strips per column group: a {@code KC x NC} block of B of at most 512 KiB, kept in L2. */
    static final int STRIPS_PER_COLUMN_GROUP = 8;
    /**
     * At least this many tasks (row groups times column groups) when the panel has enough strips, so
     * that two threads taking tasks from a shared counter end within a small task of each other.
     */
    static final int MIN_TASKS = 8;
    /**
     * Most rows of C computed as a single row group, where no block of B is used by two tasks, so B is
     * not packed up front (see {@link #blocked}). Measured (GemmBench, one thread): with 64 and 128 rows
     * an untransposed B read in place is 3-25 % faster than packed; from 256 rows, where the row groups
     * share the packed copy, packing up front is as fast or faster (a row stride of a power of two
     * >= 2 KiB makes reading B in place up to twice as slow when many strips of A reuse it).
     */
    static final int ONE_GROUP_ROWS = STRIPS_PER_GROUP * MR;
    /** {@link #panel}'s B: the panel of {@code op(B)} packed up front by {@link GemmPacking#packB}. */
    private static final int B_PACKED = 0;
    /** {@link #panel}'s B: B itself, stored {@code k x n}, read in place. */
    private static final int B_IN_PLACE = 1;
    /** {@link #panel}'s B: B itself, stored {@code n x k}; each task packs the strips it uses. */
    private static final int B_TASK_PACKED = 2;
    /** Strips of B packed per parallel chunk. */
    static final int PACK_STRIPS = 4;
    /** Largest {@code m * n * k} handled by the unpacked kernel, where packing costs more than it saves. */
    static final long SMALL_WORK = 64L * 64 * 64;
    /**
     * Smallest {@code m * n * k} worth handing to other threads: below it (about 20 microseconds on one
     * core) handing out tasks costs about as much as it saves ({@code Engine.PARALLEL_GEMM_MIN_MACS}, the
     * same bound, explains the choice). Results are the same either way.
     */
    static final long PARALLEL_WORK = 1L << 20;
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
        // On one thread only: on two, deep-mlp's x W^T this way (x packed once, each task transposing its own rows
        // of C^T back) gave its step less than the direct way, where each task packs its own columns of W^T
        // (ThreadsHarness speed-up 1.11-1.24 against 1.24-1.30, alternating). The same bits either way.
        if (par.activeThreads() == 1 && transB && !transA && m <= ONE_GROUP_ROWS && n >= 2 * m
                && (!accumulate || k <= kBlockDepth(k))) {
            transposedProblem(m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par, panelFloats);
            return;
        }
        if (transA && !transB && n <= ONE_GROUP_ROWS && m >= 2 * n && (!accumulate || k <= kBlockDepth(k))) {
            transposedWeightGradient(m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par, panelFloats);
            return;
        }
        blockedDirect(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par, panelFloats,
                null);
    }

    /**
     * {@link #blocked} without the transposed shortcuts; {@code back}, when not null, is run by each task on the tile
     * of C it has just finished.
     */
    private static void blockedDirect(boolean transA, boolean transB, int m, int n, int k,
                                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                      boolean accumulate, float[] c, int cOff, int ldc, Parallel par, int panelFloats,
                                      TransposeBack back) {
        if (m <= ONE_GROUP_ROWS) {
            // One row group: each block of B is used by one task only. An untransposed B (k x n) already
            // holds NR consecutive floats per step of k and is read in place (row stride ldb); a transposed
            // one is packed by its task, a k-block at a time, into a buffer that stays in L2 for its use.
            panel(transA, m, k, a, aOff, lda, b, bOff, ldb, transB ? B_TASK_PACKED : B_IN_PLACE, 0, n, accumulate,
                    c, cOff, ldc, par, back);
            return;
        }
        int ncMax = panelColumns(n, k, panelFloats);
        // Kept per thread up to 4 MiB; a larger copy costs little next to its product and is not kept.
        float[] packedB = k * ncMax <= KEPT_PANEL_FLOATS ? buffer(WORKSPACE.get(), 4, k * ncMax) : new float[k * ncMax];
        for (int j0 = 0; j0 < n; j0 += ncMax) {
            int nc = Math.min(ncMax, n - j0);
            packPanel(transB, n, k, b, bOff, ldb, j0, nc, packedB, 0, par);
            panel(transA, m, k, a, aOff, lda, packedB, 0, 0, B_PACKED, j0, nc, accumulate, c, cOff, ldc, par, back);
        }
    }

    /**
     * {@code C = A B^T} for a short A and a wide B (a linear layer's forward pass, {@code x W^T}, at a small
     * batch), as {@code C^T = B A^T}: B is then read in place as the left operand and only the smaller A
     * is packed, where the direct path packs all of B (for the MLP's 784 x 512 weight at batch 128, 100 k
     * floats packed and 65 k transposed out instead of 401 k packed). The same bits: each element is the
     * same {@code fma} chain ({@code fma} is symmetric in its factors), and the paths are taken only where
     * C is written once ({@code k} in one block, or C not accumulated into).
     */
    private static void transposedProblem(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                                          int ldb, boolean accumulate, float[] c, int cOff, int ldc, Parallel par,
                                          int panelFloats) {
        float[] ct = buffer(WORKSPACE.get(), 3, n * m);
        blockedDirect(false, true, n, m, k, b, bOff, ldb, a, aOff, lda, false, ct, 0, m, par, panelFloats,
                new TransposeBack(ct, m, accumulate, c, cOff, ldc));
    }

    /**
     * {@code C = A^T B} for a tall {@code A^T} and a narrow B (a weight gradient {@code g^T x} of a layer with few
     * inputs, summed over many rows: an LSTM's {@code dW_ih} at input 32 is {@code 512 x 32} over 1600 rows), as
     * {@code C^T = B^T A}: A (stored {@code k x m}) is then read in place as the right operand, one row group of
     * the narrow {@code B^T} packed, where the direct path packs every strip of {@code A^T} from {@code MR} floats
     * of each of its {@code k} rows (one thread, alternating builds: 512 x 32 x 1600 0.55-0.76 against 0.70-0.91 ms;
     * an LSTM's {@code dW_hh}, 512 x 128 x 1600, 3.05-3.42 against 3.28-3.54 ms on a slow afternoon).
     * The same bits, by the argument of {@link #transposedProblem}.
     */
    private static void transposedWeightGradient(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                                                 int ldb, boolean accumulate, float[] c, int cOff, int ldc,
                                                 Parallel par, int panelFloats) {
        float[] ct = buffer(WORKSPACE.get(), 3, n * m);
        blockedDirect(true, false, n, m, k, b, bOff, ldb, a, aOff, lda, false, ct, 0, m, par, panelFloats,
                new TransposeBack(ct, m, accumulate, c, cOff, ldc));
    }

    /**
     * Writes a tile of the transposed product {@code T = C^T} (dense, {@code cols} columns) back into C as
     * {@code C = T^T} or {@code C += T^T}. Run by the task that computed the tile, right after it (the tile is then
     * in that core's cache, and the rows of C^T a thread computes are the columns of C it writes): two threads
     * share the transposition, which on the calling thread alone had kept the transposed ways off two threads.
     */
    private record TransposeBack(float[] t, int cols, boolean accumulate, float[] c, int cOff, int ldc) {
        /** The tile of rows {@code [r0, r1)} and columns {@code [c0, c1)} of T. */
        void tile(int r0, int r1, int c0, int c1) {
            for (int i = c0; i < c1; i++) {
                int row = cOff + i * ldc;
                if (accumulate) {
                    for (int j = r0, s = r0 * cols + i; j < r1; j++, s += cols) {
                        c[row + j] += t[s];
                    }
                } else {
                    for (int j = r0, s = r0 * cols + i; j < r1; j++, s += cols) {
                        c[row + j] = t[s];
                    }
                }
            }
        }
    }

    /**
     * The whole of {@code op(B)} ({@code k x n}) packed as {@link #blocked} packs it panel by panel (with
     * {@link #PANEL_FLOATS}): panel {@code j0} starts at {@code j0 * k}, each in the layout of
     * {@link GemmPacking#packB}. {@link #prepacked} then reads exactly the values {@link #blocked} would have packed.
     */
    static float[] packWhole(boolean transB, int k, int n, float[] b, int bOff, int ldb, Parallel par,
                             java.util.function.IntFunction<float[]> buffers) {
        if ((long) n * k < PARALLEL_PACK_FLOATS) {
            par = Parallel.serial();
        }
        float[] packed = buffers.apply(k * ceil(n, NR) * NR); // zero-filled: the padding columns stay zero
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
            panel(transA, m, k, a, aOff, lda, packedB, j0 * k, 0, B_PACKED, j0, Math.min(ncMax, n - j0), accumulate,
                    c, cOff, ldc, par, null);
        }
    }

    /** Packs the {@code k x nc} panel of {@code op(B)} at column {@code j0} into {@code dst} from {@code dstOff}. */
    private static void packPanel(boolean transB, int n, int k, float[] b, int bOff, int ldb, int j0, int nc,
                                  float[] dst, int dstOff, Parallel par) {
        int kcMax = kBlockDepth(k);
        int kBlocks = ceil(k, kcMax);
        int stripsB = ceil(nc, NR);
        int packChunks = ceil(stripsB, PACK_STRIPS);
        if ((long) nc * k < PARALLEL_PACK_FLOATS) {
            par = Parallel.serial(); // a copy of a few hundred KiB: splitting it costs more than it saves
        }
        par.forChunks(kBlocks * packChunks, t -> {
            int kb = t / packChunks;
            int p0 = kb * kcMax;
            int kc = Math.min(kcMax, k - p0);
            int s0 = (t % packChunks) * PACK_STRIPS;
            int s1 = Math.min(stripsB, s0 + PACK_STRIPS);
            GemmPacking.packB(transB, b, bOff, ldb, n, j0, p0, kc, s0, s1, dst, dstOff + p0 * stripsB * NR);
        });
    }

    /**
     * The columns {@code [j0, j0 + nc)} of C. With {@link #B_PACKED}, {@code b[bBase..]} is the panel of
     * {@code op(B)} packed by {@link GemmPacking#packB}; otherwise it is B itself with leading dimension
     * {@code ldb}, and {@code j0} is 0 and {@code nc = n}.
     */
    private static void panel(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] b, int bBase, int ldb,
                              int bSource, int j0, int nc, boolean accumulate, float[] c, int cOff, int ldc,
                              Parallel par, TransposeBack back) {
        int kcMax = kBlockDepth(k);
        int stripsA = ceil(m, MR);
        int minTasks = par.activeThreads() > 1 ? MIN_TASKS : 1;
        // B read in place or packed up front costs nothing to share, so several threads split the rows first:
        // each strip of A is then packed once, as on one thread. Splitting the columns instead packed every
        // strip of A once per column group (deep-mlp's weight gradients on two threads: 4 times, ten times the
        // one-thread packing time in a profile). A B packed by its task is packed once per row group, so there
        // row groups stay bounded by STRIPS_PER_GROUP and the columns are split.
        int rowGroups = bSource == B_IN_PLACE ? Math.min(stripsA, minTasks)
                : bSource == B_PACKED ? Math.max(ceil(stripsA, STRIPS_PER_GROUP), Math.min(stripsA, minTasks))
                : ceil(stripsA, STRIPS_PER_GROUP);
        int groupStrips = ceil(stripsA, rowGroups);
        rowGroups = ceil(stripsA, groupStrips);
        int stripsB = ceil(nc, NR);
        // Column groups small enough for L2, and, on several threads, enough tasks to keep every thread busy
        // (on one, more groups would only pack each strip of A more often). The grid never changes a bit.
        int colGroups = Math.min(stripsB, Math.max(ceil(stripsB, STRIPS_PER_COLUMN_GROUP), ceil(minTasks, rowGroups)));
        int colStrips = ceil(stripsB, colGroups);
        int cols = ceil(stripsB, colStrips);
        par.forChunks(rowGroups * cols, t -> {
            int sa0 = (t / cols) * groupStrips;
            int sb0 = (t % cols) * colStrips;
            int sa1 = Math.min(stripsA, sa0 + groupStrips);
            int sb1 = Math.min(stripsB, sb0 + colStrips);
            block(transA, m, k, kcMax, a, aOff, lda, sa0, sa1, b, bBase, ldb, bSource, stripsB, sb0, sb1, nc, accumulate,
                    c, cOff + j0, ldc);
            if (back != null) {
                back.tile(sa0 * MR, Math.min(m, sa1 * MR), j0 + sb0 * NR, j0 + Math.min(nc, sb1 * NR));
            }
        });
    }

    /**
     * The tiles of A's strips {@code [sa0, sa1)} times the strips {@code [sb0, sb1)} of B: for each k-block,
     * each strip of A is packed just before it is used, then run (from L1) against every strip of B (from L2).
     * With {@link #B_TASK_PACKED} the task first packs its strips of the k-block; read in place, a last
     * strip narrower than NR is first copied, zero-padded, so that the micro-kernel never reads past the
     * end of a row of B.
     */
    private static void block(boolean transA, int m, int k, int kcMax, float[] a, int aOff, int lda,
                              int sa0, int sa1, float[] b, int bBase, int ldb, int bSource, int stripsB,
                              int sb0, int sb1, int nc, boolean accumulate, float[] c, int cOff, int ldc) {
        float[][] ws = WORKSPACE.get();
        float[] packedA = buffer(ws, 0, MR * kcMax);
        float[] scratch = buffer(ws, 1, MR * NR);
        boolean narrowLast = bSource == B_IN_PLACE && sb1 == stripsB && nc % NR != 0;
        float[] ownB = bSource == B_TASK_PACKED ? buffer(ws, 2, kcMax * (sb1 - sb0) * NR)
                : narrowLast ? buffer(ws, 2, kcMax * NR) : null;
        for (int p0 = 0; p0 < k; p0 += kcMax) {
            int kc = Math.min(kcMax, k - p0);
            boolean add = accumulate || p0 > 0;
            if (bSource == B_TASK_PACKED) {
                GemmPacking.packB(true, b, bBase, ldb, nc, 0, p0, kc, sb0, sb1, ownB, -sb0 * NR * kc);
            } else if (narrowLast) {
                GemmPacking.packB(false, b, bBase, ldb, nc, 0, p0, kc, stripsB - 1, stripsB, ownB,
                        -(stripsB - 1) * NR * kc);
            }
            for (int sa = sa0; sa < sa1; sa++) {
                int row = sa * MR;
                int rows = Math.min(MR, m - row);
                // A full strip of an untransposed A is read in place, its rows lda apart (GemmBench, one
                // thread: 10-30 % faster than packing it, from 64x256x256 to 1024^3).
                boolean aInPlace = !transA && rows == MR;
                float[] pa = packedA;
                int ai = 0;
                int aStride = 1;
                int aStep = MR;
                if (aInPlace) {
                    pa = a;
                    ai = aOff + row * lda + p0;
                    aStride = lda;
                    aStep = 1;
                } else {
                    GemmPacking.packAStrip(transA, a, aOff, lda, m, row, p0, kc, packedA);
                }
                for (int sb = sb0; sb < sb1; sb++) {
                    int col = sb * NR;
                    int cols = Math.min(NR, nc - col);
                    float[] pb = b;
                    int bi;
                    int stride = NR;
                    if (bSource == B_PACKED) {
                        bi = bBase + p0 * stripsB * NR + sb * NR * kc;
                    } else if (bSource == B_TASK_PACKED) {
                        pb = ownB;
                        bi = (sb - sb0) * NR * kc;
                    } else if (cols < NR) {
                        pb = ownB;
                        bi = 0;
                    } else {
                        bi = bBase + p0 * ldb + col;
                        stride = ldb;
                    }
                    int ci = cOff + row * ldc + col;
                    if (rows == MR && cols == NR) {
                        GemmMicroKernel.tile(kc, pa, ai, aStride, aStep, pb, bi, stride, c, ci, ldc, add);
                    } else {
                        GemmMicroKernel.edgeTile(kc, pa, ai, aStride, aStep, pb, bi, stride, c, ci, ldc, add, rows, cols,
                                scratch);
                    }
                }
            }
        }
    }

    /**
     * Each thread's packing buffers (strip of A, edge tile, task-packed B, transposed product, B packed up
     * front), reused from call to call. A
     * fresh array is zeroed in memory no cache holds (the young generation is far larger than the caches),
     * and with 64-row products that cost as much as the product. Only a cache: every buffer is entirely
     * written before it is read, so no value depends on what a previous call left in it.
     */
    private static final ThreadLocal<float[][]> WORKSPACE = ThreadLocal.withInitial(() -> new float[5][]);

    private static float[] buffer(float[][] ws, int slot, int floats) {
        float[] b = ws[slot];
        if (b == null || b.length < floats) {
            b = new float[floats];
            ws[slot] = b;
        }
        return b;
    }

    static int ceil(int x, int y) {
        return (x + y - 1) / y;
    }
}
