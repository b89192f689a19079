package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/**
 * Cross-entropy from logits and class indices, PyTorch's {@code nn.CrossEntropyLoss}: for logits
 * {@code [N, C]} and classes {@code t_i} in {@code [0, C)}, {@code l_i = -log softmax(x_i)[t_i]}; the
 * gradient with respect to the logits is {@code softmax(x_i) - onehot(t_i)}.
 */
public final class CrossEntropyLoss {
    private final Reduction reduction;

    public CrossEntropyLoss() {
        this(Reduction.DEFAULT);
    }

    public CrossEntropyLoss(Reduction reduction) {
        this.reduction = reduction;
    }

    public Var apply(Var logits, int[] classes) {
        if (logits.shape().rank() != 2) {
            throw new ShapeException("CrossEntropyLoss: expected logits of shape [N, C], got " + logits.shape());
        }
        int n = logits.dim(0);
        int c = logits.dim(1);
        if (classes.length != n) {
            throw new ShapeException("CrossEntropyLoss: " + classes.length + " class indices for " + n + " rows of logits "
                    + logits.shape());
        }
        for (int i = 0; i < n; i++) {
            if (classes[i] < 0 || classes[i] >= c) {
                throw new IllegalArgumentException("CrossEntropyLoss: class index " + classes[i] + " at row " + i
                        + " is outside [0, " + c + ")");
            }
        }
        return reduction.apply(logits.logSoftmax().gatherLast(classes).neg());
    }
}
