package io.gradscale.autograd;

import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import io.gradscale.tensor.UnaryOp;

/**
 * A value on a {@link Tape}: a tensor, and (after {@link Tape#backward}) its gradient.
 *
 * <p>Operations on vars compute their result at once and, when the tape records and an input needs a
 * gradient, append one node to the tape. The derivative rules live in {@link Ops}, one per primitive.
 */
public final class Var {
    final Tape tape;
    final Tensor value;
    final boolean requiresGrad;
    final Parameter parameter;
    Tensor grad;
    /** True when {@link #grad} is a buffer this var owns and may add into; false while it aliases another tensor. */
    boolean gradOwned;
    /** The arena generation of the value's and the gradient's buffers when this var took them (debug mode), or -1. */
    private final int valueGeneration;
    private int gradGeneration = -1;

    Var(Tape tape, Tensor value, boolean requiresGrad, Parameter parameter) {
        this.tape = tape;
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.parameter = parameter;
        this.valueGeneration = tape.generation(value);
    }

    /**
     * Debug mode of the tape's arena: fails when the value's buffer went back to the arena since this var took it.
     * Outside debug mode the generation is -1 and nothing is checked; the message is then not even built (it formats
     * the shape: in a two-thread GRU profile, building it on every recorded op cost 4 % of the step).
     */
    void checkValue() {
        if (valueGeneration >= 0) {
            tape.checkLive(value, valueGeneration, "the value of " + this);
        }
    }

    /** {@link #checkValue()} for the gradient. */
    void checkGrad() {
        if (grad != null && gradGeneration >= 0) {
            tape.checkLive(grad, gradGeneration, "the gradient of " + this);
        }
    }

    /**
     * Replaces the gradient, counting this var as a holder of the new buffer and no longer of the old one (see
     * {@link io.gradscale.tensor.BufferArena}): a gradient buffer leased in the backward pass returns to the arena
     * when its last holder lets it go.
     */
    void setGrad(Tensor g) {
        Tensor old = grad;
        grad = g;
        if (g != null) {
            tape.hold(g);
            gradGeneration = tape.generation(g);
        }
        if (old != null) {
            tape.drop(old);
        }
    }

    public Tape tape() {
        return tape;
    }

    /**
     * The value. On a tape recorded on a {@link io.gradscale.tensor.BufferArena}, it lives until the next step
     * begins on that arena; copy it to keep it longer.
     */
    public Tensor value() {
        checkValue();
        return value;
    }

    public Shape shape() {
        return value.shape();
    }

    public int dim(int axis) {
        return value.dim(axis);
    }

    /** True when gradients flow to this var. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The gradient of the last backward pass with respect to this var, or null if none reached it. */
    public Tensor grad() {
        checkGrad();
        return grad;
    }

    /** The single element of a one-element var. */
    public float item() {
        return value.item();
    }

    /** This value as a constant on the same tape (gradients stop here). */
    public Var detach() {
        return tape.constant(value);
    }

    void accumulate(Tensor g) {
        if (!g.shape().equals(value.shape())) {
            throw new IllegalStateException("gradient of shape " + g.shape() + " for a value of shape " + value.shape());
        }
        if (grad == null) {
            setGrad(g);
            gradOwned = false;
        } else if (gradOwned) {
            tape.engine().axpyInPlace(1f, g, grad);
        } else {
            setGrad(tape.engine().add(grad, g));
            gradOwned = true;
        }
    }

    /**
     * The gradient as a buffer this var owns (zeros when none has arrived, a copy of an aliased one), so
     * that a backward rule can add into it in place, e.g. a GEMM accumulating {@code dW} step after step.
     */
    Tensor ownGrad() {
        if (grad == null) {
            setGrad(tape.engine().zeros(value.shape()));
            gradOwned = true;
        } else if (!gradOwned) {
            Tensor own = tape.engine().blank(value.shape());
            own.copyFrom(grad);
            setGrad(own);
            gradOwned = true;
        }
        return grad;
    }

    // ------------------------------------------------------------ fluent forms of the primitives in Ops

    public Var add(Var o) {
        return Ops.add(this, o);
    }

    public Var sub(Var o) {
        return Ops.sub(this, o);
    }

    public Var mul(Var o) {
        return Ops.mul(this, o);
    }

    public Var div(Var o) {
        return Ops.div(this, o);
    }

    /** {@code this * s}. */
    public Var mul(float s) {
        return Ops.scaleShift(this, s, 0f);
    }

    /** {@code this + t}. */
    public Var add(float t) {
        return Ops.scaleShift(this, 1f, t);
    }

    public Var neg() {
        return Ops.unary(UnaryOp.NEG, 0f, this);
    }

    public Var exp() {
        return Ops.unary(UnaryOp.EXP, 0f, this);
    }

    public Var log() {
        return Ops.unary(UnaryOp.LOG, 0f, this);
    }

    public Var sqrt() {
        return Ops.unary(UnaryOp.SQRT, 0f, this);
    }

    public Var square() {
        return Ops.unary(UnaryOp.SQUARE, 0f, this);
    }

    public Var abs() {
        return Ops.unary(UnaryOp.ABS, 0f, this);
    }

    public Var tanh() {
        return Ops.unary(UnaryOp.TANH, 0f, this);
    }

    public Var sigmoid() {
        return Ops.unary(UnaryOp.SIGMOID, 0f, this);
    }

    public Var relu() {
        return Ops.unary(UnaryOp.RELU, 0f, this);
    }

    public Var leakyRelu(float slope) {
        return Ops.unary(UnaryOp.LEAKY_RELU, slope, this);
    }

    public Var elu(float alpha) {
        return Ops.unary(UnaryOp.ELU, alpha, this);
    }

    public Var gelu() {
        return Ops.unary(UnaryOp.GELU, 0f, this);
    }

    public Var softplus(float beta) {
        return Ops.unary(UnaryOp.SOFTPLUS, beta, this);
    }

    /** Sum of all elements (a scalar). */
    public Var sum() {
        return Ops.sum(this);
    }

    /** Mean of all elements (a scalar). */
    public Var mean() {
        return Ops.scaleShift(Ops.sum(this), 1f / value.size(), 0f);
    }

    public Var sum(int axis, boolean keepDim) {
        return Ops.sum(this, axis, keepDim);
    }

    public Var mean(int axis, boolean keepDim) {
        return Ops.scaleShift(Ops.sum(this, axis, keepDim), 1f / value.dim(axis), 0f);
    }

    public Var max(int axis, boolean keepDim) {
        return Ops.max(this, axis, keepDim);
    }

    public Var matmul(Var o) {
        return Ops.matmul(this, o, false, false);
    }

    public Var matmul(Var o, boolean transA, boolean transB) {
        return Ops.matmul(this, o, transA, transB);
    }

    public Var softmax() {
        return Ops.softmax(this);
    }

    public Var logSoftmax() {
        return Ops.logSoftmax(this);
    }

    public Var slice(int axis, int start, int end) {
        return Ops.slice(this, axis, start, end);
    }

    public Var reshape(int... dims) {
        return Ops.reshape(this, dims);
    }

    public Var transpose() {
        return Ops.transpose(this);
    }

    /** {@code this[i, index[i]]} over the last axis. */
    public Var gatherLast(int[] index) {
        return Ops.gatherLast(this, index);
    }

    @Override
    public String toString() {
        return "Var" + value.shape() + (requiresGrad ? " (grad)" : "");
    }
}
