package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invariants that golden values cannot show: dropout's statistics, modes, state plumbing, truncation. */
class BehaviourTest {
    @ParameterizedTest
    @ValueSource(floats = {0.1f, 0.5f, 0.8f})
    void dropoutZeroesAFractionPAndScalesTheRestToKeepTheMean(float p) {
        Tensor x = Tensor.uniform(new Rng(1), 0.5f, 1.5f, 400, 500);
        Dropout d = new Dropout(p, new Rng(2));
        Tensor y = d.forward(Tape.noGrad(Engine.serial()).constant(x)).value();
        int zeros = 0;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < x.size(); i++) {
            float v = y.data()[i];
            if (v == 0f) {
                zeros++;
            } else {
                assertEquals(x.data()[i] / (1f - p), v, 1e-6f * Math.abs(v));
            }
            sx += x.data()[i];
            sy += v;
        }
        int n = x.size();
        assertEquals(p, zeros / (double) n, 5 * Math.sqrt(p * (1 - p) / n));
        assertEquals(sx / n, sy / n, 0.01 * sx / n);
    }

    @Test
    void dropoutIsReproducibleFromItsSeedAndTheIdentityInEval() {
        Tensor x = Tensor.randn(new Rng(1), 20, 30);
        Tape t = Tape.noGrad(Engine.serial());
        Tensor a = new Dropout(0.3f, new Rng(5)).forward(t.constant(x)).value();
        Tensor b = new Dropout(0.3f, new Rng(5)).forward(t.constant(x)).value();
        Tensor c = new Dropout(0.3f, new Rng(6)).forward(t.constant(x)).value();
        assertTrue(a.bitEquals(b));
        assertFalse(a.bitEquals(c));
        Dropout d = new Dropout(0.3f, new Rng(5));
        d.eval();
        Var in = t.constant(x);
        assertSame(in, d.forward(in));
        Tensor all = new Dropout(1f, new Rng(5)).forward(t.constant(x)).value();
        for (float v : all.data()) {
            assertTrue(v == 0f, "p = 1 must drop everything, got " + v);
        }
    }

    @Test
    void batchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor x = Tensor.randn(new Rng(3), 64, 3);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = x.data()[i] * 2f + 5f;
        }
        Tape t = Tape.noGrad(Engine.serial());
        Tensor y = bn.forward(t.constant(x)).value();
        for (int c = 0; c < 3; c++) {
            double s = 0;
            double ss = 0;
            for (int n = 0; n < 64; n++) {
                s += y.get(n, c);
                ss += y.get(n, c) * y.get(n, c);
            }
            assertEquals(0, s / 64, 1e-5);
            assertEquals(1, ss / 64, 1e-3);
            assertEquals(0.9 * 0 + 0.1 * 5, bn.runningMean().get(c), 0.1);
        }
        assertEquals(1f, bn.namedBuffers().get("num_batches_tracked").item());
        bn.eval();
        Tensor before = bn.runningMean().copy();
        Tensor ye = bn.forward(t.constant(x)).value();
        assertTrue(before.bitEquals(bn.runningMean()), "eval must not move the running statistics");
        float expected = (float) ((x.get(0, 0) - bn.runningMean().get(0)) / Math.sqrt(bn.runningVar().get(0) + 1e-5));
        assertEquals(expected, ye.get(0, 0), 1e-5f);
    }

    /**
     * A pass records the batch-first output only when it is asked for, once: a model that reads the final state
     * alone records fewer nodes, and its gradients are those of the same model with the output built too.
     */
    @Test
    void theRecurrentOutputIsRecordedOnlyWhenAskedFor() {
        for (Recurrent m : new Recurrent[] {new RNN(3, 5, 2, new Rng(7)), new LSTM(3, 5, 1, new Rng(7))}) {
            Tensor xs = Tensor.randn(new Rng(8), 2, 6, 3);
            float[][] grads = new float[2][];
            int[] nodes = new int[2];
            for (int asked = 0; asked < 2; asked++) {
                m.zeroGrad();
                Tape t = Tape.recording(Engine.serial());
                Recurrent.Output o = m.run(t.constant(xs));
                if (asked == 1) {
                    assertSame(o.output(), o.output());
                }
                nodes[asked] = t.size();
                t.backward(o.hidden().sum());
                grads[asked] = m.parameters().get(0).grad().data().clone();
            }
            assertTrue(nodes[0] < nodes[1], m + ": " + nodes[0] + " nodes without the output, " + nodes[1] + " with it");
            assertArrayEquals(grads[1], grads[0], 0f, m + ": gradients");
        }
    }

    @Test
    void recurrentShapesAndTheFinalStateIsTheLastOutput() {
        Rng r = new Rng(4);
        Tape t = Tape.noGrad(Engine.serial());
        Var x = t.constant(Tensor.randn(r, 2, 7, 3));
        for (Recurrent m : new Recurrent[] {new RNN(3, 5, 3, r), new LSTM(3, 5, 2, r), new GRU(3, 5, 1, r)}) {
            Recurrent.Output o = m.run(x);
            assertEquals(io.gradscale.tensor.Shape.of(2, 7, 5), o.output().shape());
            assertEquals(io.gradscale.tensor.Shape.of(m.numLayers(), 2, 5), o.hidden().shape());
            if (m instanceof LSTM) {
                assertNotNull(o.cell());
                assertEquals(o.hidden().shape(), o.cell().shape());
            } else {
                assertNull(o.cell());
            }
            for (int b = 0; b < 2; b++) {
                for (int h = 0; h < 5; h++) {
                    assertEquals(o.output().value().get(b, 6, h), o.hidden().value().get(m.numLayers() - 1, b, h));
                }
            }
            assertTrue(m.forward(x).value().bitEquals(o.output().value()));
        }
    }

    @Test
    void truncatedBpttCutsGradientsAtWindowBoundariesOnly() {
        int k = 3;
        LSTM lstm = new LSTM(2, 4, 2, new Rng(5));
        Tensor xs = Tensor.randn(new Rng(6), 1, 8, 2);
        for (boolean truncated : new boolean[] {false, true}) {
            lstm.truncateEvery(truncated ? k : 0);
            Tape t = Tape.recording();
            Var x = t.variable(xs);
            Var last = lstm.forward(x).slice(1, 7, 8).sum();
            t.backward(last);
            for (int step = 0; step < 8; step++) {
                double g = 0;
                for (int f = 0; f < 2; f++) {
                    g += Math.abs(x.grad().get(0, step, f));
                }
                // Step 7 lies in the window [6, 9); only its steps reach the last output when truncated.
                boolean reaches = !truncated || step >= 6;
                assertEquals(reaches, g > 0, "truncated=" + truncated + " step " + step + ": |grad| " + g);
            }
        }
    }

    @Test
    void initialStatesChangeTheOutputAndReceiveGradients() {
        GRU gru = new GRU(3, 4, 2, new Rng(7));
        Tape t = Tape.recording();
        Var x = t.constant(Tensor.randn(new Rng(8), 2, 4, 3));
        Var h0 = t.variable(Tensor.randn(new Rng(9), 2, 2, 4));
        Recurrent.Output withH0 = gru.run(x, h0, null);
        Recurrent.Output fromZero = gru.run(x);
        assertFalse(withH0.output().value().bitEquals(fromZero.output().value()));
        t.backward(withH0.output().sum());
        assertNotNull(h0.grad());
        assertTrue(Math.abs(h0.grad().get(1, 0, 0)) > 0);
    }
}
