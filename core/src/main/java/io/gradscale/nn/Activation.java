package io.gradscale.nn;

import io.gradscale.tensor.Tensor;

import io.gradscale.autograd.Ops;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.UnaryOp;

/**
 * A parameter-free element-wise activation, one {@link UnaryOp} with its fixed parameter.
 *
 * <p>Why the choice matters for gradients: sigmoid's derivative is at most 1/4 and tanh's decays as
 * the unit saturates, so products of many of them vanish (Hochreiter 1991; Glorot and Bengio 2010);
 * ReLU passes gradient 1 where active (Nair and Hinton 2010; Glorot et al. 2011) but can die, which
 * Leaky ReLU (Maas et al. 2013), ELU (Clevert et al. 2016), GELU (Hendrycks and Gimpel 2016) and
 * softplus avoid by keeping a gradient for negative inputs.
 */
public final class Activation extends Module {
    /** PyTorch's {@code nn.LeakyReLU} default negative slope. */
    public static final float DEFAULT_LEAKY_SLOPE = 0.01f;
    /** PyTorch's {@code nn.ELU} default alpha. */
    public static final float DEFAULT_ELU_ALPHA = 1.0f;
    /** PyTorch's {@code nn.Softplus} default beta (its threshold 20 is built into {@link UnaryOp#SOFTPLUS}). */
    public static final float DEFAULT_SOFTPLUS_BETA = 1.0f;

    private final String name;
    private final UnaryOp op;
    private final float param;
    /** The output of the latest forward pass, kept for the activation monitor (a reference, not a copy). */
    private Tensor lastOutput;

    private Activation(String name, UnaryOp op, float param) {
        this.name = name;
        this.op = op;
        this.param = param;
    }

    /** {@code 1 / (1 + exp(-x))}. */
    public static Activation sigmoid() {
        return new Activation("Sigmoid", UnaryOp.SIGMOID, 0f);
    }

    public static Activation tanh() {
        return new Activation("Tanh", UnaryOp.TANH, 0f);
    }

    /** {@code max(0, x)}. */
    public static Activation relu() {
        return new Activation("ReLU", UnaryOp.RELU, 0f);
    }

    /** {@code x} for {@code x > 0}, else {@code slope * x}. */
    public static Activation leakyRelu(float slope) {
        return new Activation("LeakyReLU(" + slope + ")", UnaryOp.LEAKY_RELU, slope);
    }

    public static Activation leakyRelu() {
        return leakyRelu(DEFAULT_LEAKY_SLOPE);
    }

    /** {@code x} for {@code x > 0}, else {@code alpha (exp(x) - 1)}. */
    public static Activation elu(float alpha) {
        return new Activation("ELU(" + alpha + ")", UnaryOp.ELU, alpha);
    }

    public static Activation elu() {
        return elu(DEFAULT_ELU_ALPHA);
    }

    /** The exact {@code x Phi(x)}. */
    public static Activation gelu() {
        return new Activation("GELU", UnaryOp.GELU, 0f);
    }

    /** {@code log(1 + exp(beta x)) / beta}, linear where {@code beta x > 20}. */
    public static Activation softplus(float beta) {
        if (!(beta > 0f)) {
            throw new IllegalArgumentException("softplus: beta must be > 0, got " + beta);
        }
        return new Activation("Softplus(" + beta + ")", UnaryOp.SOFTPLUS, beta);
    }

    public static Activation softplus() {
        return softplus(DEFAULT_SOFTPLUS_BETA);
    }

    /** {@code y = x}: records nothing. */
    public static Activation identity() {
        return new Activation("Identity", null, 0f);
    }

    @Override
    public Var forward(Var x) {
        Var y = op == null ? x : Ops.unary(op, param, x);
        lastOutput = y.value();
        return y;
    }

    /** The output of the latest forward pass, or null before the first. */
    public Tensor lastOutput() {
        return lastOutput;
    }

    /** The kind for monitoring and remedies: "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "identity". */
    public String kind() {
        return op == null ? "identity" : op.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String toString() {
        return name;
    }
}
