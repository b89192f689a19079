package io.gradscale.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.nn.Activation;
import io.gradscale.nn.GRU;
import io.gradscale.nn.LSTM;
import io.gradscale.nn.LayerNorm;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.RNN;
import io.gradscale.nn.Residual;
import io.gradscale.nn.Sequential;
import io.gradscale.tensor.BufferArena;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tape's buffer arena ({@link BufferArena}): steps recorded one after another on one arena give the bits of a
 * tape of its own, allocate nothing once the first step has filled the pool, and, in debug mode, a buffer read
 * after its release fails loudly or reads NaN.
 */
class BufferArenaTest {
    /** A module of the user's own, written with {@link Ops} and the fluent forms only: it gets the reuse unasked. */
    static final class UserModule extends Module {
        private final Parameter w;
        private final Parameter b;

        UserModule(int in, int out, Rng rng) {
            w = registerParameter("w", new Parameter(Tensor.uniform(rng, -0.5f, 0.5f, in, out)));
            b = registerParameter("b", new Parameter(Tensor.uniform(rng, -0.5f, 0.5f, out)));
        }

        @Override
        public Var forward(Var x) {
            Tape t = x.tape();
            Var y = x.matmul(t.param(w)).add(t.param(b)).tanh();
            Var z = y.softmax().mul(y).div(y.square().add(1f));
            int half = z.dim(1) / 2;
            Var joined = Ops.concat(1, z.slice(1, half, z.dim(1)), z.slice(1, 0, half));
            return joined.sub(joined.max(1, true)).logSoftmax().add(y.transpose().transpose().sigmoid());
        }
    }

    /** A model, its input and its loss. */
    record Case(String name, Supplier<Module> model, Tensor x, Function<Var, Var> loss) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        Rng data = new Rng(5);
        Tensor flat = Tensor.randn(data, 6, 10);
        Tensor seq = Tensor.randn(data, 3, 7, 5);
        int[] labels = {0, 3, 1, 2, 3, 0};
        return Stream.of(
                new Case("mlp relu, cross-entropy", () -> new Sequential(new Linear(10, 16, new Rng(1)), Activation.relu(),
                        new Linear(16, 4, new Rng(2))), flat, out -> new io.gradscale.nn.CrossEntropyLoss().apply(out, labels)),
                new Case("deep tanh, residual, layer norm", () -> new Sequential(new Linear(10, 8, new Rng(3)), Activation.tanh(),
                        new Residual(new Sequential(new Linear(8, 8, new Rng(4)), Activation.tanh())), new LayerNorm(8),
                        new Linear(8, 8, new Rng(6))), flat, out -> out.square().mean()),
                new Case("user module on Ops", () -> new UserModule(10, 6, new Rng(7)), flat, out -> out.mean()),
                new Case("LSTM 2 layers", () -> new LSTM(5, 6, 2, new Rng(8)), seq, out -> out.square().mean()),
                new Case("Elman RNN", () -> new RNN(5, 6, 1, new Rng(9)), seq, out -> out.tanh().sum()),
                new Case("GRU", () -> new GRU(5, 6, 1, new Rng(10)), seq, out -> out.square().sum()))
                .map(Arguments::of);
    }

    /** The loss and every parameter gradient of one step, copied. */
    private static List<float[]> step(Engine e, Module model, Tape tape, Case c) {
        model.zeroGrad();
        Var loss = c.loss().apply(model.forward(tape.constant(c.x())));
        tape.backward(loss);
        List<float[]> out = new ArrayList<>();
        out.add(new float[] {loss.item()});
        for (Parameter p : model.parameters()) {
            out.add(p.grad().data().clone());
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void stepsOnOneArenaGiveTheSameBitsAndAllocateNothingAfterTheFirst(Case c) {
        Engine e = Engine.serial();
        List<float[]> reference = step(e, c.model().get(), Tape.recording(e), c);
        Module model = c.model().get();
        BufferArena arena = new BufferArena(true); // released buffers are NaN: a reuse that leaks values shows
        long[] allocated = new long[4];
        long[] leased = new long[4];
        for (int s = 0; s < allocated.length; s++) {
            List<float[]> got = step(e, model, Tape.recording(e, arena), c);
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(reference.get(i), got.get(i), c + ": step " + s + ", output " + i);
            }
            allocated[s] = arena.allocatedBytes();
            leased[s] = arena.leasedBytes();
        }
        assertTrue(leased[1] - leased[0] > 0, c + ": a step leases its buffers from the arena");
        assertEquals(allocated[1], allocated[3], c + ": steps after the first allocate no new buffer");
    }

    @Test
    void aValueReadAfterTheNextStepBeganFailsLoudly() {
        Engine e = Engine.serial();
        BufferArena arena = new BufferArena(true);
        Tape first = Tape.recording(e, arena);
        Var y = first.variable(Tensor.randn(new Rng(1), 4, 3)).tanh();
        Tensor kept = y.value();
        Tape.recording(e, arena); // the next step: everything the first tape leased is returned
        IllegalStateException err = assertThrows(IllegalStateException.class, y::value);
        assertTrue(err.getMessage().contains("read after release"), err.getMessage());
        for (float v : kept.data()) {
            assertTrue(Float.isNaN(v), "a returned buffer is poisoned with NaN");
        }
    }

    @Test
    void aGradientKeptPastItsReleaseIsPoisonedAndFailsItsCheckedRead() {
        Engine e = Engine.serial();
        Tape tape = Tape.recording(e, new BufferArena(true));
        Var x = tape.variable(Tensor.randn(new Rng(2), 3, 4));
        Tensor[] stash = new Tensor[1];
        int[] generation = new int[1];
        float[][] seen = new float[1][];
        // The first node's rule runs last: it reads what the faulty rule below kept, before anything is leased again.
        Var a = tape.record(Ops.Primitive.SCALE_SHIFT, x.value.copy(), g -> {
            seen[0] = stash[0].data().clone();
            x.accumulate(e.scaleShift(g, 1f, 0f));
        }, x);
        // A faulty rule: it keeps the gradient arriving at its output, which the tape drops after the rule ran.
        Var b = tape.record(Ops.Primitive.SCALE_SHIFT, a.value.copy(), g -> {
            stash[0] = g;
            generation[0] = tape.generation(g);
            a.accumulate(e.scaleShift(g, 1f, 0f));
        }, a);
        Var c = tape.record(Ops.Primitive.SCALE_SHIFT, b.value.copy(), b::accumulate, b);
        tape.backward(c.tanh().sum());
        assertNotNull(seen[0]);
        for (float v : seen[0]) {
            assertTrue(Float.isNaN(v), "the released gradient is poisoned with NaN");
        }
        for (float v : x.grad().data()) {
            assertTrue(Float.isFinite(v), "the rules that kept to their own buffers are unaffected");
        }
        IllegalStateException err = assertThrows(IllegalStateException.class,
                () -> tape.checkLive(stash[0], generation[0], "the kept gradient"));
        assertTrue(err.getMessage().contains("read after release: the kept gradient"), err.getMessage());
    }

    @Test
    void dropsBalanceHoldsAndPinnedBuffersStay() {
        BufferArena arena = new BufferArena(true);
        arena.beginStep();
        float[] pinned = arena.take(8);
        arena.hold(pinned);
        arena.drop(pinned);
        arena.drop(pinned);
        assertEquals(0f, pinned[0], "a buffer leased outside a backward pass lives until the next step");
        arena.enterRelease();
        float[] counted = arena.take(8);
        arena.hold(counted);
        arena.drop(counted);
        assertTrue(Float.isNaN(counted[0]), "a counted buffer returns when its last holder drops it");
        float[] again = arena.take(8);
        assertTrue(again == counted, "and is leased again in the same step");
        arena.hold(again);
        arena.drop(again);
        IllegalStateException err = assertThrows(IllegalStateException.class, () -> arena.drop(again));
        assertTrue(err.getMessage().contains("after it was returned"), err.getMessage());
        arena.exitRelease();
    }

    @Test
    void lengthsNoStepAsksForLeaveThePool() {
        BufferArena arena = new BufferArena(false);
        arena.beginStep();
        arena.take(1000);
        for (int s = 0; s < 4; s++) {
            arena.beginStep();
            arena.take(10);
        }
        assertEquals(4L * 10, arena.pooledBytes(), "the 1000-float buffer of a step long gone was dropped");
    }
}
