package io.gradscale.transform;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Parallel;
import io.gradscale.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * The per-parameter update tensors of one step, as they pass through a transform chain.
 *
 * <p>{@link #loadGradients} copies each parameter's gradient into a buffer owned by this object (the
 * buffers are allocated once, so a step allocates no tensor), and each transform rewrites the buffers in
 * place. Gradients themselves are left intact for monitors. A transform that decides the step must not
 * happen calls {@link #skip(String)}; the chain then stops, and no weight moves.
 *
 * <p>Also carried: the step index (0 for the first call, counting skipped steps), the {@link Engine}
 * whose kernels and threads transforms use, and the {@link Metrics} each transform reports into.
 *
 * <p>Two fusions save passes over memory without changing what any transform sees:
 * <ul>
 *   <li>{@link #deferScale} records a factor instead of multiplying at once; {@link #get(int)} applies it
 *       before handing the tensor out, so a reader sees exactly the scaled values, but when nobody reads in
 *       between, {@code GradientStep} applies {@code w += s u} in the same pass that would have read
 *       {@code u} anyway (the learning rate costs no pass of its own).</li>
 *   <li>{@link #loadGradients(ParameterSet, long, boolean, boolean, boolean)} can check finiteness while copying,
 *       chunk by chunk while the chunk is in cache; a guard at the head of the chain takes that answer
 *       ({@link #takeLoadedFinite()}) instead of reading every update again.</li>
 *   <li>It can also check without copying, and leave each copy to the first reader of that tensor
 *       ({@link #get(int)}): when an optimizer then runs tensor by tensor ({@link StagedUpdate}), the copy,
 *       the optimizer's work and {@code w += u} follow one another while the tensor is in cache.</li>
 * </ul>
 */
public final class Updates {
    private final Engine engine;
    /**
     * Elements copied and checked at a time by a checked load: a chunk (128 KiB) stays in cache between the
     * copy and the reads. Equal to {@link Norms#CHUNK}, so that the sum of squares taken here has the chunks,
     * hence the bits, of {@code Engine.sumSquares}.
     */
    private static final int LOAD_CHUNK = Norms.CHUNK;
    /**
     * Tensors of fewer floats than this are not split by their own loops: one chunk of {@link Norms#CHUNK}. From two
     * chunks a tensor's passes are split on the pool's shares ({@code Parallel.forOwnedRange}), as the products that
     * wrote its gradient split its rows.
     */
    private static final int SMALL_TENSOR = Parallel.MIN_OWNED_CHUNKS * Norms.CHUNK;
    /**
     * Fewest floats in all for tensors that are all small to run side by side: 8 chunks, as many as a loop that
     * {@code Parallel.forRange} splits. Below it they run on the calling thread: an RNN's or a GRU's six tensors
     * (21 k and 62 k floats) side by side measured slower on two threads than on one, their weights then updated by
     * the other core for the calling thread's serial time steps to read.
     */
    private static final long SIDE_BY_SIDE_FLOATS = 8L * Norms.CHUNK;

    private final Tensor[] tensors;
    /** Factor not yet multiplied into {@code tensors[i]} (1 when none). */
    private final float[] pending;
    /** Sum of squares of each tensor as a checked load left it, valid while {@link #sumSquaresValid} says so. */
    private final double[] loadedSumSquares;
    /** Cleared for a tensor by {@link #get(int)} and {@link #deferScale}: whoever gets it may rewrite it. */
    private final boolean[] sumSquaresValid;
    /** A checked load's sum of squares and finiteness of each chunk of each tensor (buffers: a step allocates nothing). */
    private final double[][] chunkSums;
    private final boolean[][] chunkFinite;
    /** Each tensor's finiteness as the last checked load found it (a buffer, so that a step allocates nothing). */
    private final boolean[] finiteEach;
    /** The gradient tensor {@code i} is still to be copied from (a deferred load), or null once it is. */
    private final float[][] source;
    /** Set by {@link #discard}: tensor {@code i}'s update went into its weights without being stored here. */
    private final boolean[] discarded;
    /** True when some {@link #source} may be left. */
    private boolean deferred;
    /** True when tensors run side by side on several threads (see {@link #forEachTensor}). */
    private final boolean sideBySide;
    private final Metrics metrics = new Metrics();
    /** Set by a checked load that found every update finite; cleared by the first reader and by {@link #begin}. */
    private boolean loadedFinite;
    private long step;
    /** The step's per-example gradients, when the backward pass recorded them (see {@link #perExample()}). */
    private io.gradscale.autograd.PerExample perExample;
    private boolean skipped;
    private String skipReason = "";

    /** Buffers shaped like the parameters of {@code params}, all zero. */
    public Updates(ParameterSet params, Engine engine) {
        this.engine = engine;
        this.tensors = new Tensor[params.size()];
        for (int i = 0; i < tensors.length; i++) {
            tensors[i] = Tensor.zeros(params.parameter(i).value().shape());
        }
        this.pending = ones(tensors.length);
        this.loadedSumSquares = new double[tensors.length];
        this.sumSquaresValid = new boolean[tensors.length];
        this.sideBySide = sideBySide(tensors);
        this.finiteEach = new boolean[tensors.length];
        this.source = new float[tensors.length][];
        this.discarded = new boolean[tensors.length];
        this.chunkSums = chunkSums(tensors);
        this.chunkFinite = chunkFinite(tensors);
    }

    private static float[] ones(int n) {
        float[] p = new float[n];
        java.util.Arrays.fill(p, 1f);
        return p;
    }

    /** Wraps given tensors (not copied), e.g. for tests and benchmarks that supply updates directly. */
    public Updates(Engine engine, Tensor... tensors) {
        this.engine = engine;
        this.tensors = tensors.clone();
        this.pending = ones(this.tensors.length);
        this.loadedSumSquares = new double[this.tensors.length];
        this.sumSquaresValid = new boolean[this.tensors.length];
        this.sideBySide = sideBySide(this.tensors);
        this.finiteEach = new boolean[this.tensors.length];
        this.source = new float[this.tensors.length][];
        this.discarded = new boolean[this.tensors.length];
        this.chunkSums = chunkSums(this.tensors);
        this.chunkFinite = chunkFinite(this.tensors);
    }

    private static double[][] chunkSums(Tensor[] ts) {
        double[][] d = new double[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            d[i] = new double[chunks(ts[i].size())];
        }
        return d;
    }

    private static boolean[][] chunkFinite(Tensor[] ts) {
        boolean[][] f = new boolean[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            f[i] = new boolean[chunks(ts[i].size())];
        }
        return f;
    }

    private static int chunks(int n) {
        return (n + LOAD_CHUNK - 1) / LOAD_CHUNK;
    }

    /**
     * True when every tensor is below {@link #SMALL_TENSOR}, where its own loops stay on one thread, and there are at
     * least {@link #SIDE_BY_SIDE_FLOATS} of them in all.
     */
    private static boolean sideBySide(Tensor[] ts) {
        long total = 0;
        for (Tensor t : ts) {
            if (t.size() >= SMALL_TENSOR) {
                return false;
            }
            total += t.size();
        }
        return ts.length > 1 && total >= SIDE_BY_SIDE_FLOATS;
    }

    /**
     * Runs {@code body} for every tensor index. On several threads, when every tensor is too small for its own
     * loops to be split and there are enough of them, tensors run side by side instead (a thousand 40 KB tensors use
     * both cores); otherwise one after another, each using the threads itself, each thread on the share of the
     * tensor's chunks it owns in every loop of the pool: the rows of a weight gradient that thread's share of the product computed, and of
     * the weights its share of the next forward product reads. Side by side, deep-mlp's 256 x 256 weights were
     * updated half by the other core, so that their gradients and weights crossed between the cores twice a step
     * (two threads 4 % slower than one with its products kept serial). Tensor {@code i}'s work must touch only
     * tensor {@code i} (of the updates and of any state); it then gives the same bits either way.
     */
    public void forEachTensor(IntConsumer body) {
        if (sideBySide && engine.parallel().threads() > 1) {
            engine.parallel().forChunks(tensors.length, body);
        } else {
            for (int i = 0; i < tensors.length; i++) {
                body.accept(i);
            }
        }
    }

    /**
     * {@link #forEachTensor} over the tensors {@code members} only (a group of a scoped norm): {@code body}
     * gets each position {@code m} in {@code members}, for tensor {@code members[m]}.
     */
    void forEachOf(int[] members, IntConsumer body) {
        if (sideBySide && members.length > 1 && engine.parallel().threads() > 1) {
            engine.parallel().forChunks(members.length, body);
        } else {
            for (int m = 0; m < members.length; m++) {
                body.accept(m);
            }
        }
    }

    /**
     * Starts step {@code step}: copies every gradient into its buffer (a parameter without a gradient
     * buffer contributes zeros), clears the skip flag and the metrics.
     */
    public void loadGradients(ParameterSet params, long step) {
        loadGradients(params, step, false, false, false);
    }

    /**
     * As {@link #loadGradients(ParameterSet, long)}; when {@code checkFinite}, also finds whether every copied
     * value is finite, in the same pass, for {@link #takeLoadedFinite()}, and with {@code sumSquares} takes each
     * tensor's sum of squares there too, for {@link #loadedSumSquares(int)}. With {@code checkFinite} and
     * {@code deferCopy}, only reads the gradients (finiteness, sums) and leaves each copy to the first reader of
     * the tensor; the gradients must then stay as they are until {@link #loadAll()}.
     */
    void loadGradients(ParameterSet params, long step, boolean checkFinite, boolean sumSquares, boolean deferCopy) {
        if (params.size() != tensors.length) {
            throw new IllegalArgumentException("updates hold " + tensors.length + " tensors but the parameter set has "
                    + params.size());
        }
        for (int i = 0; i < tensors.length; i++) {
            var p = params.parameter(i);
            if (!p.value().shape().equals(tensors[i].shape())) {
                throw new IllegalArgumentException("parameter '" + params.path(i) + "' has shape " + p.value().shape()
                        + " but its update buffer has shape " + tensors[i].shape());
            }
        }
        boolean[] finite = finiteEach;
        boolean defer = checkFinite && deferCopy;
        forEachTensor(i -> {
            var p = params.parameter(i);
            finite[i] = true;
            source[i] = null;
            if (!p.hasGrad()) {
                tensors[i].fill(0f);
                loadedSumSquares[i] = 0;
            } else if (defer) {
                source[i] = p.grad().data();
                finite[i] = loadChecked(source[i], null, i, sumSquares);
            } else if (checkFinite) {
                finite[i] = loadChecked(p.grad().data(), tensors[i].data(), i, sumSquares);
            } else {
                tensors[i].copyFrom(p.grad());
            }
        });
        begin(step);
        deferred = defer;
        boolean all = true;
        for (boolean f : finite) {
            all &= f;
        }
        loadedFinite = checkFinite && all;
        java.util.Arrays.fill(sumSquaresValid, checkFinite && sumSquares);
    }

    /**
     * Whether every value of {@code src} is finite, chunk by chunk, copying each chunk into {@code dst} first
     * unless {@code dst} is null (a deferred load). With {@code sumSquares} also keeps the sum of squares of
     * tensor {@code i}, chunk by chunk in chunk order as {@code Engine.sumSquares} adds it, for a norm taken before
     * anyone rewrites the tensor; a finite sum needs every value finite, so only a non-finite one (an overflow is
     * possible) asks {@code max |x|}.
     */
    private boolean loadChecked(float[] src, float[] dst, int i, boolean sumSquares) {
        var k = engine.kernels();
        double[] part = chunkSums[i];
        boolean[] partFinite = chunkFinite[i];
        engine.parallel().forOwnedRange(src.length, LOAD_CHUNK, (lo, hi) -> {
            int n = hi - lo;
            if (dst != null) {
                System.arraycopy(src, lo, dst, lo, n); // the chunk is then in cache for the reads below
            }
            double sq = sumSquares ? k.sumSquares(src, lo, n) : 0.0;
            part[lo / LOAD_CHUNK] = sq;
            partFinite[lo / LOAD_CHUNK] = sumSquares && Double.isFinite(sq) || Float.isFinite(k.maxAbs(src, lo, n));
        });
        boolean finite = true;
        double sq = 0.0;
        for (int c = 0; c < part.length; c++) { // in chunk order, as Engine.sumSquares adds its chunks
            sq += part[c];
            finite &= partFinite[c];
        }
        loadedSumSquares[i] = sq;
        return finite;
    }

    /**
     * Copies tensor {@code i} from its gradient if a deferred load left it to copy, multiplying a pending factor
     * in on the way ({@code x s + 0}, the bits of a copy then {@link Norms#scale}).
     */
    private void ensureLoaded(int i) {
        float[] src = source[i];
        if (src == null) {
            return;
        }
        source[i] = null;
        float[] dst = tensors[i].data();
        float s = pending[i];
        if (s != 1f) {
            pending[i] = 1f;
            var k = engine.kernels();
            engine.parallel().forOwnedRange(src.length, LOAD_CHUNK, (lo, hi) -> k.scaleShift(src, lo, s, 0f, dst, lo, hi - lo));
        } else {
            engine.parallel().forOwnedRange(src.length, LOAD_CHUNK, (lo, hi) -> System.arraycopy(src, lo, dst, lo, hi - lo));
        }
    }

    /** Finishes a deferred load: copies every tensor not copied yet (a no-op after a full load). */
    public void loadAll() {
        if (deferred) {
            forEachTensor(this::ensureLoaded);
            deferred = false;
        }
    }

    /**
     * True when tensor {@code i} is as the last checked load left it (nobody has called {@link #get(int)} or
     * {@link #deferScale} on it since), so that {@link #loadedSumSquares(int)} is its sum of squares.
     */
    boolean hasLoadedSumSquares(int i) {
        return sumSquaresValid[i];
    }

    /** The sum of squares of tensor {@code i} taken by the last checked load; see {@link #hasLoadedSumSquares}. */
    double loadedSumSquares(int i) {
        return loadedSumSquares[i];
    }

    /**
     * True when the last load checked finiteness and found every value finite, and nobody has asked since:
     * the answer is given once, to the first transform of the step (a guard at the head of the chain).
     */
    boolean takeLoadedFinite() {
        boolean f = loadedFinite;
        loadedFinite = false;
        return f;
    }

    /** Starts step {@code step} on the tensors as they are: clears the skip flag and the metrics. */
    public void begin(long step) {
        this.step = step;
        this.skipped = false;
        this.skipReason = "";
        this.loadedFinite = false;
        java.util.Arrays.fill(pending, 1f);
        java.util.Arrays.fill(sumSquaresValid, false);
        java.util.Arrays.fill(discarded, false);
        metrics.clear();
    }

    public int size() {
        return tensors.length;
    }

    /**
     * The per-example gradients of this step's backward pass, or null when it recorded none: what a per-example
     * transform ({@link PrivateAggregate}) reads its norms and weights from. Set by {@code GradientStep} for each step.
     */
    public io.gradscale.autograd.PerExample perExample() {
        return perExample;
    }

    /** Sets the step's per-example gradients (null for none). */
    public void setPerExample(io.gradscale.autograd.PerExample pe) {
        this.perExample = pe;
    }

    /** The update tensor of parameter {@code i}, rewritten in place by transforms (a deferred factor applied first). */
    public Tensor get(int i) {
        checkKept(i);
        ensureLoaded(i);
        sumSquaresValid[i] = false;
        float s = pending[i];
        if (s != 1f) {
            pending[i] = 1f;
            Norms.scale(engine, tensors[i], s);
        }
        return tensors[i];
    }

    /**
     * Where to read tensor {@code i}'s current values from, for a transform that then overwrites every element
     * of {@link #get(int)}'s tensor, reading each element before writing it. While a deferred load has not
     * copied the tensor, and no factor is pending, this is the gradient itself, and the copy is skipped: the
     * transform's own pass reads the gradient and fills the buffer. Otherwise it is {@code get(i).data()}.
     */
    public float[] rewriteSource(int i) {
        checkKept(i);
        float[] src = source[i];
        if (src != null && pending[i] == 1f) {
            source[i] = null;
            sumSquaresValid[i] = false;
            return src;
        }
        return get(i).data();
    }

    /**
     * {@code u_i <- s u_i}, as {@link Norms#scale} would do it, but deferred until the tensor is next read
     * through {@link #get(int)} or applied by {@code GradientStep} (which fuses it into {@code w += u}).
     */
    public void deferScale(int i, float s) {
        sumSquaresValid[i] = false;
        if (pending[i] != 1f) {
            get(i); // one factor at a time, so the rounding is that of scaling twice
        }
        pending[i] = s;
    }

    /**
     * Records that tensor {@code i}'s update was added to its weights without being written here (a fused
     * {@code w += u} asked not to keep it, {@link StagedUpdate.Applying}): until the next load, reading the
     * tensor is an error instead of a stale value.
     */
    public void discard(int i) {
        discarded[i] = true;
        source[i] = null;
        pending[i] = 1f;
        sumSquaresValid[i] = false;
    }

    private void checkKept(int i) {
        if (discarded[i]) {
            throw new IllegalStateException("update " + i + " of step " + step + " was added to its weights without "
                    + "being kept: GradientStep.step() keeps no update it can apply in the same pass; call step(true) "
                    + "to read the updates after the step");
        }
    }

    /**
     * {@code w += u_i}, the last part of a {@code GradientStep}: {@code w + u} when no factor is pending, else
     * {@code w + (u s + 0)} with {@code s u} rounded (and a negative zero turned positive) exactly as
     * {@link Norms#scale} would have left it in {@code u}. The tensor itself keeps its pending factor for whoever
     * reads it later. When a deferred load has not copied the tensor and {@code keep} is false, the gradient is
     * read in place of the copy and the tensor is {@linkplain #discard discarded}: plain SGD reads each gradient
     * once and writes no update.
     */
    void addTo(int i, float[] w, boolean keep) {
        checkKept(i);
        float[] u;
        float s;
        if (source[i] != null && !keep) {
            u = source[i];
            s = pending[i];
            discard(i);
        } else {
            ensureLoaded(i); // first: it may multiply the pending factor in
            u = tensors[i].data();
            s = pending[i];
        }
        var k = engine.kernels();
        if (s == 1f) {
            engine.parallel().forOwnedRange(w.length, Norms.CHUNK, (lo, hi) -> k.add(w, lo, u, lo, w, lo, hi - lo));
        } else {
            engine.parallel().forOwnedRange(w.length, Norms.CHUNK, (lo, hi) -> {
                for (int j = lo; j < hi; j++) {
                    w[j] += u[j] * s + 0f;
                }
            });
        }
    }

    public Engine engine() {
        return engine;
    }

    public long step() {
        return step;
    }

    public boolean skipped() {
        return skipped;
    }

    /** Why the step was skipped, or "" when it was not. */
    public String skipReason() {
        return skipReason;
    }

    /** Marks this step skipped: the rest of the chain does not run and no weight changes. */
    public void skip(String reason) {
        skipped = true;
        skipReason = reason;
    }

    public Metrics metrics() {
        return metrics;
    }
}
