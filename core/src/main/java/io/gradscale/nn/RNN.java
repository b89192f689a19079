package io.gradscale.nn;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;

/**
 * The Elman network (Elman, "Finding structure in time", Cognitive Science 1990), PyTorch's {@code nn.RNN}:
 * {@code h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)} with {@code act} tanh or ReLU. Its gradient
 * through time is a product of {@code diag(act') W_hh} factors, the textbook case of vanishing and
 * exploding gradients (Bengio, Simard and Frasconi 1994; Pascanu, Mikolov and Bengio 2013).
 * Layout and initialization: see {@link Recurrent}.
 */
public final class RNN extends Recurrent {
    private final Nonlinearity activation;

    /** A tanh RNN with biases. */
    public RNN(int inputSize, int hiddenSize, int numLayers, Rng rng) {
        this(inputSize, hiddenSize, numLayers, Nonlinearity.TANH, true, rng);
    }

    /** {@code activation} is {@link Nonlinearity#TANH} (PyTorch's default) or {@link Nonlinearity#RELU}. */
    public RNN(int inputSize, int hiddenSize, int numLayers, Nonlinearity activation, boolean bias, Rng rng) {
        super(inputSize, hiddenSize, numLayers, bias, 1, rng);
        if (activation != Nonlinearity.TANH && activation != Nonlinearity.RELU) {
            throw new IllegalArgumentException("RNN: the nonlinearity must be TANH or RELU, got " + activation);
        }
        this.activation = activation;
    }

    @Override
    protected boolean hasCellState() {
        return false;
    }

    @Override
    protected Var[] step(Var xp, int t, Var hp, Var h, Var c) {
        return new Var[] {Ops.rnnCell(xp, t, hp, activation == Nonlinearity.RELU), null};
    }
}
