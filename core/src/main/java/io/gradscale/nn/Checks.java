package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/** Input checks shared by the layers; every message names the layer, what it expected and what it got. */
final class Checks {
    private Checks() {
    }

    /** The input has rank at least 2 (a batch dimension) and its last dimension is {@code expected}. */
    static void lastDim(Module m, Var x, int expected) {
        if (x.shape().rank() < 2 || x.dim(-1) != expected) {
            throw new ShapeException(m.where() + ": expected input of shape [*, " + expected + "], got " + x.shape());
        }
    }

    static void rank(Module m, Var x, int expected, String layout) {
        if (x.shape().rank() != expected) {
            throw new ShapeException(m.where() + ": expected a rank-" + expected + " input " + layout + ", got shape "
                    + x.shape() + " (rank " + x.shape().rank() + ")");
        }
    }
}
