package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.StepWeight;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;
import java.util.function.Supplier;

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
 * <p>Per-example gradients ({@link PerExample}): a weight's per-example gradient is a sum over the time steps of
 * per-step outer products, {@code dW_ih_i = sum_t g_{t,i}^T x_{t,i}}, {@code dW_hh_i = sum_t g_{t,i}^T h_{t-1,i}}, kept
 * factored (the rows of every step) so that its norm comes from the Gram matrices of those rows, or from the
 * materialized sum where that is cheaper; the biases' are the sums of the rows' gradients.
 *
 * <p>Default initialization (PyTorch's): every weight and bias {@code ~ U(-1/sqrt(H), 1/sqrt(H))}, drawn
 * in parameter order.
 */
public abstract class Recurrent extends Module {
    /**
     * The result of a pass: {@link #output()}, every top-layer hidden state {@code [batch, seq, H]}; {@link #hidden()},
     * the final hidden state of every layer {@code [layers, batch, H]}; {@link #cell()}, the LSTM's final cell
     * states {@code [layers, batch, H]} (null for other cells).
     */
    public static final class Output {
        private final Supplier<Var> makeOutput;
        private Var output;
        private final Var hidden;
        private final Var cell;

        Output(Supplier<Var> makeOutput, Var hidden, Var cell) {
            this.makeOutput = makeOutput;
            this.hidden = hidden;
            this.cell = cell;
        }

        /**
         * Every top-layer hidden state, {@code [batch, seq, H]}: one concatenation of the steps' outputs, recorded on
         * the tape at the first call, so that a model reading only {@link #hidden()} (a head on the last step)
         * neither copies them nor sends zero gradients back through the copy (1-2 % of an LSTM or RNN training step).
         */
        public Var output() {
            if (output == null) {
                output = makeOutput.get();
            }
            return output;
        }

        /** The final hidden state of every layer, {@code [layers, batch, H]}. */
        public Var hidden() {
            return hidden;
        }

        /** The LSTM's final cell state of every layer, {@code [layers, batch, H]}; null for the other cells. */
        public Var cell() {
            return cell;
        }
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
     * True when {@code b_hh} must stay in the hidden projection {@code hp} (the GRU, whose reset gate
     * multiplies it); otherwise both biases are summed once into the input projections of all steps.
     */
    protected boolean hiddenBiasInCell() {
        return false;
    }

    /**
     * One step of one layer. {@code xp} holds the input projections of every step, {@code [batch, seq, G*H]}
     * ({@code x W_ih^T + b_ih}, plus {@code b_hh} unless {@link #hiddenBiasInCell()}); {@code hp = h W_hh^T}
     * ({@code + b_hh} when {@link #hiddenBiasInCell()}), {@code [batch, G*H]}; {@code h} and {@code c} are the
     * previous state ({@code c} null without a cell state). Returns the new {@code {h, c}}.
     */
    protected abstract Var[] step(Var xp, int t, Var hp, Var h, Var c);

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
     *
     * <p>The input projections of all steps are one product per layer ({@code [seq * batch, in] x [in, G*H]}, the
     * input taken time-major so that each step's rows are contiguous);
     * only the recurrent product {@code h W_hh^T} and the fused cell ({@link Ops#lstmCell}, {@link Ops#gruCell},
     * {@link Ops#rnnCell}) run step by step.
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
        Var zeros = x.tape().constant(x.tape().engine().zeros(batch, hiddenSize));
        PerExample pe = x.tape().perExample();
        Var[] finalH = new Var[numLayers];
        Var[] finalC = new Var[numLayers];
        // Time-major inside: [seq, batch, in], so that each step's rows of the input projection (and of its
        // gradient) are one contiguous block; the output goes back to batch-first.
        Var layerIn = x.transpose();
        Var[] steps = new Var[seq];
        for (int k = 0; k < numLayers; k++) {
            Var h = h0 == null ? zeros : layerState(h0, k, batch);
            Var c = hasCellState() ? (c0 == null ? zeros : layerState(c0, k, batch)) : null;
            Var wi = param(x, wIh[k]);
            Var wh = param(x, wHh[k]);
            Var bi = bIh[k] == null ? null : param(x, bIh[k]);
            Var bh = bHh[k] == null ? null : param(x, bHh[k]);
            Var inBias = bi == null ? null : (hiddenBiasInCell() ? bi : bi.add(bh));
            Var hBias = hiddenBiasInCell() ? bh : null;
            Var xp = Ops.linear(layerIn, wi, inBias);
            if (pe != null) { // per example: dW_ih_i = sum over steps of g^T x, d b_ih_i (and b_hh_i when summed in) = sum of g
                xp = pe.linear(xp, layerIn.value(), wIh[k], bIh[k], hiddenBiasInCell() ? null : bHh[k], 1);
            }
            StepWeight whPacked = new StepWeight(wh); // packed once per pass, not by every step's product
            for (int t = 0; t < seq; t++) {
                if (truncation > 0 && t > 0 && t % truncation == 0) {
                    h = h.detach();
                    c = c == null ? null : c.detach();
                }
                Var hp = Ops.linear(h, wh, hBias, whPacked);
                if (pe != null) { // dW_hh_i = sum over steps of g_t^T h_{t-1}: one block per step (nothing from a zero state)
                    hp = pe.linear(hp, h.value(), h == zeros ? null : wHh[k], hiddenBiasInCell() ? bHh[k] : null, null, 0);
                }
                Var[] next = step(xp, t, hp, h, c);
                h = next[0];
                c = next[1];
                steps[t] = h;
            }
            finalH[k] = h.reshape(1, batch, hiddenSize);
            finalC[k] = c == null ? null : c.reshape(1, batch, hiddenSize);
            if (k + 1 < numLayers) {
                layerIn = Ops.concat(0, reshaped(steps, 1, batch)); // the next layer's input, time-major
            }
        }
        Var[] top = steps;
        return new Output(() -> Ops.concat(1, reshaped(top, batch, 1)), // batch-first
                numLayers == 1 ? finalH[0] : Ops.concat(0, finalH),
                hasCellState() ? (numLayers == 1 ? finalC[0] : Ops.concat(0, finalC)) : null);
    }

    /** The tape's var of a parameter: a constant when per-example gradients are recorded (the taps give its gradient). */
    private static Var param(Var x, Parameter p) {
        return x.tape().perExample() == null ? x.tape().param(p) : x.tape().constant(p.value());
    }

    /** Each step's {@code [batch, H]} output reshaped to {@code [d0, d1, H]}, in a new array (concat keeps it for backward). */
    private Var[] reshaped(Var[] steps, int d0, int d1) {
        Var[] r = new Var[steps.length];
        for (int t = 0; t < steps.length; t++) {
            r[t] = steps[t].reshape(d0, d1, hiddenSize);
        }
        return r;
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
