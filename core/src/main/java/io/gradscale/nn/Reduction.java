package io.gradscale.nn;

import io.gradscale.autograd.Var;

/** How a loss combines its per-element terms: their mean (PyTorch's default) or their sum. */
public enum Reduction {
    MEAN, SUM;

    /** The reduction PyTorch's losses use unless told otherwise. */
    public static final Reduction DEFAULT = MEAN;

    Var apply(Var terms) {
        return this == MEAN ? terms.mean() : terms.sum();
    }
}
