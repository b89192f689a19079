package io.gradscale.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Parallel;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A parameter weight shared by the steps of an unrolled recurrence {@code h_t = tanh(x_t + h_{t-1} W^T)}:
 * its gradient formed once at the end of the pass ({@link StepWeightGrad}) equals the per-step products of
 * the plain {@link Ops#linear(Var, Var, Var)}, including when some steps receive no gradient (a state
 * detached part-way, as in truncated BPTT), and is bit-identical on one and two threads.
 */
class StepWeightGradTest {
    static Stream<Arguments> cases() {
        // batch, hidden (W is [hidden, hidden]), steps, the step before which the state is detached (0: never)
        return Stream.of(
                Arguments.of(3, 4, 5, 0),
                Arguments.of(1, 7, 3, 0),
                Arguments.of(8, 16, 12, 5),
                Arguments.of(32, 64, 20, 7));
    }

    /** dW after one pass; {@code shared} picks the overload with W^T given (the deferred product). */
    private static float[] weightGrad(Engine e, int batch, int hidden, int steps, int detachAt, boolean shared, long seed) {
        Rng rng = new Rng(seed);
        Parameter w = new Parameter(Tensor.uniform(rng, -0.3f, 0.3f, hidden, hidden));
        Tensor[] xs = new Tensor[steps];
        for (int t = 0; t < steps; t++) {
            xs[t] = Tensor.randn(rng, batch, hidden);
        }
        Tape tape = Tape.recording(e);
        Var wv = tape.param(w);
        StepWeight packed = new StepWeight(wv);
        Var h = tape.constant(Tensor.zeros(batch, hidden));
        for (int t = 0; t < steps; t++) {
            if (detachAt > 0 && t == detachAt) {
                h = h.detach();
            }
            Var hp = shared ? Ops.linear(h, wv, null, packed) : Ops.linear(h, wv, null);
            h = tape.constant(xs[t]).add(hp).tanh();
        }
        tape.backward(h.sum());
        return w.grad().data().clone();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void oneProductAtTheEndEqualsTheProductsPerStep(int batch, int hidden, int steps, int detachAt) {
        Engine e = Engine.serial();
        float[] perStep = weightGrad(e, batch, hidden, steps, detachAt, false, 11);
        float[] deferred = weightGrad(e, batch, hidden, steps, detachAt, true, 11);
        double scale = 0;
        for (float v : perStep) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < perStep.length; i++) {
            assertEquals(perStep[i], deferred[i], 1e-5 * Math.max(1, scale), "dW[" + i + "]");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sameBitsOnOneAndTwoThreads(int batch, int hidden, int steps, int detachAt) {
        float[] one = weightGrad(Engine.serial(), batch, hidden, steps, detachAt, true, 5);
        Engine two = Engine.withThreads(2);
        try (Parallel p = two.parallel()) {
            assertArrayEquals(one, weightGrad(two, batch, hidden, steps, detachAt, true, 5));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aFrozenWeightGetsNoGradient(int batch, int hidden, int steps, int detachAt) {
        Engine e = Engine.serial();
        Parameter w = new Parameter(Tensor.uniform(new Rng(3), -0.3f, 0.3f, hidden, hidden));
        w.setFrozen(true);
        Tape tape = Tape.recording(e);
        Var wv = tape.param(w);
        Var h = tape.variable(Tensor.randn(new Rng(4), batch, hidden));
        for (int t = 0; t < steps; t++) {
            h = Ops.linear(h, wv, null, new StepWeight(wv)).tanh();
        }
        tape.backward(h.sum());
        assertNull(wv.grad());
    }

    /**
     * Output and input gradient of the recurrence, with the step weight packed once per pass or not: the
     * packed products sum in the same order, so the bits are the same (the weight gradient is compared above).
     */
    @ParameterizedTest
    @MethodSource("cases")
    void packingOncePerPassKeepsTheBitsOfOutputAndInputGradient(int batch, int hidden, int steps, int detachAt) {
        float[][] packed = stateAndInputGrad(batch, hidden * 4, steps, true);
        float[][] plain = stateAndInputGrad(batch, hidden * 4, steps, false);
        assertArrayEquals(plain[0], packed[0], "final state");
        assertArrayEquals(plain[1], packed[1], "input gradient");
    }

    private static float[][] stateAndInputGrad(int batch, int hidden, int steps, boolean shared) {
        Rng rng = new Rng(21);
        Engine e = Engine.serial();
        Parameter w = new Parameter(Tensor.uniform(rng, -0.1f, 0.1f, hidden, hidden));
        Tape tape = Tape.recording(e);
        Var wv = tape.param(w);
        StepWeight packed = shared ? new StepWeight(wv) : null;
        Var h0 = tape.variable(Tensor.randn(rng, batch, hidden));
        Var h = h0;
        for (int t = 0; t < steps; t++) {
            h = Ops.linear(h, wv, null, packed).tanh();
        }
        tape.backward(h.sum());
        return new float[][] {h.value().data().clone(), h0.grad().data().clone()};
    }
}
