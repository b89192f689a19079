package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;

/**
 * Gated recurrent unit (Cho et al., "Learning phrase representations using RNN encoder-decoder", EMNLP
 * 2014), PyTorch's {@code nn.GRU}, gate blocks in the order r, z, n:
 * <pre>
 * r = sigmoid(xp_r + hp_r)   z = sigmoid(xp_z + hp_z)   n = tanh(xp_n + r * hp_n)
 * h_t = (1 - z) * n + z * h_{t-1}
 * </pre>
 * where {@code hp_n = h W_hn^T + b_hn} keeps its bias inside the reset product, as in PyTorch (and cuDNN).
 * Layout and initialization: see {@link Recurrent}.
 */
public final class GRU extends Recurrent {
    public GRU(int inputSize, int hiddenSize, int numLayers, Rng rng) {
        this(inputSize, hiddenSize, numLayers, true, rng);
    }

    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, Rng rng) {
        super(inputSize, hiddenSize, numLayers, bias, 3, rng);
    }

    @Override
    protected boolean hasCellState() {
        return false;
    }

    @Override
    protected boolean hiddenBiasInCell() {
        return true;
    }

    @Override
    protected Var[] step(Var xp, int t, Var hp, Var h, Var c) {
        return new Var[] {Ops.gruCell(xp, t, hp, h), null};
    }
}
