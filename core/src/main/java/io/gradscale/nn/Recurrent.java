package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack of recurrent layers over batch-first sequences, with PyTorch's parameter layout so that
 * weights move between the two unchanged.
 *
 * <p>Input {@code [batch, seq, inputSize]}. Layer {@code k} has {@code weight_ih_lk [G*H, in_k]},
 * {@code weight_hh_lk [G*H, H]}, {@code bias_ih_lk [G*H]}, {@code bias_hh_lk [G*H]}, where {@code G} is the
 * number of gate blocks stacked in the cell's order ({@link RNN}: 1, {@link GRU}: 3, {@link LSTM}: 4) and
 * {@code in_0 = inputSize}, {@code in_k = H} above. Layer {@code k + 1} reads layer {@code k}'s hidden states.
 *
 * <p>Backpropagation through time is the tape's ordinary reverse pass over the unrolled steps (Werbos,
 * "Backpropagation through time: what it does and how to do it", 1990). With {@link #truncateEvery(int)}
 * {@code k > 0}, the state is detached every {@code k} steps (before steps {@code k, 2k, ...}): each step's
 * output still trains the weights, but gradients reach back at most to the start of its window
 * (truncated BPTT, Williams and Peng 1990), which bounds both memory of the past and exploding products.
 *
 * <p>Default initialization (PyTorch's): every weight and bias {@code ~ U(-1/sqrt(H), 1/sqrt(H))}, drawn
 * in parameter order.
 */
public abstract class Recurrent extends Module {
    /**
     * The result of a pass: {@code output}, every top-layer hidden state {@code [batch, seq, H]}; {@code hidden},
     * the final hidden state of every layer {@code [layers, batch, H]}; {@code cell}, the LSTM's final cell
     * states {@code [layers, batch, H]} (null for other cells).
     */
    public record Output(Var output, Var hidden, Var cell) {
    }

    private final int inputSize;
    private final int hiddenSize;
    private final int numLayers;
    private final int gates;
    private final Parameter[] wIh; // [G*H, in_k] per layer
    private final Parameter[] wHh; // [G*H, H] per layer
    private final Parameter[] bIh; // [G*H] per layer, or null
    private final Parameter[] bHh; // [G*H] per layer, or null
    private int truncation;

    protected Recurrent(int inputSize, int hiddenSize, int numLayers, boolean bias, int gates, Rng rng) {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": inputSize, hiddenSize and numLayers must be positive, got "
                    + inputSize + ", " + hiddenSize + ", " + numLayers);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.gates = gates;
        wIh = new Parameter[numLayers];
        wHh = new Parameter[numLayers];
        bIh = new Parameter[numLayers];
        bHh = new Parameter[numLayers];
        double bound = 1.0 / Math.sqrt(hiddenSize);
        int gh = gates * hiddenSize;
        for (int k = 0; k < numLayers; k++) {
            int in = k == 0 ? inputSize : hiddenSize;
            wIh[k] = registerParameter("weight_ih_l" + k, new Parameter(Init.uniform(Tensor.zeros(gh, in), -bound, bound, rng)));
            wHh[k] = registerParameter("weight_hh_l" + k, new Parameter(Init.uniform(Tensor.zeros(gh, hiddenSize), -bound, bound, rng)));
            if (bias) {
                bIh[k] = registerParameter("bias_ih_l" + k, new Parameter(Init.uniform(Tensor.zeros(gh), -bound, bound, rng)));
                bHh[k] = registerParameter("bias_hh_l" + k, new Parameter(Init.uniform(Tensor.zeros(gh), -bound, bound, rng)));
            }
        }
    }

    public final int inputSize() {
        return inputSize;
    }

    public final int hiddenSize() {
        return hiddenSize;
    }

    public final int numLayers() {
        return numLayers;
    }

    /** Detach the state every {@code k} steps (truncated BPTT); 0, the default, backpropagates through the whole sequence. */
    public final Recurrent truncateEvery(int k) {
        if (k < 0) {
            throw new IllegalArgumentException(where() + ": the truncation window must be >= 0, got " + k);
        }
        truncation = k;
        return this;
    }

    public final int truncation() {
        return truncation;
    }

    /** True for cells that carry a second state (the LSTM's cell state). */
    protected abstract boolean hasCellState();

    /**
     * One step of one layer. {@code xp = x_t W_ih^T + b_ih} and {@code hp = h W_hh^T + b_hh}, both
     * {@code [batch, G*H]}; {@code h} and {@code c} are the previous state ({@code c} null without a cell
     * state). Returns the new {@code {h, c}}.
     */
    protected abstract Var[] step(Var xp, Var hp, Var h, Var c);

    /** Slices gate block {@code i} ({@code [batch, H]}) from a {@code [batch, G*H]} projection. */
    protected final Var gate(Var proj, int i) {
        return proj.slice(1, i * hiddenSize, (i + 1) * hiddenSize);
    }

    /** All hidden states of the top layer, {@code [batch, seq, H]}, from a zero initial state. */
    @Override
    public final Var forward(Var x) {
        return run(x, null, null).output();
    }

    /** A pass from a zero initial state. */
    public final Output run(Var x) {
        return run(x, null, null);
    }

    /**
     * A pass from the initial states {@code h0} (and {@code c0} for an LSTM), each {@code [layers, batch, H]},
     * or zeros where null.
     */
    public final Output run(Var x, Var h0, Var c0) {
        Checks.rank(this, x, 3, "[batch, seq, " + inputSize + "] (batch-first)");
        int batch = x.dim(0);
        int seq = x.dim(1);
        if (x.dim(2) != inputSize) {
            throw new ShapeException(where() + ": expected input of shape [batch, seq, " + inputSize + "], got " + x.shape());
        }
        if (seq == 0) {
            throw new ShapeException(where() + ": the sequence is empty, input shape " + x.shape());
        }
        checkState("h0", h0, batch);
        if (c0 != null && !hasCellState()) {
            throw new IllegalArgumentException(where() + ": c0 was given but this cell has no cell state");
        }
        checkState("c0", c0, batch);
        List<Var> inputs = new ArrayList<>(seq);
        for (int t = 0; t < seq; t++) {
            inputs.add(x.slice(1, t, t + 1).reshape(batch, inputSize));
        }
        Var zeros = x.tape().constant(Tensor.zeros(batch, hiddenSize));
        Var[] finalH = new Var[numLayers];
        Var[] finalC = new Var[numLayers];
        for (int k = 0; k < numLayers; k++) {
            Var h = h0 == null ? zeros : layerState(h0, k, batch);
            Var c = hasCellState() ? (c0 == null ? zeros : layerState(c0, k, batch)) : null;
            Var wi = x.tape().param(wIh[k]);
            Var wh = x.tape().param(wHh[k]);
            Var bi = bIh[k] == null ? null : x.tape().param(bIh[k]);
            Var bh = bHh[k] == null ? null : x.tape().param(bHh[k]);
            List<Var> outputs = new ArrayList<>(seq);
            for (int t = 0; t < seq; t++) {
                if (truncation > 0 && t > 0 && t % truncation == 0) {
                    h = h.detach();
                    c = c == null ? null : c.detach();
                }
                Var xp = inputs.get(t).matmul(wi, false, true);
                Var hp = h.matmul(wh, false, true);
                if (bi != null) {
                    xp = xp.add(bi);
                    hp = hp.add(bh);
                }
                Var[] next = step(xp, hp, h, c);
                h = next[0];
                c = next[1];
                outputs.add(h);
            }
            finalH[k] = h.reshape(1, batch, hiddenSize);
            finalC[k] = c == null ? null : c.reshape(1, batch, hiddenSize);
            inputs = outputs;
        }
        Var[] steps = new Var[seq];
        for (int t = 0; t < seq; t++) {
            steps[t] = inputs.get(t).reshape(batch, 1, hiddenSize);
        }
        Var output = Ops.concat(1, steps);
        return new Output(output, Ops.concat(0, finalH), hasCellState() ? Ops.concat(0, finalC) : null);
    }

    private void checkState(String name, Var s, int batch) {
        if (s == null) {
            return;
        }
        var want = io.gradscale.tensor.Shape.of(numLayers, batch, hiddenSize);
        if (!s.shape().equals(want)) {
            throw new ShapeException(where() + ": expected " + name + " of shape [layers, batch, hidden] = " + want + ", got "
                    + s.shape());
        }
    }

    private Var layerState(Var s, int k, int batch) {
        return s.slice(0, k, k + 1).reshape(batch, hiddenSize);
    }
}
