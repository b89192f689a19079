package io.gradscale.autograd;

import io.gradscale.tensor.BufferArena;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Define-by-run reverse-mode automatic differentiation.
 *
 * <p>A tape records, in order, every operation whose inputs need gradients. {@link #backward(Var)}
 * walks the records in reverse, applying each primitive's rule from {@link Ops} (the chain rule:
 * {@code dL/dx = sum over uses of dL/dy * dy/dx}), sums the gradients of values used more than once,
 * and adds the gradients of parameters into {@link Parameter#grad()}.
 *
 * <p>Make a new tape for every forward pass. {@link #noGrad(Engine)} gives a tape that records
 * nothing, for evaluation: the same model code then runs without building a graph.
 *
 * <p>A recording tape leases the outputs of its ops and its gradient buffers from a {@link BufferArena}: its own,
 * or one that outlives it ({@link #recording(Engine, BufferArena)}), so that the next step's tape reuses them. In the
 * backward pass a gradient buffer goes back to the arena when its last holder drops it (the tape drops each node's
 * output gradient after the node's rule ran) and a rule's temporaries after the rule, so later rules of the same pass
 * reuse them. Values of the forward pass live until the next step begins on the arena. Code written with {@link Ops}
 * gets all of this without doing anything; only a value or gradient kept past the next step must be copied.
 */
public final class Tape {
    /**
     * One recorded operation: its primitive, output, inputs and rule. A primitive with several outputs
     * (a recurrent cell's {@code h} and {@code c}) lists them all in {@code outs}; its rule then reads their
     * gradients itself (null where none arrived) and runs when any of them has one.
     */
    record Node(Ops.Primitive primitive, Var out, Var[] inputs, Ops.Rule rule, Var[] outs) {
    }

    private final Engine engine;
    /** Where the ops' results and the gradients are leased; null for a tape that records nothing. */
    private final BufferArena arena;
    private final boolean recording;
    /** Per-example gradients being recorded, or null for the ordinary gradient. */
    private final PerExample perExample;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Parameter, Var> params = new IdentityHashMap<>();
    private final Map<Var, StepWeightGrad> stepWeightGrads = new IdentityHashMap<>();
    private final List<StepWeightGrad> stepWeightOrder = new ArrayList<>();
    private boolean backwardDone;

    private Tape(Engine engine, boolean recording, PerExample perExample, BufferArena arena) {
        this.arena = arena;
        this.engine = arena == null ? engine : engine.onArena(arena);
        this.recording = recording;
        this.perExample = perExample;
        if (arena != null) {
            arena.beginStep();
        }
    }

    /**
     * A recording tape on the given engine, with an arena of its own: gradient buffers are reused within its
     * backward pass, and everything it leased lives as long as the tape.
     */
    public static Tape recording(Engine engine) {
        return new Tape(engine, true, null, new BufferArena());
    }

    /**
     * A recording tape that leases from {@code arena}, which outlives it: recording it begins a new step on the
     * arena, so what the previous tape on the arena leased (its values, its vars' gradients) is reused from now
     * on, and must not be read any more. A training loop that records one tape per step on one arena allocates
     * (almost) nothing per step once the arena holds what one step needs.
     */
    public static Tape recording(Engine engine, BufferArena arena) {
        if (arena == null) {
            throw new IllegalArgumentException("a tape on an arena needs an arena; use recording(engine) for a tape of its own");
        }
        return new Tape(engine, true, null, arena);
    }

    /**
     * A recording tape that records per-example gradients into {@code perExample} (see {@link PerExample}): layers
     * read their parameters as constants and tap their outputs, and the backward pass ends by writing the weighted
     * sum of the per-example gradients into the parameters' gradients.
     */
    public static Tape recording(Engine engine, PerExample perExample) {
        return recording(engine, perExample, new BufferArena());
    }

    /** {@link #recording(Engine, PerExample)} leasing from {@code arena}, as {@link #recording(Engine, BufferArena)}. */
    public static Tape recording(Engine engine, PerExample perExample, BufferArena arena) {
        if (perExample == null) {
            throw new IllegalArgumentException("a per-example tape needs a PerExample");
        }
        if (arena == null) {
            throw new IllegalArgumentException("a tape on an arena needs an arena");
        }
        return new Tape(engine, true, perExample, arena);
    }

    /** A recording tape on the serial engine. */
    public static Tape recording() {
        return recording(Engine.serial());
    }

    /** A tape that records nothing: values only, for evaluation and inference; its results are new arrays. */
    public static Tape noGrad(Engine engine) {
        return new Tape(engine, false, null, null);
    }

    public Engine engine() {
        return engine;
    }

    public boolean isRecording() {
        return recording;
    }

    /** The per-example gradients this tape records, or null when it records the ordinary gradient. */
    public PerExample perExample() {
        return perExample;
    }

    /** The arena this tape leases from, or null for a tape that records nothing. */
    public BufferArena arena() {
        return arena;
    }

    int generation(Tensor t) {
        return arena == null ? -1 : arena.generation(t.data());
    }

    void checkLive(Tensor t, int generation, String what) {
        if (arena != null && arena.debug()) {
            arena.checkLive(t.data(), generation, what);
        }
    }

    /** Counts one more holder of {@code t}'s buffer (see {@link BufferArena#hold}): it stays until dropped or the step ends. */
    void hold(Tensor t) {
        hold(t.data());
    }

    void hold(float[] buffer) {
        if (arena != null) {
            arena.hold(buffer);
        }
    }

    void drop(Tensor t) {
        if (arena != null) {
            arena.drop(t.data());
        }
    }

    /** Number of recorded operations. */
    public int size() {
        return nodes.size();
    }

    /** A value that receives no gradient. */
    public Var constant(Tensor t) {
        return new Var(this, t, false, null);
    }

    /** A leaf that receives a gradient (readable with {@link Var#grad()} after backward). */
    public Var variable(Tensor t) {
        return new Var(this, t, recording, null);
    }

    /**
     * The var for a parameter on this tape; the same parameter always gives the same var, so every use
     * of it adds to one gradient. A frozen parameter is a constant.
     */
    public Var param(Parameter p) {
        if (perExample != null && !p.frozen()) {
            throw new IllegalStateException("a trainable parameter " + p.value().shape() + " was read as a differentiable value"
                    + " while per-example gradients are recorded: the module using it has no per-example gradient rule"
                    + " (supported: Linear, PReLU, LayerNorm, RNN, LSTM, GRU), and its ordinary gradient would mix the examples");
        }
        return params.computeIfAbsent(p, q -> new Var(this, q.value(), recording && !q.frozen(), q));
    }

    /** Appends a node when the tape records and some input needs a gradient; returns the output var. */
    Var record(Ops.Primitive primitive, Tensor out, Ops.Rule rule, Var... inputs) {
        boolean needs = false;
        for (Var in : inputs) {
            if (in.tape != this) {
                throw new IllegalArgumentException(primitive + ": an input belongs to another tape");
            }
            in.checkValue();
            needs |= in.requiresGrad;
        }
        if (!recording || !needs) {
            return new Var(this, out, false, null);
        }
        Var v = new Var(this, out, true, null);
        nodes.add(new Node(primitive, v, inputs, rule, null));
        return v;
    }

    /**
     * Records a primitive with several outputs; {@code rule} is called with a null argument and reads the
     * gradients of the returned vars (in the order of {@code outs}) itself, each possibly null.
     */
    Var[] recordMulti(Ops.Primitive primitive, Tensor[] outs, Ops.Rule rule, Var... inputs) {
        boolean needs = false;
        for (Var in : inputs) {
            if (in == null) {
                continue;
            }
            if (in.tape != this) {
                throw new IllegalArgumentException(primitive + ": an input belongs to another tape");
            }
            in.checkValue();
            needs |= in.requiresGrad;
        }
        boolean rec = recording && needs;
        Var[] vs = new Var[outs.length];
        for (int i = 0; i < outs.length; i++) {
            vs[i] = new Var(this, outs[i], rec, null);
        }
        if (rec) {
            nodes.add(new Node(primitive, vs[0], inputs, rule, vs));
        }
        return vs;
    }

    /**
     * A var equal to {@code y} whose backward rule first hands the gradient arriving at it to {@code rule}, then
     * passes it on to {@code y}. Recorded whenever the tape records, even when {@code y} needs no gradient (a layer
     * whose parameters are read as constants still needs its output's gradient): the per-example taps.
     */
    Var tap(Var y, Ops.Rule rule) {
        if (y.tape != this) {
            throw new IllegalArgumentException("tap: the value belongs to another tape");
        }
        if (!recording) {
            return y;
        }
        Var v = new Var(this, y.value, true, null);
        nodes.add(new Node(Ops.Primitive.PER_EXAMPLE_TAP, v, new Var[] {y}, g -> {
            rule.backward(g);
            if (y.requiresGrad) {
                y.accumulate(g);
            }
        }, null));
        return v;
    }

    /** The gradient collector of parameter weight {@code w} shared by the steps of a sequence, made on first use. */
    StepWeightGrad stepWeightGrad(Var w) {
        return stepWeightGrads.computeIfAbsent(w, v -> {
            StepWeightGrad s = new StepWeightGrad(v);
            stepWeightOrder.add(s);
            return s;
        });
    }

    /** Backpropagates from a one-element {@code loss} with seed 1. */
    public void backward(Var loss) {
        if (loss.value.size() != 1) {
            throw new IllegalArgumentException("backward(loss) needs a one-element loss, got shape " + loss.shape()
                    + "; pass a seed gradient for other shapes");
        }
        backward(loss, Tensor.full(loss.shape(), 1f));
    }

    /** Backpropagates from {@code out} with the given seed gradient {@code dL/dout}. */
    public void backward(Var out, Tensor seed) {
        if (!recording) {
            throw new IllegalStateException("backward on a no-grad tape: nothing was recorded");
        }
        if (backwardDone) {
            throw new IllegalStateException("backward was already run on this tape; record a new tape for each pass");
        }
        if (!seed.shape().equals(out.shape())) {
            throw new IllegalArgumentException("seed gradient shape " + seed.shape() + " differs from output shape " + out.shape());
        }
        backwardDone = true;
        if (!out.requiresGrad) {
            if (perExample != null) {
                perExample.finish(engine); // no parameter reached the loss: every per-example gradient is zero
            }
            return;
        }
        arena.enterRelease();
        try {
            reverse(out, seed);
        } finally {
            arena.exitRelease();
        }
        if (perExample != null) {
            perExample.finish(engine);
        }
    }

    /**
     * The reverse pass proper: each rule in turn, each node's output gradient dropped after its rule and the rule's
     * temporaries given back to the arena, so that the next rules reuse them.
     */
    private void reverse(Var out, Tensor seed) {
        boolean debug = arena.debug();
        out.accumulate(seed);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            int mark = arena.mark();
            if (n.outs() != null) {
                boolean any = false;
                for (Var o : n.outs()) {
                    any |= o.grad != null;
                }
                if (any) {
                    if (debug) {
                        checkNode(n);
                    }
                    n.rule().backward(null);
                }
                for (Var o : n.outs()) {
                    if (o != out) {
                        o.setGrad(null);
                    }
                }
                arena.releaseUnheldSince(mark);
                continue;
            }
            Tensor g = n.out().grad;
            if (g == null) {
                continue;
            }
            if (debug) {
                checkNode(n);
            }
            n.rule().backward(g);
            if (n.out() != out) {
                n.out().setGrad(null); // intermediate gradients are not kept: their buffers go back to the arena
            }
            arena.releaseUnheldSince(mark);
        }
        int mark = arena.mark();
        for (StepWeightGrad s : stepWeightOrder) {
            s.flush(engine);
        }
        arena.releaseUnheldSince(mark);
        for (Map.Entry<Parameter, Var> e : params.entrySet()) {
            Var v = e.getValue();
            if (v.grad == null || v.grad == e.getKey().gradBuffer()) { // a product wrote straight into it
                continue;
            }
            Tensor zero = e.getKey().takeZeroGrad();
            if (zero != null) {
                zero.copyFrom(v.grad); // 0 + g = g: a copy, not a pass that reads zeros
            } else {
                engine.axpyInPlace(1f, v.grad, e.getKey().grad());
            }
        }
    }

    /** Debug mode: every buffer a node's rule may read (its inputs' values, its outputs' values and gradients) is live. */
    private static void checkNode(Node n) {
        for (Var in : n.inputs()) {
            if (in != null) {
                in.checkValue();
                in.checkGrad();
            }
        }
        for (Var o : n.outs() == null ? new Var[] {n.out()} : n.outs()) {
            o.checkValue();
            o.checkGrad();
        }
    }
}
