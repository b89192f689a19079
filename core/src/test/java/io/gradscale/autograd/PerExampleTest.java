package io.gradscale.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.GRU;
import io.gradscale.nn.LSTM;
import io.gradscale.nn.LayerNorm;
import io.gradscale.nn.Linear;
import io.gradscale.nn.MSELoss;
import io.gradscale.nn.Module;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.PReLU;
import io.gradscale.nn.RNN;
import io.gradscale.nn.Recurrent;
import io.gradscale.nn.Sequential;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Per-example gradients held to batch-of-one gradients computed by the ordinary tape, for every supported layer:
 * each example's norm, and the weighted sum {@code sum_i c_i g_i} for random weights, both against references
 * formed in double from the B separate passes.
 */
class PerExampleTest {
    /** A model, how to make an input batch of B examples, and the output's width (the target's shape follows it). */
    record Case(String name, Function<Rng, Module> model, int[] inputDims, boolean sequenceOut) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A recurrent layer followed by a Linear head on its batch-first output (or on the last hidden state). */
    private static final class Seq extends Module {
        private final Recurrent rnn;
        private final Linear head;
        private final boolean lastOnly;

        Seq(Recurrent rnn, Linear head, boolean lastOnly) {
            this.rnn = registerModule("rnn", rnn);
            this.head = registerModule("head", head);
            this.lastOnly = lastOnly;
        }

        @Override
        public Var forward(Var x) {
            Recurrent.Output o = rnn.run(x);
            if (lastOnly) {
                Var h = o.hidden();
                return head.forward(h.slice(0, h.dim(0) - 1, h.dim(0)).reshape(h.dim(1), h.dim(2)));
            }
            return head.forward(o.output());
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("linear (ghost norm)", r -> new Linear(5, 3, r), new int[] {5}, false),
                new Case("linear without bias", r -> new Linear(5, 3, false, r), new int[] {5}, false),
                new Case("mlp relu", r -> new Sequential(new Linear(6, 7, r), Activation.relu(), new Linear(7, 2, r)), new int[] {6}, false),
                new Case("linear reused (tied weight)", r -> {
                    Linear l = new Linear(4, 4, r);
                    return new Sequential(l, Activation.tanh(), l);
                }, new int[] {4}, false),
                new Case("linear on sequences, Gram norm", r -> new Linear(8, 8, r), new int[] {3, 8}, true),
                new Case("linear on sequences, materialized norm", r -> new Linear(2, 3, r), new int[] {5, 2}, true),
                new Case("prelu shared", r -> new Sequential(new Linear(4, 5, r), new PReLU(), new Linear(5, 2, r)), new int[] {4}, false),
                new Case("prelu per channel", r -> new Sequential(new Linear(4, 5, r), new PReLU(5, 0.1f), new Linear(5, 2, r)), new int[] {4}, false),
                new Case("layernorm", r -> new Sequential(new Linear(4, 6, r), new LayerNorm(6), Activation.tanh(), new Linear(6, 2, r)),
                        new int[] {4}, false),
                new Case("layernorm on sequences", r -> new Sequential(new LayerNorm(5), new Linear(5, 2, r)), new int[] {3, 5}, true),
                new Case("rnn tanh, materialized", r -> new Seq(new RNN(3, 4, 1, r), new Linear(4, 2, r), false), new int[] {6, 3}, true),
                new Case("rnn relu 2 layers, Gram", r -> new Seq(new RNN(3, 16, 2, Nonlinearity.RELU, true, r), new Linear(16, 1, r), true),
                        new int[] {4, 3}, false),
                new Case("lstm", r -> new Seq(new LSTM(3, 5, 1, r), new Linear(5, 2, r), true), new int[] {5, 3}, false),
                new Case("lstm 2 layers on every step", r -> new Seq(new LSTM(2, 3, 2, r), new Linear(3, 1, r), false), new int[] {4, 2}, true),
                new Case("gru", r -> new Seq(new GRU(3, 4, 1, r), new Linear(4, 2, r), false), new int[] {5, 3}, true),
                new Case("gru 2 layers", r -> new Seq(new GRU(2, 3, 2, r), new Linear(3, 1, r), true), new int[] {3, 2}, false),
                new Case("gru without bias", r -> new Seq(new GRU(2, 3, 1, false, r), new Linear(3, 1, r), true), new int[] {4, 2}, false));
    }

    private static final int BATCH = 4;

    /** Runs the model on {@code x} with target {@code y}, mean squared error; returns the loss var. */
    private static Var loss(Module m, Tape t, Tensor x, Tensor y) {
        Var out = m.forward(t.constant(x));
        return new MSELoss().apply(out, t.constant(y));
    }

    private static Tensor rows(Tensor t, int i) {
        int[] dims = t.shape().dims();
        int per = t.size() / dims[0];
        dims[0] = 1;
        float[] d = new float[per];
        System.arraycopy(t.data(), i * per, d, 0, per);
        return Tensor.wrap(d, dims);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void perExampleGradientsEqualBatchOfOneGradients(Case c) {
        Rng rng = new Rng(c.name().hashCode());
        Module m = c.model().apply(rng);
        int[] xd = new int[c.inputDims().length + 1];
        xd[0] = BATCH;
        System.arraycopy(c.inputDims(), 0, xd, 1, c.inputDims().length);
        Tensor x = Tensor.randn(rng, xd);
        Tape probe = Tape.noGrad(Engine.serial());
        Tensor outShape = m.forward(probe.constant(x)).value();
        Tensor y = Tensor.randn(rng, outShape.shape().dims());
        List<Parameter> ps = m.parameters().stream().distinct().toList(); // a reused layer lists its parameters twice

        // the references: B separate passes of one example each, gradients in double
        double[][][] ref = new double[BATCH][ps.size()][];
        double[] refNorm = new double[BATCH];
        for (int i = 0; i < BATCH; i++) {
            m.zeroGrad();
            Tape t = Tape.recording(Engine.serial());
            t.backward(loss(m, t, rows(x, i), rows(y, i)));
            double sq = 0;
            for (int p = 0; p < ps.size(); p++) {
                float[] g = ps.get(p).grad().data();
                ref[i][p] = new double[g.length];
                for (int j = 0; j < g.length; j++) {
                    ref[i][p][j] = g[j];
                    sq += (double) g[j] * g[j];
                }
            }
            refNorm[i] = Math.sqrt(sq);
        }

        float[] c0 = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            c0[i] = i == 1 ? 0f : 0.1f + 0.9f * rng.nextFloat(); // one example left out entirely
        }
        m.zeroGrad();
        PerExample pe = new PerExample(BATCH, BATCH, norms -> c0.clone());
        Tape t = Tape.recording(Engine.serial(), pe);
        t.backward(loss(m, t, x, y));

        double[] norms = pe.norms();
        for (int i = 0; i < BATCH; i++) {
            assertEquals(refNorm[i], norms[i], 2e-5 * (1 + refNorm[i]), c + ": norm of example " + i);
        }
        for (int p = 0; p < ps.size(); p++) {
            float[] got = ps.get(p).grad().data();
            double scale = 0;
            for (int i = 0; i < BATCH; i++) {
                scale = Math.max(scale, refNorm[i]);
            }
            for (int j = 0; j < got.length; j++) {
                double want = 0;
                for (int i = 0; i < BATCH; i++) {
                    want += c0[i] * ref[i][p][j];
                }
                assertEquals(want, got[j], 2e-5 * (1 + scale), c + ": parameter " + p + " element " + j);
            }
        }
    }

    @Test
    void unitWeightsGiveBatchSizeTimesTheOrdinaryGradient() {
        Rng rng = new Rng(7);
        Module m = new Sequential(new Linear(5, 4, rng), Activation.tanh(), new Linear(4, 3, rng));
        Tensor x = Tensor.randn(rng, 6, 5);
        Tensor y = Tensor.randn(rng, 6, 3);
        Tape t = Tape.recording(Engine.serial());
        t.backward(loss(m, t, x, y));
        List<float[]> plain = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            plain.add(p.grad().data().clone());
        }
        m.zeroGrad();
        Tape tp = Tape.recording(Engine.serial(), new PerExample(6, 6, n -> {
            float[] w = new float[n.length];
            java.util.Arrays.fill(w, 1f);
            return w;
        }));
        tp.backward(loss(m, tp, x, y));
        for (int p = 0; p < plain.size(); p++) {
            float[] got = m.parameters().get(p).grad().data(); // no layer is reused here
            for (int j = 0; j < got.length; j++) {
                assertEquals(6 * plain.get(p)[j], got[j], 1e-5 * (1 + Math.abs(6 * plain.get(p)[j])));
            }
        }
    }

    @Test
    void clipFactorsBoundEveryWeightedNormByTheClip() {
        double[][] norms = {{0, 0.5, 1, 1 + 1e-9, 2, 1e30}, {Double.NaN, Double.POSITIVE_INFINITY, 3}};
        for (double[] n : norms) {
            for (double clip : new double[] {0.1, 1, 5}) {
                float[] c = PerExample.clipFactors(n, clip);
                for (int i = 0; i < n.length; i++) {
                    assertTrue(c[i] >= 0f && c[i] <= 1f, "factor in [0, 1]");
                    if (Double.isFinite(n[i])) {
                        assertTrue(c[i] * n[i] <= clip * (1 + 1e-6), "clipped norm " + c[i] * n[i] + " <= " + clip);
                        assertEquals((float) Math.min(1, clip / (n[i] + PerExample.CLIP_EPSILON)), c[i], "Opacus's factor");
                        if (n[i] <= clip / 2) {
                            assertEquals(1f, c[i], "a norm within the clip is kept");
                        }
                    } else {
                        assertEquals(0f, c[i], "a non-finite norm leaves its example out");
                    }
                }
            }
        }
    }

    @Test
    void batchNormIsRefusedWithTheReason() {
        Rng rng = new Rng(3);
        Module m = new Sequential(new Linear(3, 4, rng), new BatchNorm1d(4));
        Tape t = Tape.recording(Engine.serial(), new PerExample(5, 5, n -> new float[n.length]));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.forward(t.constant(Tensor.randn(rng, 5, 3))));
        assertTrue(e.getMessage().contains("BatchNorm1d '1'") && e.getMessage().contains("mixes the examples"), e.getMessage());
    }

    @Test
    void aModuleWithoutARuleIsRefused() {
        Parameter w = new Parameter(Tensor.ones(3));
        Module custom = new Module() {
            @Override
            public Var forward(Var x) {
                return x.mul(x.tape().param(w));
            }
        };
        Tape t = Tape.recording(Engine.serial(), new PerExample(2, 2, n -> new float[n.length]));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> custom.forward(t.constant(Tensor.ones(2, 3))));
        assertTrue(e.getMessage().contains("no per-example gradient rule"), e.getMessage());
    }
}
