package io.gradscale.autograd;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The gradient of a parameter weight shared by every step of a sequence ({@code hp_t = h_{t-1} W^T}),
 * gathered during the reverse pass and formed once at its end:
 * {@code dW = sum_t g_t^T x_t = G^T X} with {@code G = [g_T; ...; g_1]} and {@code X = [x_T; ...; x_1]}
 * stacked in the order the steps' rules ran. One product with an inner dimension of {@code steps * batch}
 * instead of one small product per step (inner dimension {@code batch}), each of which reads and writes the
 * whole {@code dW}. Only parameter leaves qualify: nothing reads their gradient before the pass ends.
 * The stacking order is fixed by the tape, so the sum is the same on any thread count.
 */
final class StepWeightGrad {
    private final Var w;
    private final List<Tensor> gs = new ArrayList<>();
    private final List<Tensor> xs = new ArrayList<>();
    private int rows;

    StepWeightGrad(Var w) {
        this.w = w;
    }

    /**
     * Keeps one step's {@code g [rows, out]} and {@code x [rows, in]}. Neither is written afterwards: {@code x}
     * is a recorded value, and {@code g} is the gradient of the step's output, which the tape drops once
     * the step's rule has run (a var adds into a gradient buffer only while it holds it).
     */
    void add(Tensor g, Tensor x) {
        w.tape.hold(g); // the tape drops the step's output gradient after the rule: keep its buffer until flush
        gs.add(g);
        xs.add(x);
        rows += g.dim(0);
    }

    /**
     * Adds {@code G^T X} into the weight's gradient: both stacked by rows, then one product with G read
     * transposed (the GEMM packs a strip of {@code G^T} from eight rows of G at a time). Measured and not kept
     * (session 5): gathering {@code G^T} already transposed, at the end or step by step as each {@code g}
     * arrives, lets the product read it in place (an LSTM's {@code dW_hh} alone: 1.9-2.2 against 2.1-2.8 ms),
     * but in a training step the transposing copy took 4.7-5.5 % of the step, what stacking and packing take
     * here.
     */
    void flush(Engine e) {
        if (rows == 0) {
            return;
        }
        Tensor g = stack(e, gs, w.dim(0));
        Tensor x = stack(e, xs, w.dim(1));
        for (Tensor part : gs) {
            w.tape.drop(part);
        }
        Ops.addProduct(e, w, g, x, true, false);
        gs.clear();
        xs.clear();
        rows = 0;
    }

    /** The parts one under another: their rows add up to {@code rows}, so every element is written (no zero fill). */
    private Tensor stack(Engine e, List<Tensor> parts, int width) {
        Tensor all = e.blank(rows, width);
        float[] d = all.data();
        int at = 0;
        for (Tensor p : parts) {
            float[] s = p.data();
            int n = p.dim(0) * width;
            System.arraycopy(s, 0, d, at, n);
            at += n;
        }
        return all;
    }
}
