package io.gradscale.cli.experiments;

import io.gradscale.autograd.Var;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Recurrent;
import io.gradscale.nn.Module;

/**
 * A recurrent stack read at its last step: {@code y = head(h_T)}, input {@code [batch, seq, in]},
 * output {@code [batch, out]}. The sequence tasks of the experiments (adding problem, temporal order)
 * have one target per sequence, which depends on inputs far back in time, so every gradient that
 * reaches an early input has travelled back through the whole recurrence. Children: {@code rnn}, {@code head}.
 */
final class RecurrentHead extends Module {
    private final Recurrent rnn;
    private final Linear head;

    RecurrentHead(Recurrent rnn, Linear head) {
        if (head.inFeatures() != rnn.hiddenSize()) {
            throw new IllegalArgumentException("the head reads " + head.inFeatures() + " features but the recurrent stack has "
                    + rnn.hiddenSize() + " hidden units");
        }
        this.rnn = registerModule("rnn", rnn);
        this.head = registerModule("head", head);
    }

    Recurrent rnn() {
        return rnn;
    }

    @Override
    public Var forward(Var x) {
        Var out = rnn.forward(x);
        int seq = out.dim(1);
        Var last = out.slice(1, seq - 1, seq).reshape(out.dim(0), rnn.hiddenSize());
        return head.forward(last);
    }
}
