package io.gradscale.autograd;

import io.gradscale.tensor.Tensor;

/**
 * A trainable tensor: its value, and the gradient that {@link Tape#backward} adds into.
 *
 * <p>As in PyTorch, gradients accumulate across backward passes until {@link #zeroGrad()}. A frozen
 * parameter is seen by the tape as a constant: it receives no gradient and optimizers skip it.
 * Layout comments on fields that hold parameters give the shape, e.g. {@code // [out, in]}.
 */
public final class Parameter {
    private final Tensor value;
    private Tensor grad;
    private boolean frozen;

    public Parameter(Tensor value) {
        this.value = value;
    }

    /** The current value, updated in place by optimizers. */
    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, allocated (as zeros) on first use; same shape as the value. */
    public Tensor grad() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        return grad;
    }

    /** True once a gradient buffer exists. */
    public boolean hasGrad() {
        return grad != null;
    }

    /** Sets every gradient element to zero (keeps the buffer). */
    public void zeroGrad() {
        if (grad != null) {
            grad.fill(0f);
        }
    }

    public boolean frozen() {
        return frozen;
    }

    public void setFrozen(boolean frozen) {
        this.frozen = frozen;
    }

    public int size() {
        return value.size();
    }

    @Override
    public String toString() {
        return "Parameter" + value.shape() + (frozen ? " (frozen)" : "");
    }
}
