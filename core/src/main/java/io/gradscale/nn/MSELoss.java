package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/** Mean squared error: {@code l_i = (x_i - t_i)^2}, reduced by mean or sum; {@code dl/dx_i = 2 (x_i - t_i)}. */
public final class MSELoss {
    private final Reduction reduction;

    public MSELoss() {
        this(Reduction.DEFAULT);
    }

    public MSELoss(Reduction reduction) {
        this.reduction = reduction;
    }

    public Var apply(Var input, Var target) {
        if (!input.shape().equals(target.shape())) {
            throw new ShapeException("MSELoss: input shape " + input.shape() + " differs from target shape " + target.shape());
        }
        return reduction.apply(input.sub(target).square());
    }
}
