package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.autograd.Parameter;
import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Dropout;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TrainerTest {
    private static final Engine TWO = Engine.withThreads(2);

    @AfterAll
    static void close() {
        TWO.parallel().close();
    }

    static Module mlp(long seed, boolean dropout) {
        Rng rng = new Rng(seed);
        List<Module> layers = new ArrayList<>(List.of(new Linear(2, 32, rng), Activation.tanh()));
        if (dropout) {
            layers.add(new Dropout(0.2f, rng.split()));
        }
        layers.add(new Linear(32, 32, rng));
        layers.add(Activation.relu());
        layers.add(new Linear(32, 2, rng));
        return new Sequential(layers.toArray(new Module[0]));
    }

    static OptimizerFactory adam(Module m, Engine e, double lr) {
        return mult -> new GradientStep(ParameterSet.of(m),
                Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(lr * mult)), e);
    }

    static Dataset spirals() {
        return TwoSpirals.generate(300, 1.5, 0.05, new Rng(3));
    }

    static Trainer trainer(Module m, Engine e, GradientDescent gd, int epochs) {
        double lr = gd.mode() == GradientDescent.Mode.STOCHASTIC ? 1e-3 : 1e-2;
        return new Trainer(m, Objective.forTask(spirals().task()), adam(m, e, lr), e, Trainer.Settings.of(gd, epochs, 11));
    }

    private static void assertSameWeights(Module a, Module b) {
        Map<String, Parameter> pa = a.namedParameters();
        Map<String, Parameter> pb = b.namedParameters();
        assertEquals(pa.keySet(), pb.keySet());
        for (String k : pa.keySet()) {
            assertTrue(pa.get(k).value().bitEquals(pb.get(k).value()), "parameter " + k + " differs");
        }
    }

    @Test
    void resumingFromACheckpointGivesTheSameBitsAsTrainingStraight() throws Exception {
        Dataset data = spirals();
        Module straight = mlp(1, true);
        trainer(straight, Engine.serial(), GradientDescent.miniBatch(16), 3).run(data, null, 50);

        Module first = mlp(1, true);
        Trainer t1 = trainer(first, Engine.serial(), GradientDescent.miniBatch(16), 3);
        t1.run(data, null, 23); // stops mid-epoch (19 steps per epoch)
        Trainer.Snapshot snap = t1.checkpoint();
        ObjectMapper json = Json.mapper();
        Trainer.Snapshot viaJson = new Trainer.Snapshot(snap.tensors(), json.readTree(json.writeValueAsString(snap.state())));

        Module resumed = mlp(999, true); // different initial weights and dropout seed: all must come from the checkpoint
        Trainer t2 = trainer(resumed, Engine.serial(), GradientDescent.miniBatch(16), 3);
        t2.restore(viaJson);
        assertEquals(23, t2.step());
        t2.run(data, null, 50);
        assertSameWeights(straight, resumed);
    }

    @Test
    void resumingFromADiskCheckpointGivesTheSameBits(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Dataset data = spirals();
        Module straight = mlp(7, true);
        trainer(straight, Engine.serial(), GradientDescent.miniBatch(32), 4).run(data, null, 30);
        Module first = mlp(7, true);
        Trainer t1 = trainer(first, Engine.serial(), GradientDescent.miniBatch(32), 4);
        t1.run(data, null, 13);
        t1.saveCheckpoint(dir.resolve("ckpt"));
        Module resumed = mlp(8, true);
        Trainer t2 = trainer(resumed, Engine.serial(), GradientDescent.miniBatch(32), 4);
        t2.loadCheckpoint(dir.resolve("ckpt"));
        t2.run(data, null, 30);
        assertSameWeights(straight, resumed);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        Dataset data = spirals();
        Module a = mlp(2, false);
        Module b = mlp(2, false);
        trainer(a, Engine.serial(), GradientDescent.miniBatch(32), 2).fit(data, null);
        trainer(b, TWO, GradientDescent.miniBatch(32), 2).fit(data, null);
        assertSameWeights(a, b);
    }

    static Stream<Arguments> modes() {
        return Stream.of(Arguments.of(GradientDescent.batch(), 1), Arguments.of(GradientDescent.stochastic(), 300),
                Arguments.of(GradientDescent.miniBatch(32), 10));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void eachModeTakesItsNumberOfStepsPerEpochAndLearns(GradientDescent gd, int stepsPerEpoch) {
        Dataset data = spirals();
        Module m = mlp(4, false);
        List<StepRecord> steps = new ArrayList<>();
        List<EvalRecord> evals = new ArrayList<>();
        Trainer t = trainer(m, Engine.serial(), gd, 2).addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                steps.add(r);
            }

            @Override
            public void onEval(EvalRecord r) {
                evals.add(r);
            }
        });
        double before = t.evaluate(data).loss();
        Trainer.Result r = t.fit(data, data);
        assertEquals(2L * stepsPerEpoch, r.steps());
        assertEquals(2 * stepsPerEpoch, steps.size());
        assertEquals(2, evals.size());
        assertTrue(r.finalValLoss() < before, gd + ": loss " + before + " -> " + r.finalValLoss());
        StepRecord s0 = steps.get(0);
        assertEquals(3, s0.layers().size(), "per-layer statistics on sampled steps");
        assertEquals(6, s0.parameters().size(), "per-parameter statistics on sampled steps: " + s0.parameters().keySet());
        double sq = 0;
        for (var e : s0.parameters().entrySet()) {
            sq += e.getValue().gradNorm() * e.getValue().gradNorm();
        }
        assertEquals(s0.gradNorm(), Math.sqrt(sq), 1e-9 * s0.gradNorm(), "parameter norms add up to the global norm");
        assertTrue(steps.get(1).parameters().isEmpty(), "not sampled on step 1");
        assertFalse(s0.activations().isEmpty(), "activation statistics on sampled steps");
        assertTrue(s0.transforms().containsKey("clip_global_norm.norm"), s0.transforms().toString());
        assertTrue(s0.gradNorm() > 0 && Double.isFinite(s0.gradNorm()));
    }

    @Test
    void divergenceStopsWithAClearMessageOrRollsBackWithALowerLearningRate() {
        Dataset data = spirals();
        Module m = mlp(5, false);
        OptimizerFactory huge = mult -> new GradientStep(ParameterSet.of(m), Optimizers.sgd(Schedule.constant(1e4 * mult), 0.9, 0, false, 0), Engine.serial());
        List<EventRecord> events = new ArrayList<>();
        Trainer stop = new Trainer(m, Objective.forTask(data.task()), huge, Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(16), 5, 1));
        stop.addListener(new TrainingListener() {
            @Override
            public void onEvent(EventRecord r) {
                events.add(r);
            }
        });
        Trainer.Result r = stop.fit(data, null);
        assertTrue(r.diverged());
        assertTrue(r.stopReason().startsWith("diverged at step"), r.stopReason());
        assertEquals("diverged", events.get(events.size() - 1).kind());
        for (Parameter p : m.parameters()) {
            for (float v : p.value().data()) {
                assertTrue(Float.isFinite(v), "the guard kept non-finite updates out of the weights");
            }
        }

        Module m2 = mlp(5, false);
        OptimizerFactory big = mult -> new GradientStep(ParameterSet.of(m2), Optimizers.sgd(Schedule.constant(1e4 * mult), 0.9, 0, false, 0), Engine.serial());
        List<EventRecord> ev2 = new ArrayList<>();
        Trainer rb = new Trainer(m2, Objective.forTask(data.task()), big, Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(16), 2, 1).withDivergence(DivergencePolicy.rollback()));
        rb.addListener(new TrainingListener() {
            @Override
            public void onEvent(EventRecord r) {
                ev2.add(r);
            }
        });
        Trainer.Result r2 = rb.fit(data, null);
        long rollbacks = ev2.stream().filter(e -> e.kind().equals("rollback")).count();
        assertTrue(rollbacks >= 1, ev2.toString());
        assertTrue(ev2.get(0).message().contains("learning rate multiplied by 0.5"), ev2.get(0).message());
        assertTrue(r2.diverged() == (rollbacks > DivergencePolicy.DEFAULT_MAX_ROLLBACKS - 1), r2.toString());
    }

    @Test
    void earlyStoppingEndsTrainingWhenValidationStopsImproving() {
        Dataset data = spirals();
        Module m = mlp(6, false);
        OptimizerFactory none = mult -> new GradientStep(ParameterSet.of(m), Optimizers.sgd(Schedule.constant(0.0), 0, 0, false, 0), Engine.serial());
        Trainer t = new Trainer(m, Objective.forTask(data.task()), none, Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(64), 50, 1).withEarlyStopping(3, 0.0));
        Trainer.Result r = t.fit(data, data);
        assertEquals(4, r.epochs(), r.stopReason());
        assertTrue(r.stopReason().startsWith("early stopping"), r.stopReason());
    }

    @Test
    void batchModeUsesTheWholeDataSetPerStep() {
        assertEquals(1, GradientDescent.batch().stepsPerEpoch(300));
        assertEquals(300, GradientDescent.stochastic().stepsPerEpoch(300));
        assertEquals(10, GradientDescent.miniBatch(32).stepsPerEpoch(300));
        Tensor unused = Tensor.zeros(1);
        assertEquals(1, unused.size());
    }
}
