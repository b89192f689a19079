package io.gradscale.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Parameter;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fusions of {@link GradientStep} (finiteness checked while loading, copies deferred to the first reader,
 * the learning rate deferred into {@code w += u}, tensorwise transforms run tensor by tensor) give the same
 * bits as running the chain plainly: load, then each transform's whole update in chain order, then add the
 * read-back updates to the weights. On one thread and on two.
 */
class FusedStepTest {
    /** Sizes that cross load chunks (32 Ki floats, also the chunks of a norm's sum of squares) and vector tails. */
    private static ParameterSet params(long seed, int nanAt) {
        Rng rng = new Rng(seed);
        Map<String, Parameter> m = new LinkedHashMap<>();
        int[] sizes = {3, 20_001, 17, 8192, 70_001};
        for (int i = 0; i < sizes.length; i++) {
            Parameter p = new Parameter(Tensor.randn(rng, sizes[i]));
            p.grad().copyFrom(Tensor.randn(rng, sizes[i]));
            m.put("l" + i + ".weight", p);
        }
        ParameterSet ps = ParameterSet.of(m);
        if (nanAt >= 0) {
            ps.parameter(1).grad().data()[nanAt] = Float.NaN;
        }
        return ps;
    }

    static Stream<Arguments> chains() {
        return Stream.of(
                Arguments.of("adam", (Supplier<GradientTransform<?>>) () -> Optimizers.adam(1e-3)),
                Arguments.of("clip+adam", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(1e-2))),
                Arguments.of("clip+sgd momentum (norm from the load)", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.sgd(Schedule.constant(0.1), 0.9, 0, false, 0))),
                Arguments.of("per-tensor clip+adam", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByTensorNorm(1.0, 2.0), Optimizers.adam(1e-2))),
                Arguments.of("sgd momentum", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.sgd(Schedule.constant(0.1), 0.9, 0, false, 0)),
                Arguments.of("adamW", (Supplier<GradientTransform<?>>) () -> Optimizers.adamW(1e-2)),
                Arguments.of("lr twice", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.scaleByLearningRate(0.3), Transforms.scaleByLearningRate(0.7))),
                Arguments.of("plain sgd (no update is read before w += u)", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.sgd(0.1)),
                Arguments.of("nesterov + coupled weight decay", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.sgd(Schedule.constant(0.1), 0.9, 0, true, 1e-2)),
                Arguments.of("adam, then a clip (tensor work run before the clip reads)", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(new io.gradscale.optim.ScaleByAdam(0.9, 0.999, 1e-8, false), Transforms.clipByGlobalNorm(0.5), Transforms.scaleByLearningRate(0.1))),
                Arguments.of("inf-norm clip + adam (the load copies)", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(0.1, Transforms.LINF), Optimizers.adam(1e-2))),
                Arguments.of("amsgrad", (Supplier<GradientTransform<?>>) () -> Optimizers.amsgrad(1e-2)),
                Arguments.of("centered rmsprop + momentum + weight decay", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.rmsprop(Schedule.constant(1e-2), 0.99, 1e-8, 1e-2, 0.9, true)),
                Arguments.of("rmsprop (no momentum)", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.rmsprop(Schedule.constant(1e-2), 0.99, 1e-8, 0, 0, false)),
                Arguments.of("centered rmsprop", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.rmsprop(Schedule.constant(1e-2), 0.99, 1e-8, 0, 0, true)),
                Arguments.of("clip + adagrad", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adagrad())),
                Arguments.of("adadelta", (Supplier<GradientTransform<?>>) () -> Optimizers.adadelta()),
                Arguments.of("nadam", (Supplier<GradientTransform<?>>) () -> Optimizers.nadam()),
                Arguments.of("AGC + nested chains", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.adaptiveClip(0.01),
                                Transforms.chain(Transforms.weightDecay(1e-2), Optimizers.adam(1e-2)))));
    }

    static Stream<Arguments> chainsOnThreads() {
        return chains().flatMap(a -> Stream.of(1, 2).map(t -> Arguments.of(a.get()[0], a.get()[1], t)));
    }

    /** The transforms of {@code t} in the order they run, nested chains opened. */
    private static void leaves(GradientTransform<?> t, java.util.List<GradientTransform<?>> out) {
        if (t instanceof Chain c) {
            c.parts().forEach(p -> leaves(p, out));
        } else {
            out.add(t);
        }
    }

    @SuppressWarnings("unchecked")
    private static Object wholeUpdate(GradientTransform<?> t, Updates u, Object state, ParameterSet ps) {
        return ((GradientTransform<Object>) t).update(u, state, ps);
    }

    @Test
    void aCheckedLoadKeepsEachSumOfSquaresExactlyUntilTheTensorIsHandedOut() {
        ParameterSet ps = params(7, -1);
        Updates u = new Updates(ps, Engine.serial());
        u.loadGradients(ps, 0, true, true, false);
        for (int i = 0; i < ps.size(); i++) {
            assertTrue(u.hasLoadedSumSquares(i), "tensor " + i);
            assertEquals(Engine.serial().sumSquares(ps.parameter(i).grad()), u.loadedSumSquares(i), 0.0,
                    "tensor " + i + ": the chunks and their order of Engine.sumSquares");
        }
        u.get(1);
        u.deferScale(2, 0.5f);
        assertFalse(u.hasLoadedSumSquares(1), "handed out: may have been rewritten");
        assertFalse(u.hasLoadedSumSquares(2), "scaled");
        assertTrue(u.hasLoadedSumSquares(4));
        u.begin(1);
        assertFalse(u.hasLoadedSumSquares(4), "a new step on the tensors as they are");
        u.loadGradients(ps, 1);
        assertFalse(u.hasLoadedSumSquares(0), "an unchecked load takes no sums");
    }

    /**
     * A checked load splits a tensor of several chunks across the pool (each thread the chunks it owns): the sums are
     * still those of {@code Engine.sumSquares}, bit for bit, and a NaN in any chunk is still found, on any pool.
     */
    @ParameterizedTest(name = "{0} threads, NaN at {1} of the 3-chunk tensor")
    @CsvSource({"1, -1", "2, -1", "3, -1", "1, 0", "2, 32767", "2, 32768", "3, 65536", "2, 70000", "3, 70000"})
    void aCheckedLoadOnAnyPoolKeepsTheSumsAndFindsANaNInAnyChunk(int threads, int nanAt) {
        ParameterSet ps = params(7, -1);
        if (nanAt >= 0) {
            ps.parameter(4).grad().data()[nanAt] = Float.NaN;
        }
        Engine e = Engine.withThreads(threads);
        try {
            for (boolean deferCopy : new boolean[] {false, true}) {
                Updates u = new Updates(ps, e);
                u.loadGradients(ps, 0, true, true, deferCopy);
                for (int i = 0; i < ps.size(); i++) {
                    assertEquals(Double.doubleToRawLongBits(Engine.serial().sumSquares(ps.parameter(i).grad())),
                            Double.doubleToRawLongBits(u.loadedSumSquares(i)), "tensor " + i + ", deferred copy " + deferCopy);
                }
                assertEquals(nanAt < 0, u.takeLoadedFinite(), "deferred copy " + deferCopy);
            }
        } finally {
            e.parallel().close();
        }
    }

    @Test
    void aDeferredLoadChecksAndSumsWithoutCopyingAndCopiesForTheFirstReader() {
        ParameterSet ps = params(7, -1);
        Updates u = new Updates(ps, Engine.serial());
        u.loadGradients(ps, 0, true, true, true);
        assertTrue(u.takeLoadedFinite());
        for (int i = 0; i < ps.size(); i++) {
            assertEquals(Engine.serial().sumSquares(ps.parameter(i).grad()), u.loadedSumSquares(i), 0.0, "tensor " + i);
        }
        assertTrue(u.get(1).bitEquals(ps.parameter(1).grad()), "read: copied");
        u.deferScale(2, 0.5f);
        u.loadAll();
        for (int i = 0; i < ps.size(); i++) {
            Tensor expected = ps.parameter(i).grad().copy();
            if (i == 2) {
                Norms.scale(Engine.serial(), expected, 0.5f);
            }
            assertTrue(u.get(i).bitEquals(expected), "tensor " + i);
        }
        ParameterSet bad = params(7, 20_000);
        u.loadGradients(bad, 1, true, true, true);
        assertFalse(u.takeLoadedFinite(), "a NaN in the last chunk of tensor 1");
    }

    @Test
    void aSkippedStepLeavesTheGradientsInTheUpdatesWhenTheLoadWasDeferred() {
        ParameterSet ps = params(8, 5);
        GradientStep s = new GradientStep(ps, Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(1e-3)),
                Engine.serial());
        assertEquals(1.0, s.step().get("skipped"));
        for (int i = 0; i < ps.size(); i++) {
            assertTrue(s.updates().get(i).bitEquals(ps.parameter(i).grad()), "tensor " + i);
        }
    }

    /** A tensorwise transform whose per-step part fails, after a load that deferred every copy. */
    private static final class FailingStage implements TensorwiseTransform<EmptyState>, StatelessTransform {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public StagedUpdate<EmptyState> stage(Updates updates, EmptyState state, ParameterSet params) {
            throw new IllegalStateException("stage failed");
        }
    }

    @Test
    void aFailedStepStillCopiesTheGradientsIntoTheUpdatesWhenTheLoadWasDeferred() {
        ParameterSet ps = params(8, -1);
        Tensor[] grads = new Tensor[ps.size()];
        for (int i = 0; i < ps.size(); i++) {
            grads[i] = ps.parameter(i).grad().copy();
        }
        GradientStep s = new GradientStep(ps, new FailingStage(), Engine.serial());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, s::step);
        for (int i = 0; i < ps.size(); i++) {
            ps.parameter(i).grad().fill(0f); // the next backward pass may rewrite the gradients
        }
        for (int i = 0; i < ps.size(); i++) {
            assertTrue(s.updates().get(i).bitEquals(grads[i]), "tensor " + i + ": copied when the step ended");
        }
    }

    @ParameterizedTest(name = "{0}, {2} thread(s)")
    @MethodSource("chainsOnThreads")
    void fusedStepEqualsThePlainChainBitForBit(String name, Supplier<GradientTransform<?>> chain, int threads) {
        ParameterSet keptParams = params(5, -1);
        ParameterSet fusedParams = params(5, -1);
        ParameterSet plainParams = params(5, -1);
        GradientStep kept = new GradientStep(keptParams, chain.get(), Engine.withThreads(threads));
        GradientStep fused = new GradientStep(fusedParams, chain.get(), Engine.withThreads(threads));
        java.util.List<GradientTransform<?>> plain = new java.util.ArrayList<>();
        leaves(Transforms.chain(new NonFiniteGuard(NonFinitePolicy.SKIP), chain.get()), plain);
        Object[] states = plain.stream().map(t -> t.init(plainParams)).toArray();
        Updates u = new Updates(plainParams, Engine.serial());
        for (int step = 0; step < 3; step++) {
            kept.step(true);
            fused.step(false);
            u.loadGradients(plainParams, step);
            for (int k = 0; k < plain.size(); k++) {
                states[k] = wholeUpdate(plain.get(k), u, states[k], plainParams);
            }
            for (int i = 0; i < plainParams.size(); i++) {
                Engine.serial().axpyInPlace(1f, u.get(i), plainParams.parameter(i).value());
            }
            for (int i = 0; i < plainParams.size(); i++) {
                assertTrue(kept.updates().get(i).bitEquals(u.get(i)), name + ": update " + i + " at step " + step);
            }
        }
        for (int i = 0; i < plainParams.size(); i++) {
            assertTrue(keptParams.parameter(i).value().bitEquals(plainParams.parameter(i).value()), name + ": weight " + i);
            assertTrue(fusedParams.parameter(i).value().bitEquals(plainParams.parameter(i).value()),
                    name + ": weight " + i + ", updates not kept");
        }
        assertEquals(kept.writeState(), fused.writeState(), name + ": the state does not depend on keeping the updates");
    }

    /** Which optimizers apply their updates in the pass that computes them, and so keep none unless asked. */
    static Stream<Arguments> keeping() {
        return Stream.of(
                Arguments.of("adam", (Supplier<GradientTransform<?>>) () -> Optimizers.adam(1e-3), true),
                Arguments.of("clip+amsgrad", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.amsgrad(1e-3)), true),
                Arguments.of("plain sgd (the gradient read in place)", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.sgd(0.1), true),
                Arguments.of("sgd momentum", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.sgd(Schedule.constant(0.1), 0.9, 0, false, 0), true),
                Arguments.of("clip+nesterov with weight decay", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0),
                                Optimizers.sgd(Schedule.constant(0.1), 0.9, 0, true, 1e-2)), true),
                Arguments.of("rmsprop", (Supplier<GradientTransform<?>>) () ->
                        Optimizers.rmsprop(Schedule.constant(1e-2), 0.99, 1e-8, 0, 0, false), true),
                Arguments.of("clip + adagrad", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adagrad()), true),
                Arguments.of("adadelta", (Supplier<GradientTransform<?>>) () -> Optimizers.adadelta(), true),
                Arguments.of("nadam", (Supplier<GradientTransform<?>>) () -> Optimizers.nadam(), true),
                Arguments.of("momentum, then a clip (the clip reads the updates)", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(new io.gradscale.optim.TraceMomentum(0.9, 0, false),
                                Transforms.clipByGlobalNorm(0.5), Transforms.scaleByLearningRate(0.1)), false),
                Arguments.of("adam, then a clip (the clip reads the updates)", (Supplier<GradientTransform<?>>) () ->
                        Transforms.chain(new io.gradscale.optim.ScaleByAdam(0.9, 0.999, 1e-8, false),
                                Transforms.clipByGlobalNorm(0.5), Transforms.scaleByLearningRate(0.1)), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keeping")
    void anUpdateAppliedWithoutBeingKeptCannotBeReadUntilTheNextStep(String name, Supplier<GradientTransform<?>> chain,
                                                                   boolean fusesTheApply) {
        ParameterSet ps = params(4, -1);
        GradientStep s = new GradientStep(ps, chain.get(), Engine.serial());
        s.step();
        if (fusesTheApply) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> s.updates().get(0));
            assertTrue(e.getMessage().contains("step(true)"), e.getMessage());
        } else {
            s.updates().get(0); // computed in the buffers anyway
        }
        s.step(true);
        for (int i = 0; i < ps.size(); i++) {
            s.updates().get(i);
        }
    }

    /**
     * A chain ending in Adam and the learning rate, applied with a further factor of its caller's: the two factors
     * round one after the other, as deferring both and applying would.
     */
    @Test
    void aFusedChainAppliedWithAFactorOfItsOwnRoundsBothFactors() {
        float f = 0.37f;
        ParameterSet fusedParams = params(3, -1);
        ParameterSet plainParams = params(3, -1);
        Chain chain = Optimizers.adam(1e-2);
        Updates fusedUpdates = new Updates(fusedParams, Engine.serial());
        Updates plainUpdates = new Updates(plainParams, Engine.serial());
        fusedUpdates.loadGradients(fusedParams, 0);
        plainUpdates.loadGradients(plainParams, 0);
        StagedUpdate<Chain.State> fused = chain.stage(fusedUpdates, chain.init(fusedParams), fusedParams);
        StagedUpdate<Chain.State> plain = chain.stage(plainUpdates, chain.init(plainParams), plainParams);
        assertTrue(fused instanceof StagedUpdate.Applying<?>, "Adam then the learning rate apply in one pass");
        for (int i = 0; i < fusedParams.size(); i++) {
            ((StagedUpdate.Applying<?>) fused).tensorInto(i, fusedParams.parameter(i).value().data(), f, false);
            plain.tensor(i);
            plainUpdates.deferScale(i, f);
            plainUpdates.addTo(i, plainParams.parameter(i).value().data(), true);
        }
        for (int i = 0; i < plainParams.size(); i++) {
            assertTrue(fusedParams.parameter(i).value().bitEquals(plainParams.parameter(i).value()), "weight " + i);
        }
    }

    @ParameterizedTest(name = "NaN at {0}")
    @MethodSource("nanPositions")
    void aNonFiniteValueAnywhereStillSkipsTheStep(int at) {
        ParameterSet ps = params(6, at);
        Tensor before = ps.parameter(3).value().copy();
        GradientStep s = new GradientStep(ps, Optimizers.adam(1e-3), Engine.serial());
        Metrics m = s.step();
        assertEquals(1.0, m.get("skipped"));
        assertEquals(1.0, m.get("guard.nonfinite"));
        assertTrue(ps.parameter(3).value().bitEquals(before));
    }

    @ParameterizedTest(name = "NaN at {0}, copying load")
    @MethodSource("nanPositions")
    void aNonFiniteValueAnywhereStillSkipsTheStepWhenTheLoadCopies(int at) {
        ParameterSet ps = params(6, at);
        Tensor before = ps.parameter(3).value().copy();
        GradientStep s = new GradientStep(ps, Transforms.chain(Transforms.clipByGlobalNorm(1.0, Transforms.LINF),
                Optimizers.adam(1e-3)), Engine.serial());
        Metrics m = s.step();
        assertEquals(1.0, m.get("skipped"));
        assertEquals(1.0, m.get("guard.nonfinite"));
        assertTrue(ps.parameter(3).value().bitEquals(before));
        assertTrue(s.updates().get(1).bitEquals(ps.parameter(1).grad()), "the copy holds the gradient, NaN included");
    }

    static Stream<Integer> nanPositions() {
        return Stream.of(0, 8191, 8192, 20_000);
    }

    @ParameterizedTest(name = "factors {0} then {1}")
    @MethodSource("factors")
    void deferredScalesReadBackAsIfAppliedAtOnce(float a, float b) {
        Tensor t = Tensor.randn(new Rng(9), 1000);
        t.data()[0] = -0f;
        Tensor expected = t.copy();
        Norms.scale(Engine.serial(), expected, a);
        Norms.scale(Engine.serial(), expected, b);
        Updates u = new Updates(Engine.serial(), t.copy());
        u.deferScale(0, a);
        u.deferScale(0, b);
        assertTrue(u.get(0).bitEquals(expected));
        assertTrue(u.get(0).bitEquals(expected), "reading twice applies the factors once");
    }

    static Stream<Arguments> factors() {
        return Stream.of(Arguments.of(0.1f, -3f), Arguments.of(1f, -1e-3f), Arguments.of(-2.5f, 1f));
    }
}
