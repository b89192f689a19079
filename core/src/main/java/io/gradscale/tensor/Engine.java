package io.gradscale.tensor;

/**
 * Tensor operations on one choice of {@link Kernels} and one {@link Parallel} pool.
 *
 * <p>An engine holds no mutable state of its own: it is the explicit handle through which a tape, a
 * layer or an optimizer reaches the kernels and the threads. Element-wise operations broadcast as in
 * NumPy; reductions accumulate in double and combine fixed-size chunks in a fixed order, so that an
 * engine on one thread and one on many return the same bits.
 */
public final class Engine {
    /** Elements per chunk of an element-wise loop or a reduction; fixed so results do not depend on threads. */
    static final int CHUNK = 1 << 15;
    /**
     * Elements per chunk of an activation and its derivative ({@link #unary}, {@link #unaryBackward}), split across
     * the pool from two chunks ({@link Parallel#forOwnedRange}): a layer's output of 64 x 256 is then two shares of
     * 32 rows, the rows each thread's share of the product before wrote (its input gradient) or half its columns
     * (its forward output), where at {@link #CHUNK} it was one chunk on the calling thread, which read the other
     * core's half of the product and ran every {@code tanh} alone. A multiple of every vector length, so each
     * element takes the same vector or scalar path, hence the same bits, on any pool.
     */
    static final int ACTIVATION_CHUNK = 1 << 12;
    /**
     * Products with fewer multiply-adds than this run on the calling thread: handing a few microseconds of
     * work to another thread costs more than it saves. 2^20 (about 20 us on one core) since workers spin
     * between tasks (session 5, two threads, alternating builds against 2^24: deep-mlp, whose 64x256x256
     * products were below the old bound, 7.75-8.85 -> 5.96-7.48 ms; the Elman RNN's 32x128x128 step products,
     * 2^19, stay serial: at 2^18 they measured no faster). Before workers spun, a wake-up per product made
     * these products slower on two threads than on one. The GEMM cuts its work the same way on any pool,
     * so this changes timing only, never bits.
     */
    static final long PARALLEL_GEMM_MIN_MACS = 1L << 20;

    private static final Engine DEFAULT = new Engine(Kernels.best(), Parallel.serial());

    private final Kernels k;
    private final Parallel par;
    /** Where results are leased (see {@link BufferArena}), or null: new arrays. */
    private final BufferArena arena;

    public Engine(Kernels kernels, Parallel parallel) {
        this(kernels, parallel, null);
    }

    private Engine(Kernels kernels, Parallel parallel, BufferArena arena) {
        this.k = kernels;
        this.par = parallel;
        this.arena = arena;
    }

    /**
     * This engine with its results leased from {@code arena} instead of allocated: the same kernels and pool, the
     * same bits. A tape recorded on an arena computes on such an engine; its results follow the arena's lifetimes.
     */
    public Engine onArena(BufferArena arena) {
        return new Engine(k, par, arena);
    }

    /** The arena results are leased from, or null when they are new arrays. */
    public BufferArena arena() {
        return arena;
    }

    /** A zero tensor for a result: leased from the arena, or new. */
    public Tensor zeros(Shape shape) {
        return arena == null ? Tensor.zeros(shape) : arena.zeros(shape, par);
    }

    /**
     * A tensor for a result its op writes whole before anything reads it: leased from the arena without the zero fill
     * ({@link BufferArena#takeUnfilled}; its old contents are garbage, NaN in the arena's debug mode), or new. Only for
     * ops that assign every element (a product with {@code beta = 0}, an element-wise op), never for one that adds
     * into its output.
     */
    public Tensor blank(Shape shape) {
        return arena == null ? Tensor.zeros(shape) : Tensor.wrap(arena.takeUnfilled(shape.size()), shape);
    }

    /** {@code n} floats for a result its op writes whole, as {@link #blank(Shape)}. */
    public float[] blankFloats(int n) {
        return arena == null ? new float[n] : arena.takeUnfilled(n);
    }

    /** {@link #blank(Shape)} of the given dimensions. */
    public Tensor blank(int... dims) {
        return blank(Shape.of(dims));
    }

    /** {@link #zeros(Shape)} of the given dimensions. */
    public Tensor zeros(int... dims) {
        return zeros(Shape.of(dims));
    }

    /** {@code n} zero floats for a result: leased from the arena, or new. */
    public float[] floats(int n) {
        return arena == null ? new float[n] : arena.take(n, par);
    }

    /** The fastest kernels on the calling thread only. */
    public static Engine serial() {
        return DEFAULT;
    }

    /** The fastest kernels on a pool of {@code threads} threads (close the pool through {@link #parallel()}). */
    public static Engine withThreads(int threads) {
        return new Engine(Kernels.best(), Parallel.ofThreads(threads));
    }

    public Kernels kernels() {
        return k;
    }

    public Parallel parallel() {
        return par;
    }

    // ---------------------------------------------------------------- element-wise

    /** The four broadcasting binary operations. */
    public enum Binary { ADD, SUB, MUL, DIV }

    public Tensor add(Tensor a, Tensor b) {
        return binary(Binary.ADD, a, b);
    }

    public Tensor sub(Tensor a, Tensor b) {
        return binary(Binary.SUB, a, b);
    }

    public Tensor mul(Tensor a, Tensor b) {
        return binary(Binary.MUL, a, b);
    }

    public Tensor div(Tensor a, Tensor b) {
        return binary(Binary.DIV, a, b);
    }

    /** {@code a op b} with broadcasting; the shapes must broadcast, else a {@link ShapeException} names both. */
    public Tensor binary(Binary op, Tensor a, Tensor b) {
        Shape out = Shape.broadcast(a.shape(), b.shape(), op.name().toLowerCase(java.util.Locale.ROOT));
        Tensor r = blank(out); // every path of binaryInto assigns every element
        binaryInto(op, a, b, r);
        return r;
    }

    /** {@code out = a op b}; {@code out} has the broadcast shape and may be {@code a} itself. */
    public void binaryInto(Binary op, Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data();
        float[] bd = b.data();
        float[] od = out.data();
        int n = out.size();
        if (a.size() == n && b.size() == n) {
            par.forRange(n, CHUNK, (lo, hi) -> flat(op, ad, lo, bd, lo, od, lo, hi - lo));
            return;
        }
        if (a.size() == n && b.size() == 1) {
            float s = bd[0];
            switch (op) {
                case ADD -> par.forRange(n, CHUNK, (lo, hi) -> k.scaleShift(ad, lo, 1f, s, od, lo, hi - lo));
                case SUB -> par.forRange(n, CHUNK, (lo, hi) -> k.scaleShift(ad, lo, 1f, -s, od, lo, hi - lo));
                case MUL -> par.forRange(n, CHUNK, (lo, hi) -> k.scaleShift(ad, lo, s, 0f, od, lo, hi - lo));
                case DIV -> {
                    float[] rep = new float[Math.min(n, CHUNK)];
                    java.util.Arrays.fill(rep, s);
                    par.forRange(n, CHUNK, (lo, hi) -> k.div(ad, lo, rep, 0, od, lo, hi - lo));
                }
            }
            return;
        }
        int inner = trailingRepeat(b.shape(), out.shape());
        if (a.size() == n && inner > 0 && b.size() == inner) {
            int rows = n / inner;
            int rowChunk = Math.max(1, CHUNK / Math.max(1, inner));
            par.forRange(rows, rowChunk, (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    flat(op, ad, r * inner, bd, 0, od, r * inner, inner);
                }
            });
            return;
        }
        general(op, a, b, out);
    }

    /**
     * When {@code small}, stripped of leading ones, equals the trailing dimensions of {@code big}, the
     * number of its elements (a row repeated over {@code big}'s leading dimensions); otherwise 0.
     */
    private static int trailingRepeat(Shape small, Shape big) {
        int lead = 0;
        while (lead < small.rank() && small.dim(lead) == 1) {
            lead++;
        }
        int r = small.rank() - lead;
        if (r == 0 || r > big.rank()) {
            return 0;
        }
        int off = big.rank() - r;
        for (int i = 0; i < r; i++) {
            if (small.dim(lead + i) != big.dim(off + i)) {
                return 0;
            }
        }
        return small.size();
    }

    private void flat(Binary op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> k.add(a, ao, b, bo, o, oo, n);
            case SUB -> k.sub(a, ao, b, bo, o, oo, n);
            case MUL -> k.mul(a, ao, b, bo, o, oo, n);
            case DIV -> k.div(a, ao, b, bo, o, oo, n);
        }
    }

    /** The general broadcasting loop: index arithmetic over rank-4 padded shapes. */
    private static void general(Binary op, Tensor a, Tensor b, Tensor out) {
        int[] od = pad4(out.shape());
        int[] as = broadcastStrides(a.shape(), od);
        int[] bs = broadcastStrides(b.shape(), od);
        float[] ad = a.data();
        float[] bd = b.data();
        float[] o = out.data();
        int idx = 0;
        for (int i0 = 0; i0 < od[0]; i0++) {
            for (int i1 = 0; i1 < od[1]; i1++) {
                for (int i2 = 0; i2 < od[2]; i2++) {
                    int abase = i0 * as[0] + i1 * as[1] + i2 * as[2];
                    int bbase = i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
                    for (int i3 = 0; i3 < od[3]; i3++) {
                        float x = ad[abase + i3 * as[3]];
                        float y = bd[bbase + i3 * bs[3]];
                        o[idx++] = switch (op) {
                            case ADD -> x + y;
                            case SUB -> x - y;
                            case MUL -> x * y;
                            case DIV -> x / y;
                        };
                    }
                }
            }
        }
    }

    static int[] pad4(Shape s) {
        int[] d = {1, 1, 1, 1};
        int off = 4 - s.rank();
        for (int i = 0; i < s.rank(); i++) {
            d[off + i] = s.dim(i);
        }
        return d;
    }

    /** Strides of {@code s} aligned to the rank-4 shape {@code out4}, zero along broadcast dimensions. */
    static int[] broadcastStrides(Shape s, int[] out4) {
        int[] d = pad4(s);
        int[] st = new int[4];
        int stride = 1;
        for (int i = 3; i >= 0; i--) {
            st[i] = d[i] == 1 && out4[i] != 1 ? 0 : stride;
            stride *= d[i];
        }
        return st;
    }

    /** {@code a * s + t} element-wise. */
    public Tensor scaleShift(Tensor a, float s, float t) {
        Tensor r = blank(a.shape());
        float[] ad = a.data();
        float[] od = r.data();
        par.forRange(a.size(), CHUNK, (lo, hi) -> k.scaleShift(ad, lo, s, t, od, lo, hi - lo));
        return r;
    }

    /**
     * {@code y[r, :] += b} for every row {@code r} of a rank-2 {@code y} (a linear layer's bias), in chunks of rows of
     * about {@link #ACTIVATION_CHUNK} elements split across the pool from two chunks, as the activation that follows
     * splits the same rows: the rows a thread adds the bias to are the rows it then activates, where on the calling
     * thread alone the pass read the other core's half of the product. Element by element, so the same bits.
     */
    public void addRowInPlace(Tensor y, Tensor b) {
        if (y.rank() != 2 || b.size() != y.dim(1)) {
            throw new ShapeException("addRowInPlace: a row of " + b.shape() + " does not fit the rows of " + y.shape());
        }
        int cols = y.dim(1);
        float[] yd = y.data();
        float[] bd = b.data();
        par.forOwnedRange(y.dim(0), Math.max(1, ACTIVATION_CHUNK / Math.max(1, cols)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                k.add(yd, r * cols, bd, 0, yd, r * cols, cols);
            }
        });
    }

    /** {@code y += alpha * x}; the shapes must be equal. */
    public void axpyInPlace(float alpha, Tensor x, Tensor y) {
        requireSameShape("axpy", x, y);
        float[] xd = x.data();
        float[] yd = y.data();
        par.forRange(x.size(), CHUNK, (lo, hi) -> k.axpy(alpha, xd, lo, yd, lo, hi - lo));
    }

    /** {@code op(a; p)} element-wise. */
    public Tensor unary(UnaryOp op, float p, Tensor a) {
        Tensor r = blank(a.shape());
        float[] ad = a.data();
        float[] od = r.data();
        par.forOwnedRange(a.size(), ACTIVATION_CHUNK, (lo, hi) -> k.unary(op, p, ad, lo, od, lo, hi - lo));
        return r;
    }

    /** {@code g * op'(x, y; p)} element-wise. */
    public Tensor unaryBackward(UnaryOp op, float p, Tensor x, Tensor y, Tensor g) {
        Tensor r = blank(g.shape());
        float[] xd = x == null ? null : x.data();
        float[] yd = y == null ? null : y.data();
        float[] gd = g.data();
        float[] od = r.data();
        par.forOwnedRange(g.size(), ACTIVATION_CHUNK, (lo, hi) -> k.unaryBackward(op, p, xd, yd, gd, od, lo, hi - lo));
        return r;
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements, in double. */
    public double sum(Tensor a) {
        float[] d = a.data();
        return par.sumRange(a.size(), CHUNK, (lo, hi) -> k.sum(d, lo, hi - lo));
    }

    /** Sum of squares of all elements, in double. */
    public double sumSquares(Tensor a) {
        float[] d = a.data();
        return par.sumRange(a.size(), CHUNK, (lo, hi) -> k.sumSquares(d, lo, hi - lo));
    }

    /** {@code sum a_i b_i}, in double. */
    public double dot(Tensor a, Tensor b) {
        requireSameShape("dot", a, b);
        float[] ad = a.data();
        float[] bd = b.data();
        return par.sumRange(a.size(), CHUNK, (lo, hi) -> k.dot(ad, lo, bd, lo, hi - lo));
    }

    /** Largest element (NaN if any is NaN). */
    public float max(Tensor a) {
        return k.max(a.data(), 0, a.size());
    }

    /** Largest absolute value (NaN if any is NaN). */
    public float maxAbs(Tensor a) {
        return k.maxAbs(a.data(), 0, a.size());
    }

    /** Sum over {@code axis}; the axis is kept with size 1 when {@code keepDim}. */
    public Tensor sum(Tensor a, int axis, boolean keepDim) {
        Shape s = a.shape();
        int ax = s.normalizeAxis(axis);
        int outer = s.outerSize(ax);
        int len = s.dim(ax);
        int inner = s.innerSize(ax);
        Shape os = keepDim ? s.withDim(ax, 1) : s.without(ax);
        Tensor r = zeros(os);
        float[] ad = a.data();
        float[] od = r.data();
        if (inner == 1) {
            par.forRange(outer, Math.max(1, CHUNK / Math.max(1, len)),
                    (lo, hi) -> {
                        for (int o = lo; o < hi; o++) {
                            od[o] = (float) k.sum(ad, o * len, len);
                        }
                    });
        } else {
            par.forRange(outer, Math.max(1, CHUNK / Math.max(1, len * inner)), (lo, hi) -> {
                double[] acc = new double[inner];
                for (int o = lo; o < hi; o++) {
                    java.util.Arrays.fill(acc, 0.0);
                    int base = o * len * inner;
                    for (int j = 0; j < len; j++) {
                        int rb = base + j * inner;
                        for (int i = 0; i < inner; i++) {
                            acc[i] += ad[rb + i];
                        }
                    }
                    for (int i = 0; i < inner; i++) {
                        od[o * inner + i] = (float) acc[i];
                    }
                }
            });
        }
        return r;
    }

    /** Largest value along {@code axis} with its index; ties take the first index, NaN wins. */
    public ArgMax max(Tensor a, int axis, boolean keepDim) {
        Shape s = a.shape();
        int ax = s.normalizeAxis(axis);
        int outer = s.outerSize(ax);
        int len = s.dim(ax);
        int inner = s.innerSize(ax);
        if (len == 0) {
            throw new ShapeException("max over axis " + axis + " of shape " + s + ": the axis is empty");
        }
        Shape os = keepDim ? s.withDim(ax, 1) : s.without(ax);
        Tensor r = zeros(os);
        int[] idx = new int[os.size()];
        float[] ad = a.data();
        float[] od = r.data();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int best = 0;
                float bv = ad[o * len * inner + i];
                for (int j = 1; j < len && bv == bv; j++) {
                    float v = ad[(o * len + j) * inner + i];
                    if (v > bv || v != v) {
                        bv = v;
                        best = j;
                    }
                }
                od[o * inner + i] = bv;
                idx[o * inner + i] = best;
            }
        }
        return new ArgMax(r, idx);
    }

    /** Values and indices of a max along an axis. */
    public record ArgMax(Tensor values, int[] indices) {
    }

    /** Sums {@code g} over the dimensions along which a tensor of shape {@code target} was broadcast to {@code g}'s shape. */
    public Tensor sumToShape(Tensor g, Shape target) {
        if (g.shape().equals(target)) {
            return g;
        }
        if (!target.broadcastsTo(g.shape())) {
            throw new ShapeException("sumToShape: " + target + " does not broadcast to " + g.shape());
        }
        if (target.size() == 1) {
            Tensor r = zeros(target);
            r.data()[0] = (float) sum(g);
            return r;
        }
        int inner = trailingRepeat(target, g.shape());
        if (inner > 0 && inner == target.size()) {
            int rows = g.size() / inner;
            float[] gd = g.data();
            double[] acc = new double[inner];
            for (int r = 0; r < rows; r++) {
                int base = r * inner;
                for (int i = 0; i < inner; i++) {
                    acc[i] += gd[base + i];
                }
            }
            float[] o = floats(inner);
            for (int i = 0; i < inner; i++) {
                o[i] = (float) acc[i];
            }
            return Tensor.wrap(o, target);
        }
        int[] gd4 = pad4(g.shape());
        int[] ts = broadcastStrides(target, gd4);
        double[] acc = new double[target.size()];
        float[] gd = g.data();
        int idx = 0;
        for (int i0 = 0; i0 < gd4[0]; i0++) {
            for (int i1 = 0; i1 < gd4[1]; i1++) {
                for (int i2 = 0; i2 < gd4[2]; i2++) {
                    for (int i3 = 0; i3 < gd4[3]; i3++) {
                        acc[i0 * ts[0] + i1 * ts[1] + i2 * ts[2] + i3 * ts[3]] += gd[idx++];
                    }
                }
            }
        }
        float[] o = floats(acc.length);
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) acc[i];
        }
        return Tensor.wrap(o, target);
    }

    /** {@code a} repeated along broadcast dimensions to {@code target}. */
    public Tensor broadcastTo(Tensor a, Shape target) {
        if (a.shape().equals(target)) {
            return a;
        }
        if (!a.shape().broadcastsTo(target)) {
            throw new ShapeException("broadcastTo: " + a.shape() + " does not broadcast to " + target);
        }
        Tensor r = zeros(target);
        binaryInto(Binary.ADD, r, a, r);
        return r;
    }

    // ---------------------------------------------------------------- matrix products

    /**
     * Matrix product {@code op(a) op(b)}. Rank 2 x rank 2 is a plain GEMM; a rank-3 or rank-4 {@code a}
     * times a rank-2 {@code b} folds the leading dimensions into rows (as {@code x @ W} does in PyTorch);
     * rank-3 x rank-3 is a batched product.
     */
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        Shape as = a.shape();
        Shape bs = b.shape();
        if (bs.rank() == 2 && as.rank() >= 2) {
            if (transA && as.rank() != 2) {
                throw new ShapeException("matmul: transposing a rank-" + as.rank() + " left operand " + as + " is not supported");
            }
            int m = transA ? as.dim(1) : as.size() / as.dim(-1);
            int kk = transA ? as.dim(0) : as.dim(-1);
            int kb = transB ? bs.dim(1) : bs.dim(0);
            int n = transB ? bs.dim(0) : bs.dim(1);
            if (kk != kb) {
                throw new ShapeException("matmul: inner dimensions differ: " + describe(as, transA) + " x "
                        + describe(bs, transB) + " (" + kk + " vs " + kb + ")");
            }
            Shape os = as.rank() == 2 ? Shape.of(m, n) : as.withDim(-1, n);
            Tensor c = blank(os); // beta = 0: the product assigns every element
            k.gemm(transA, transB, m, n, kk, a.data(), 0, as.dim(-1), b.data(), 0, bs.dim(1), false, c.data(), 0, n, gemmPool(m, n, kk));
            return c;
        }
        if (as.rank() == 3 && bs.rank() == 3) {
            int batch = as.dim(0);
            if (bs.dim(0) != batch) {
                throw new ShapeException("matmul: batch sizes differ: " + as + " x " + bs);
            }
            int m = transA ? as.dim(2) : as.dim(1);
            int kk = transA ? as.dim(1) : as.dim(2);
            int kb = transB ? bs.dim(2) : bs.dim(1);
            int n = transB ? bs.dim(1) : bs.dim(2);
            if (kk != kb) {
                throw new ShapeException("matmul: inner dimensions differ: " + describe(as, transA) + " x "
                        + describe(bs, transB) + " (" + kk + " vs " + kb + ")");
            }
            Tensor c = blank(Shape.of(batch, m, n));
            int aStride = as.dim(1) * as.dim(2);
            int bStride = bs.dim(1) * bs.dim(2);
            for (int t = 0; t < batch; t++) {
                k.gemm(transA, transB, m, n, kk, a.data(), t * aStride, as.dim(2), b.data(), t * bStride, bs.dim(2),
                        false, c.data(), t * m * n, n, gemmPool(m, n, kk));
            }
            return c;
        }
        throw new ShapeException("matmul: unsupported ranks " + as + " x " + bs
                + " (expected rank-2, rank-3 or rank-4 times rank-2, or rank-3 times rank-3)");
    }

    private static String describe(Shape s, boolean t) {
        return t ? s + "^T" : s.toString();
    }

    /** {@code c += op(a) op(b)} (or {@code =} when not accumulating) for rank-2 operands; used by backward rules. */
    public void gemmInto(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c, boolean accumulate) {
        int m = c.dim(0);
        int n = c.dim(1);
        int kk = transA ? a.dim(0) : a.dim(1);
        k.gemm(transA, transB, m, n, kk, a.data(), 0, a.dim(1), b.data(), 0, b.dim(1), accumulate, c.data(), 0, n, gemmPool(m, n, kk));
    }

    /**
     * {@code op(b)} packed once for many products {@code op(a) op(b)} (see {@link PackedMatrix}); {@code b}
     * must be rank 2 and must not be written while the result is in use.
     */
    public PackedMatrix packB(Tensor b, boolean transB) {
        if (b.rank() != 2) {
            throw new ShapeException("packB: expected a rank-2 operand, got " + b.shape());
        }
        int kk = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        return new PackedMatrix(b, transB, kk, n, k.packB(transB, kk, n, b.data(), 0, b.dim(1), par, this::floats));
    }

    /**
     * {@code op(a) op(b)} with {@code op(b)} packed by {@link #packB}: the same bits as
     * {@link #matmul(Tensor, Tensor, boolean, boolean)} with {@code b.source()}; {@code a} as there (rank 2 to
     * 4, transposed only when rank 2).
     */
    public Tensor matmul(Tensor a, boolean transA, PackedMatrix b) {
        Shape as = a.shape();
        if (as.rank() < 2 || (transA && as.rank() != 2)) {
            throw new ShapeException("matmul: expected a rank-2 left operand (or rank 3-4 untransposed), got "
                    + describe(as, transA) + " x packed " + b);
        }
        int m = transA ? as.dim(1) : as.size() / as.dim(-1);
        int kk = transA ? as.dim(0) : as.dim(-1);
        checkInner(as, transA, b, kk);
        int n = b.columns();
        Tensor c = blank(as.rank() == 2 ? Shape.of(m, n) : as.withDim(-1, n));
        prepacked(transA, a, b, m, kk, false, c);
        return c;
    }

    /** {@code c += op(a) op(b)} (or {@code =} when not accumulating) for rank-2 {@code a, c}, with {@code op(b)} packed. */
    public void gemmInto(boolean transA, Tensor a, PackedMatrix b, Tensor c, boolean accumulate) {
        int kk = transA ? a.dim(0) : a.dim(1);
        checkInner(a.shape(), transA, b, kk);
        int m = transA ? a.dim(1) : a.dim(0);
        if (c.rank() != 2 || c.dim(0) != m || c.dim(1) != b.columns()) {
            throw new ShapeException("gemmInto: the output " + c.shape() + " does not fit " + describe(a.shape(), transA)
                    + " x packed " + b + " (expected [" + m + ", " + b.columns() + "])");
        }
        prepacked(transA, a, b, m, kk, accumulate, c);
    }

    private static void checkInner(Shape as, boolean transA, PackedMatrix b, int kk) {
        if (kk != b.rows()) {
            throw new ShapeException("matmul: inner dimensions differ: " + describe(as, transA) + " x packed " + b
                    + " (" + kk + " vs " + b.rows() + ")");
        }
    }

    private void prepacked(boolean transA, Tensor a, PackedMatrix b, int m, int kk, boolean accumulate, Tensor c) {
        int n = b.columns();
        Tensor src = b.source();
        k.gemmPrepacked(transA, b.transposed(), m, n, kk, a.data(), 0, a.dim(-1), src.data(), 0, src.dim(1), b.packed(),
                accumulate, c.data(), 0, n, gemmPool(m, n, kk));
    }

    private Parallel gemmPool(int m, int n, int k) {
        return (long) m * n * k < PARALLEL_GEMM_MIN_MACS ? Parallel.serial() : par;
    }

    /** The transpose of a rank-2 tensor; for a rank-3 tensor {@code [A, B, C]}, the {@code [B, A, C]} with its first two axes swapped. */
    public Tensor transpose(Tensor a) {
        if (a.rank() == 3) {
            // [A, B, C] -> [B, A, C]: rows of C floats moved whole.
            int na = a.dim(0);
            int nb = a.dim(1);
            int nc = a.dim(2);
            float[] s = a.data();
            float[] o = floats(s.length);
            for (int i = 0; i < na; i++) {
                for (int j = 0; j < nb; j++) {
                    System.arraycopy(s, (i * nb + j) * nc, o, (j * na + i) * nc, nc);
                }
            }
            return Tensor.wrap(o, nb, na, nc);
        }
        if (a.rank() != 2) {
            throw new ShapeException("transpose needs a rank-2 tensor (or rank 3, whose first two axes it swaps), got "
                    + a.shape());
        }
        int r = a.dim(0);
        int c = a.dim(1);
        float[] s = a.data();
        float[] o = floats(r * c);
        Transposition.into(s, 0, r, c, c, o, 0, r);
        return Tensor.wrap(o, c, r);
    }

    // ---------------------------------------------------------------- softmax

    /** Softmax along the last axis, computed stably (max subtracted, sums in double). */
    public Tensor softmax(Tensor a) {
        return softmaxImpl(a, false);
    }

    /** Log-softmax along the last axis: {@code x - max - log(sum exp(x - max))}. */
    public Tensor logSoftmax(Tensor a) {
        return softmaxImpl(a, true);
    }

    private Tensor softmaxImpl(Tensor a, boolean log) {
        if (a.rank() == 0) {
            throw new ShapeException((log ? "logSoftmax" : "softmax") + " needs rank >= 1, got a scalar");
        }
        int c = a.dim(-1);
        int rows = a.size() / Math.max(1, c);
        Tensor r = blank(a.shape());
        float[] x = a.data();
        float[] y = r.data();
        par.forRange(rows, Math.max(1, CHUNK / Math.max(1, c)), (lo, hi) -> {
            for (int row = lo; row < hi; row++) {
                int off = row * c;
                float m = k.max(x, off, c);
                k.scaleShift(x, off, 1f, -m, y, off, c);
                if (log) {
                    double s = 0;
                    for (int j = 0; j < c; j++) {
                        s += Math.exp(y[off + j]);
                    }
                    float ls = (float) Math.log(s);
                    k.scaleShift(y, off, 1f, -ls, y, off, c);
                } else {
                    k.unary(UnaryOp.EXP, 0f, y, off, y, off, c);
                    float inv = (float) (1.0 / k.sum(y, off, c));
                    k.scaleShift(y, off, inv, 0f, y, off, c);
                }
            }
        });
        return r;
    }

    // ---------------------------------------------------------------- slicing, joining, indexing

    /** Elements {@code [start, end)} along {@code axis} (a copy). */
    public Tensor slice(Tensor a, int axis, int start, int end) {
        Shape s = a.shape();
        int ax = s.normalizeAxis(axis);
        int len = s.dim(ax);
        if (start < 0 || end > len || start > end) {
            throw new ShapeException("slice [" + start + ", " + end + ") along axis " + axis + " is out of range for shape " + s);
        }
        int outer = s.outerSize(ax);
        int inner = s.innerSize(ax);
        int w = end - start;
        Tensor r = zeros(s.withDim(ax, w));
        float[] src = a.data();
        float[] dst = r.data();
        for (int o = 0; o < outer; o++) {
            System.arraycopy(src, (o * len + start) * inner, dst, o * w * inner, w * inner);
        }
        return r;
    }

    /** Adds {@code g} into {@code target[start:start+g.dim(axis)]} along {@code axis} (the backward of slice). */
    public void addIntoSlice(Tensor target, int axis, int start, Tensor g) {
        Shape s = target.shape();
        int ax = s.normalizeAxis(axis);
        int len = s.dim(ax);
        int outer = s.outerSize(ax);
        int inner = s.innerSize(ax);
        int w = g.dim(ax);
        float[] t = target.data();
        float[] gd = g.data();
        for (int o = 0; o < outer; o++) {
            k.add(t, (o * len + start) * inner, gd, o * w * inner, t, (o * len + start) * inner, w * inner);
        }
    }

    /** Joins tensors along {@code axis}; all other dimensions must agree. */
    public Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) {
            throw new ShapeException("concat needs at least one tensor");
        }
        Shape s0 = parts[0].shape();
        int ax = s0.normalizeAxis(axis);
        int total = 0;
        for (Tensor p : parts) {
            Shape ps = p.shape();
            if (ps.rank() != s0.rank() || !ps.withDim(ax, 1).equals(s0.withDim(ax, 1))) {
                throw new ShapeException("concat along axis " + axis + ": shape " + ps + " does not match " + s0
                        + " outside that axis");
            }
            total += ps.dim(ax);
        }
        Tensor r = zeros(s0.withDim(ax, total));
        int outer = s0.outerSize(ax);
        int inner = s0.innerSize(ax);
        float[] dst = r.data();
        int at = 0;
        for (Tensor p : parts) {
            int w = p.dim(ax);
            float[] src = p.data();
            for (int o = 0; o < outer; o++) {
                System.arraycopy(src, o * w * inner, dst, (o * total + at) * inner, w * inner);
            }
            at += w;
        }
        return r;
    }

    /**
     * {@code out[i] = a[i, index[i]]} over the last axis: {@code a} is {@code [..., C]}, {@code index}
     * holds one class per row, and the result has {@code a}'s shape without its last axis.
     */
    public Tensor gatherLast(Tensor a, int[] index) {
        int c = a.dim(-1);
        int rows = a.size() / c;
        if (index.length != rows) {
            throw new ShapeException("gather: " + index.length + " indices for " + rows + " rows of shape " + a.shape());
        }
        float[] src = a.data();
        float[] o = floats(rows);
        for (int r = 0; r < rows; r++) {
            int j = index[r];
            if (j < 0 || j >= c) {
                throw new IndexOutOfBoundsException("gather: index " + j + " at row " + r + " is outside [0, " + c + ")");
            }
            o[r] = src[r * c + j];
        }
        return Tensor.wrap(o, a.shape().without(-1));
    }

    /** {@code out[i, index[i]] += g[i]} into a zero tensor of {@code shape} (the backward of {@link #gatherLast}). */
    public Tensor scatterLast(Tensor g, int[] index, Shape shape) {
        int c = shape.dim(-1);
        Tensor r = zeros(shape);
        float[] o = r.data();
        float[] gd = g.data();
        for (int row = 0; row < index.length; row++) {
            o[row * c + index[row]] += gd[row];
        }
        return r;
    }

    private static void requireSameShape(String op, Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new ShapeException(op + ": shapes " + a.shape() + " and " + b.shape() + " differ");
        }
    }
}
