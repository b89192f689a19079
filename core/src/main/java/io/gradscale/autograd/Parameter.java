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
    /**
     * True when {@link #zeroGrad()} has cleared the gradient but its buffer was not yet filled: the zeros are
     * written when someone reads the gradient, or not at all when a backward pass overwrites the buffer
     * first ({@link #takeZeroGrad()}), which saves two passes over every gradient per training step.
     */
    private boolean zeroPending;
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
        } else if (zeroPending) {
            grad.fill(0f);
        }
        zeroPending = false;
        return grad;
    }

    /**
     * The gradient buffer for the caller to overwrite, if the gradient is zero now (cleared by
     * {@link #zeroGrad()} or never written), else null and the caller must add into {@link #grad()}. A
     * buffer returned here may hold stale values: the caller must write every element.
     */
    Tensor takeZeroGrad() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
            return grad;
        }
        if (!zeroPending) {
            return null;
        }
        zeroPending = false;
        return grad;
    }

    /**
     * The gradient buffer as it is (null before first use, zeros possibly not yet written): for the tape to
     * tell whether a var's gradient already is this buffer.
     */
    Tensor gradBuffer() {
        return grad;
    }

    /** True once a gradient buffer exists. */
    public boolean hasGrad() {
        return grad != null;
    }

    /** Sets every gradient element to zero (keeps the buffer; the zeros are written when next read). */
    public void zeroGrad() {
        zeroPending = grad != null;
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
