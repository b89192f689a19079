package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/**
 * Binary cross-entropy on logits, PyTorch's {@code nn.BCEWithLogitsLoss}:
 * {@code l = -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] = softplus(x) - t x}, which never takes the
 * log of a saturated sigmoid; {@code dl/dx = sigmoid(x) - t}. Targets may be soft (any value in [0, 1]).
 */
public final class BCEWithLogitsLoss {
    private final Reduction reduction;

    public BCEWithLogitsLoss() {
        this(Reduction.DEFAULT);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        this.reduction = reduction;
    }

    public Var apply(Var logits, Var target) {
        if (!logits.shape().equals(target.shape())) {
            throw new ShapeException("BCEWithLogitsLoss: logits shape " + logits.shape() + " differs from target shape "
                    + target.shape());
        }
        return reduction.apply(logits.softplus(1f).sub(logits.mul(target)));
    }
}
