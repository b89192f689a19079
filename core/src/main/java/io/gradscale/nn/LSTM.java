package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;

/**
 * Long short-term memory (Hochreiter and Schmidhuber, Neural Computation 1997; with the forget gate of
 * Gers, Schmidhuber and Cummins 2000), PyTorch's {@code nn.LSTM}, gate blocks in the order i, f, g, o:
 * <pre>
 * i = sigmoid(xp_i + hp_i)   f = sigmoid(xp_f + hp_f)   g = tanh(xp_g + hp_g)   o = sigmoid(xp_o + hp_o)
 * c_t = f * c_{t-1} + i * g          h_t = o * tanh(c_t)
 * </pre>
 * The additive cell path {@code dc_t/dc_{t-1} = f} is the constant error carousel that keeps gradients
 * from vanishing over long spans. Layout and initialization: see {@link Recurrent}.
 */
public final class LSTM extends Recurrent {
    public LSTM(int inputSize, int hiddenSize, int numLayers, Rng rng) {
        this(inputSize, hiddenSize, numLayers, true, rng);
    }

    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, Rng rng) {
        super(inputSize, hiddenSize, numLayers, bias, 4, rng);
    }

    @Override
    protected boolean hasCellState() {
        return true;
    }

    @Override
    protected Var[] step(Var xp, int t, Var hp, Var h, Var c) {
        return Ops.lstmCell(xp, t, hp, c);
    }
}
