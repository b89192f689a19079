package io.gradscale.cli.config;

import io.gradscale.autograd.Var;
import io.gradscale.nn.Module;
import io.gradscale.nn.Recurrent;

/** The two network shapes a configuration can ask for besides the layers of {@code io.gradscale.nn}. */
final class Networks {
    private Networks() {
    }

    /** {@code [batch, d1, d2, ...] -> [batch, d1 * d2 * ...]}, for feeding images or windows to an MLP. */
    static final class Flatten extends Module {
        @Override
        public Var forward(Var x) {
            return x.shape().rank() == 2 ? x : x.reshape(x.dim(0), -1);
        }
    }

    /**
     * A recurrent network with a linear head: on the last time step ({@code [batch, outputs]}) for
     * sequence-to-one tasks, or on every step ({@code [batch * steps, outputs]}) for per-step labels.
     */
    static final class RecurrentNet extends Module {
        private final Recurrent rnn;
        private final Module head;
        private final boolean everyStep;

        RecurrentNet(Recurrent rnn, Module head, boolean everyStep) {
            this.rnn = registerModule("rnn", rnn);
            this.head = registerModule("head", head);
            this.everyStep = everyStep;
        }

        @Override
        public Var forward(Var x) {
            Var h = rnn.forward(x.shape().rank() == 2 ? x.reshape(x.dim(0), x.dim(1), 1) : x); // [B, T, H]
            int b = h.dim(0);
            int t = h.dim(1);
            int hid = h.dim(2);
            Var features = everyStep ? h.reshape(b * t, hid) : h.slice(1, t - 1, t).reshape(b, hid);
            return head.forward(features);
        }
    }
}
