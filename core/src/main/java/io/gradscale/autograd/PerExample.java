package io.gradscale.autograd;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-example gradients from one backward pass, for per-example clipping (DP-SGD, Abadi et al., "Deep learning
 * with differential privacy", CCS 2016): the batch's gradient becomes {@code sum_i c_i g_i}, where {@code g_i} is
 * example {@code i}'s gradient of its own loss and {@code c_i} a weight computed from the norms {@code ||g_i||}
 * by a {@link Clipping} policy.
 *
 * <p>Attached to a tape by {@link Tape#recording(Engine, PerExample)}. A layer that supports per-example
 * gradients reads its parameters as constants and wraps its output with one of the taps ({@link #linear},
 * {@link #dense}); the tap's backward rule receives the gradient {@code G} arriving at the output and keeps what
 * each parameter's per-example gradient is made of. No per-example gradient is formed unless it has to be:
 * <ul>
 *   <li>an affine weight {@code W [out, in]} applied to rows {@code x_r} with output gradients {@code g_r} has
 *       {@code dW_i = sum over example i's rows r of g_r^T x_r}. Its squared norm is
 *       {@code sum_{r,s} (x_r . x_s)(g_r . g_s)}: for one row per example (a Linear layer on non-sequence input)
 *       that is {@code ||x_i||^2 ||g_i||^2}, the "ghost norm" (Goodfellow, "Efficient per-example gradient
 *       computations", 2015; Li et al., "Large language models can be strong differentially private learners",
 *       ICLR 2022); for {@code R} rows per example (sequences, a recurrent weight used at every step) the same sum
 *       over the Gram matrices {@code X_i X_i^T} and {@code G_i G_i^T}, unless materializing {@code dW_i} is
 *       cheaper ({@code R (in + out) > in out}). The clipped sum is then one product
 *       {@code dW = (diag(c) G)^T X} over all rows, the cost of the ordinary weight gradient
 *       (the "book-keeping" single pass of Bu et al., "Differentially private optimization on large model at
 *       small cost", ICML 2023);</li>
 *   <li>any other parameter (biases, PReLU slopes, LayerNorm's affine) has its per-example gradient
 *       materialized, {@code [examples, size]}, by its layer's rule.</li>
 * </ul>
 *
 * <p>At the end of the backward pass ({@link #finish}) the norms are summed over parameters,
 * {@code ||g_i|| = sqrt(sum_p ||g_{p,i}||^2)}, the policy gives the weights, and {@code sum_i c_i g_{p,i}} is
 * written into each parameter's gradient. The tape never forms the plain gradient of a parameter a tap covers;
 * a trainable parameter read through {@link Tape#param} while per-example gradients are recorded is an error
 * (its module has no per-example rule, and its ordinary gradient would mix the examples).
 *
 * <p>Examples are the rows of the batch axis of the model's input. The recorded loss must be the mean of the
 * examples' losses (each example's loss its mean over its own positions): then example {@code i}'s gradient of
 * its own loss is {@code scale} (the batch size) times its share of the recorded gradient.
 */
public final class PerExample {
    /** Added to the norm in a clip factor {@code C / (||g_i|| + eps)}, as Opacus does. */
    public static final double CLIP_EPSILON = 1e-6;

    /** Turns per-example gradient norms into the weights {@code c_i} of the sum; a DP transform implements it. */
    public interface Clipping {
        /** {@code c_i} for each norm {@code ||g_i||} (possibly NaN or infinite); each in {@code [0, 1]} for clipping. */
        float[] weights(double[] norms);
    }

    /**
     * Clipping to {@code maxNorm}, weights {@link #clipFactors}: a policy with nothing else in it, which a cluster can
     * send to its workers (the private aggregate that clips the same way keeps its noise on the driver).
     */
    public record ClipToNorm(double maxNorm) implements Clipping, java.io.Serializable {
        public ClipToNorm {
            if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
                throw new IllegalArgumentException("a clipping bound must be positive and finite, got " + maxNorm);
            }
        }

        @Override
        public float[] weights(double[] norms) {
            return clipFactors(norms, maxNorm);
        }
    }

    /** The clip factors {@code min(1, maxNorm / (n + 1e-6))}, 0 for a non-finite norm (that example is left out). */
    public static float[] clipFactors(double[] norms, double maxNorm) {
        float[] c = new float[norms.length];
        for (int i = 0; i < norms.length; i++) {
            double n = norms[i];
            c[i] = Double.isFinite(n) ? (float) Math.min(1.0, maxNorm / (n + CLIP_EPSILON)) : 0f;
        }
        return c;
    }

    /** Rows {@code x [n, in]} and their output gradients {@code g [n, out]}; row r belongs to example {@code (r / stride) % examples}. */
    private record Block(Tensor x, Tensor g, int stride) {
    }

    /** What one parameter's per-example gradient is made of: blocks of an affine weight, or materialized rows. */
    private static final class Entry {
        final Parameter p;
        final List<Block> blocks = new ArrayList<>();
        float[] dense; // [examples, size], or null

        Entry(Parameter p) {
            this.p = p;
        }
    }

    private final int examples;
    private final float scale;
    private final Clipping clipping;
    private final Map<Parameter, Entry> entries = new LinkedHashMap<>();
    private double[] norms;
    private float[] weights;
    /** Wall time of {@link #finish}'s two phases, for benchmarks (never in metrics: they must not depend on timing). */
    private long normNanos;
    private long sumNanos;

    /**
     * @param examples the batch size (rows of the batch axis)
     * @param scale    the factor from a row's share of the recorded gradient to its example's own gradient: the
     *                 batch size for a mean loss
     * @param clipping the policy giving the weights of the sum
     */
    public PerExample(int examples, float scale, Clipping clipping) {
        if (examples < 1) {
            throw new IllegalArgumentException("per-example gradients need at least one example, got " + examples);
        }
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("per-example gradients: the scale must be positive and finite, got " + scale);
        }
        if (clipping == null) {
            throw new IllegalArgumentException("per-example gradients need a clipping policy");
        }
        this.examples = examples;
        this.scale = scale;
        this.clipping = clipping;
    }

    /**
     * The per-example gradients of a batch with no example (a Poisson draw can be empty): already finished, every
     * gradient zero, no norm. The step still runs, so that its noise is added and its privacy counted.
     */
    public static PerExample none(Clipping clipping) {
        if (clipping == null) {
            throw new IllegalArgumentException("per-example gradients need a clipping policy");
        }
        PerExample e = new PerExample(0, clipping);
        e.norms = new double[0];
        e.weights = new float[0];
        return e;
    }

    /**
     * The per-example record of a whole batch whose micro-batches were each clipped by their own per-example pass
     * (gradient accumulation, or a cluster's workers): already finished, with every example's norm and weight in
     * batch order. The clipped sum {@code sum_i c_i g_i} over the batch is the sum over its micro-batches of theirs
     * (the weights depend on each example's own norm only), and was formed by the caller.
     */
    public static PerExample gathered(Clipping clipping, double[] norms, float[] weights) {
        if (clipping == null) {
            throw new IllegalArgumentException("per-example gradients need a clipping policy");
        }
        if (norms.length != weights.length) {
            throw new IllegalArgumentException(norms.length + " per-example norms but " + weights.length + " weights");
        }
        PerExample e = new PerExample(norms.length, clipping);
        e.norms = norms.clone();
        e.weights = weights.clone();
        return e;
    }

    private PerExample(int examples, Clipping clipping) {
        this.examples = examples;
        this.scale = 1f;
        this.clipping = clipping;
    }

    public int examples() {
        return examples;
    }

    /** The policy that turns the norms into weights. */
    public Clipping clipping() {
        return clipping;
    }

    /** Each example's whole-model gradient norm {@code ||g_i||}, after the backward pass (null before). */
    public double[] norms() {
        return norms == null ? null : norms.clone();
    }

    /** The weights {@code c_i} the sum used, after the backward pass (null before). */
    public float[] weights() {
        return weights == null ? null : weights.clone();
    }

    /** True once {@link #finish} has run. */
    public boolean finished() {
        return norms != null;
    }

    // ------------------------------------------------------------------ taps, called by the layers' forward passes

    /**
     * The tap of an affine map {@code y = x W^T + b} whose weight and bias were read as constants: returns a var
     * equal to {@code y} whose backward rule keeps {@code (x, G)} for {@code weight} and the per-example row sums
     * of {@code G} for {@code bias} (and for {@code bias2}, a second bias added into the same output: a recurrent
     * layer's {@code b_hh} summed into its input projection). Any parameter may be null or frozen (then skipped).
     *
     * @param batchAxis 0 when {@code x} is batch-first ({@code [B, in]}, {@code [B, T, in]}); 1 for a time-major
     *                  {@code [T, B, in]}
     */
    public Var linear(Var y, Tensor x, Parameter weight, Parameter bias, Parameter bias2, int batchAxis) {
        int in = x.dim(-1);
        int out = y.dim(-1);
        int rows = x.size() / in;
        int stride = stride(x, batchAxis, "linear");
        boolean w = trains(weight);
        boolean b = trains(bias) || trains(bias2);
        if (!w && !b) {
            return y;
        }
        Tensor x2 = x.reshape(rows, in);
        return y.tape.tap(y, g -> {
            Tensor g2 = g.reshape(rows, out);
            if (w) {
                y.tape.hold(g2); // kept past the rule, until the pass ends
                entry(weight).blocks.add(new Block(x2, g2, stride));
            }
            if (b) {
                float[] sums = new float[examples * out];
                rowSums(y.tape.engine().kernels(), g2.data(), rows, out, stride, sums);
                if (trains(bias)) {
                    addDense(bias, sums);
                }
                if (trains(bias2)) {
                    addDense(bias2, sums);
                }
            }
        });
    }

    /**
     * The tap of a layer whose per-example gradients its own rule materializes: returns a var equal to {@code y}
     * whose backward rule calls {@code rule} with the gradient at {@code y}; the rule adds each parameter's
     * per-example rows with {@link #addDense}.
     */
    public Var dense(Var y, java.util.function.Consumer<Tensor> rule) {
        return y.tape.tap(y, rule::accept);
    }

    /**
     * Adds per-example rows {@code [examples, size]} (example i at {@code i * size}) to {@code p}'s per-example
     * gradient, in units of the recorded gradient (before {@code scale}). Frozen parameters are ignored.
     */
    public void addDense(Parameter p, float[] rows) {
        if (!trains(p)) {
            return;
        }
        if (rows.length != examples * p.size()) {
            throw new IllegalArgumentException("per-example rows of " + rows.length + " floats for a parameter of " + p.size()
                    + " elements and " + examples + " examples");
        }
        Entry e = entry(p);
        if (e.dense == null) {
            e.dense = rows.clone();
        } else {
            for (int i = 0; i < rows.length; i++) {
                e.dense[i] += rows[i];
            }
        }
    }

    /** True when {@code p} takes a gradient (not null, not frozen). */
    private static boolean trains(Parameter p) {
        return p != null && !p.frozen();
    }

    private Entry entry(Parameter p) {
        if (finished()) {
            throw new IllegalStateException("per-example gradients were already formed; record a new tape and PerExample for each pass");
        }
        return entries.computeIfAbsent(p, Entry::new);
    }

    /** Rows per example in a batch-first tensor, 1 for time-major; checks the batch axis holds the examples. */
    private int stride(Tensor x, int batchAxis, String what) {
        if (batchAxis != 0 && !(batchAxis == 1 && x.rank() == 3)) {
            throw new IllegalArgumentException(what + ": the batch axis must be 0, or 1 of a time-major [T, B, F] tensor, got "
                    + batchAxis + " for " + x.shape());
        }
        if (x.rank() < 2 || x.dim(batchAxis) != examples) {
            throw new IllegalArgumentException(what + ": axis " + batchAxis + " of " + x.shape() + " should hold the " + examples
                    + " examples of the batch");
        }
        return batchAxis == 1 ? 1 : x.size() / x.dim(-1) / examples;
    }

    /** The example a row belongs to. */
    private int exampleOf(int r, int stride) {
        return (r / stride) % examples;
    }

    /** {@code out[example(r)] += g[r]} over the rows of {@code g [rows, width]}. */
    private void rowSums(Kernels k, float[] g, int rows, int width, int stride, float[] out) {
        for (int r = 0; r < rows; r++) {
            k.add(out, exampleOf(r, stride) * width, g, r * width, out, exampleOf(r, stride) * width, width);
        }
    }

    /**
     * The per-example sums {@code out[example(r)] += v[r]} of {@code v [rows, width]} over the rows of a batch-first
     * tensor (rows {@code r} of example {@code r / (rows / examples)}): for layers that materialize their rows.
     */
    public float[] sumPerExample(Kernels k, float[] v, int rows, int width) {
        if (rows % examples != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + examples + " examples");
        }
        float[] out = new float[examples * width];
        rowSums(k, v, rows, width, rows / examples, out);
        return out;
    }

    // ------------------------------------------------------------------ the end of the backward pass

    /**
     * Computes the norms, asks the policy for the weights and writes {@code sum_i c_i g_{p,i}} into every covered
     * parameter's gradient (overwriting a cleared one, else adding). Called by {@link Tape#backward}.
     */
    void finish(Engine e) {
        if (finished()) {
            throw new IllegalStateException("per-example gradients were already formed for this pass");
        }
        long t0 = System.nanoTime();
        Kernels k = e.kernels();
        double[] sq = new double[examples];
        for (Entry en : entries.values()) {
            if (!en.blocks.isEmpty()) {
                affineSquaredNorms(k, en, sq);
            }
            if (en.dense != null) {
                int size = en.p.size();
                for (int i = 0; i < examples; i++) {
                    sq[i] += k.sumSquares(en.dense, i * size, size);
                }
            }
        }
        double[] n = new double[examples];
        for (int i = 0; i < examples; i++) {
            n[i] = scale * Math.sqrt(sq[i]);
        }
        float[] c = clipping.weights(n.clone());
        if (c == null || c.length != examples) {
            throw new IllegalStateException("the clipping policy returned " + (c == null ? "null" : c.length + " weights")
                    + " for " + examples + " examples");
        }
        float[] cs = new float[examples];
        for (int i = 0; i < examples; i++) {
            cs[i] = c[i] * scale;
        }
        long t1 = System.nanoTime();
        for (Entry en : entries.values()) {
            writeSum(e, en, cs);
        }
        norms = n;
        weights = c.clone();
        normNanos = t1 - t0;
        sumNanos = System.nanoTime() - t1;
    }

    /**
     * The wall time the end of the backward pass spent on the per-example norms (ghost norms and the rows of
     * materialized gradients, summed per example, and the clipping policy's weights), in nanoseconds; 0 before. For
     * benchmarks: the norms' share of a DP-SGD step.
     */
    public long normNanos() {
        return normNanos;
    }

    /** The wall time spent writing the clipped sums {@code sum_i c_i g_{p,i}} into the gradients, in nanoseconds; 0 before. */
    public long sumNanos() {
        return sumNanos;
    }

    /** Adds each example's squared norm of the affine weight's per-example gradient into {@code sq}. */
    private void affineSquaredNorms(Kernels k, Entry en, double[] sq) {
        int in = en.p.value().dim(1);
        int out = en.p.value().dim(0);
        // the rows of each example, as (block, row) pairs in block order
        int[][] rowsOf = new int[examples][];
        int[] count = new int[examples];
        for (Block b : en.blocks) {
            for (int r = 0; r < b.x().dim(0); r++) {
                count[exampleOf(r, b.stride())]++;
            }
        }
        for (int i = 0; i < examples; i++) {
            rowsOf[i] = new int[2 * count[i]];
            count[i] = 0;
        }
        for (int bi = 0; bi < en.blocks.size(); bi++) {
            Block b = en.blocks.get(bi);
            for (int r = 0; r < b.x().dim(0); r++) {
                int i = exampleOf(r, b.stride());
                rowsOf[i][count[i]++] = bi;
                rowsOf[i][count[i]++] = r;
            }
        }
        float[] m = null;
        for (int i = 0; i < examples; i++) {
            int rowCount = rowsOf[i].length / 2;
            if (rowCount == 0) {
                continue;
            }
            if ((long) rowCount * (in + out) <= (long) in * out) {
                sq[i] += gram(k, en, rowsOf[i], in, out);
            } else {
                if (m == null) {
                    m = new float[out * in];
                } else {
                    java.util.Arrays.fill(m, 0f);
                }
                sq[i] += materialized(k, en, rowsOf[i], in, out, m);
            }
        }
    }

    /** {@code sum_{a,b} (x_a . x_b)(g_a . g_b)} over the given rows: the squared Frobenius norm of {@code sum_a g_a^T x_a}. */
    private static double gram(Kernels k, Entry en, int[] rows, int in, int out) {
        double s = 0;
        for (int a = 0; a < rows.length; a += 2) {
            Block ba = en.blocks.get(rows[a]);
            float[] xa = ba.x().data();
            float[] ga = ba.g().data();
            int xo = rows[a + 1] * in;
            int go = rows[a + 1] * out;
            s += k.sumSquares(xa, xo, in) * k.sumSquares(ga, go, out);
            for (int b = a + 2; b < rows.length; b += 2) {
                Block bb = en.blocks.get(rows[b]);
                s += 2 * k.dot(xa, xo, bb.x().data(), rows[b + 1] * in, in) * k.dot(ga, go, bb.g().data(), rows[b + 1] * out, out);
            }
        }
        return s;
    }

    /** The squared norm of {@code sum_a g_a^T x_a} formed in {@code m [out, in]} (zeros on entry). */
    private static double materialized(Kernels k, Entry en, int[] rows, int in, int out, float[] m) {
        for (int a = 0; a < rows.length; a += 2) {
            Block b = en.blocks.get(rows[a]);
            float[] x = b.x().data();
            float[] g = b.g().data();
            int xo = rows[a + 1] * in;
            int go = rows[a + 1] * out;
            for (int o = 0; o < out; o++) {
                float gv = g[go + o];
                if (gv != 0f) {
                    k.axpy(gv, x, xo, m, o * in, in);
                }
            }
        }
        return k.sumSquares(m, 0, m.length);
    }

    /** Writes {@code sum_i cs_i g_{p,i}} into the parameter's gradient. */
    private void writeSum(Engine e, Entry en, float[] cs) {
        Tensor grad = en.p.takeZeroGrad();
        boolean accumulate = grad == null;
        if (accumulate) {
            grad = en.p.grad();
        }
        if (!en.blocks.isEmpty()) {
            int in = en.p.value().dim(1);
            int out = en.p.value().dim(0);
            int rows = 0;
            for (Block b : en.blocks) {
                rows += b.x().dim(0);
            }
            Tensor x = en.blocks.size() == 1 ? en.blocks.get(0).x() : Tensor.zeros(rows, in);
            Tensor gs = Tensor.zeros(rows, out);
            float[] gd = gs.data();
            int at = 0;
            for (Block b : en.blocks) {
                int n = b.x().dim(0);
                if (en.blocks.size() > 1) {
                    System.arraycopy(b.x().data(), 0, x.data(), at * in, n * in);
                }
                float[] g = b.g().data();
                for (int r = 0; r < n; r++) {
                    float c = cs[exampleOf(r, b.stride())];
                    if (c != 0f) { // a left-out example contributes zeros, even where its gradient is not finite
                        e.kernels().scaleShift(g, r * out, c, 0f, gd, (at + r) * out, out);
                    }
                }
                at += n;
            }
            e.gemmInto(true, false, gs, x, grad, accumulate);
            accumulate = true;
        }
        if (en.dense != null) {
            float[] d = grad.data();
            int size = en.p.size();
            if (!accumulate) {
                java.util.Arrays.fill(d, 0f);
            }
            for (int i = 0; i < examples; i++) {
                if (cs[i] != 0f) {
                    e.kernels().axpy(cs[i], en.dense, i * size, d, 0, size);
                }
            }
        }
    }
}
