package io.gradscale.autograd;

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
    private final boolean recording;
    /** Per-example gradients being recorded, or null for the ordinary gradient. */
    private final PerExample perExample;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Parameter, Var> params = new IdentityHashMap<>();
    private final Map<Var, StepWeightGrad> stepWeightGrads = new IdentityHashMap<>();
    private final List<StepWeightGrad> stepWeightOrder = new ArrayList<>();
    private boolean backwardDone;

    private Tape(Engine engine, boolean recording, PerExample perExample) {
        this.engine = engine;
        this.recording = recording;
        this.perExample = perExample;
    }

    /** A recording tape on the given engine. */
    public static Tape recording(Engine engine) {
        return new Tape(engine, true, null);
    }

    /**
     * A recording tape that records per-example gradients into {@code perExample} (see {@link PerExample}): layers
     * read their parameters as constants and tap their outputs, and the backward pass ends by writing the weighted
     * sum of the per-example gradients into the parameters' gradients.
     */
    public static Tape recording(Engine engine, PerExample perExample) {
        if (perExample == null) {
            throw new IllegalArgumentException("a per-example tape needs a PerExample");
        }
        return new Tape(engine, true, perExample);
    }

    /** A recording tape on the serial engine. */
    public static Tape recording() {
        return new Tape(Engine.serial(), true, null);
    }

    /** A tape that records nothing: values only, for evaluation and inference. */
    public static Tape noGrad(Engine engine) {
        return new Tape(engine, false, null);
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
        out.accumulate(seed);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.outs() != null) {
                boolean any = false;
                for (Var o : n.outs()) {
                    any |= o.grad != null;
                }
                if (any) {
                    n.rule().backward(null);
                }
                for (Var o : n.outs()) {
                    if (o != out) {
                        o.grad = null;
                    }
                }
                continue;
            }
            Tensor g = n.out().grad;
            if (g == null) {
                continue;
            }
            n.rule().backward(g);
            if (n.out() != out) {
                n.out().grad = null; // intermediate gradients are not kept: free them early
            }
        }
        for (StepWeightGrad s : stepWeightOrder) {
            s.flush(engine);
        }
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
        if (perExample != null) {
            perExample.finish(engine);
        }
    }
}
