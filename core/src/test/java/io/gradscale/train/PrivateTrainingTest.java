package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.data.Dataset;
import io.gradscale.nn.Module;
import io.gradscale.optim.Optimizers;
import io.gradscale.privacy.RdpAccountant;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Gaussian;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** DP-SGD through the trainer: the per-example hook, Poisson sampling, the noise, the epsilon reported, determinism. */
class PrivateTrainingTest {
    private static final Engine TWO = Engine.withThreads(2);
    private static final int BATCH = 16;

    @AfterAll
    static void close() {
        TWO.parallel().close();
    }

    private static OptimizerFactory dpSgd(Module m, Engine e, double clip, double sigma, double lr, double expected) {
        return mult -> new GradientStep(ParameterSet.of(m),
                Transforms.chain(new PrivateAggregate(clip, sigma, expected, 99), Optimizers.sgd(Schedule.constant(lr * mult), 0, 0, false, 0)), e);
    }

    private static Trainer trainer(Module m, Engine e, double clip, double sigma, boolean poisson) {
        Dataset data = TrainerTest.spirals();
        Trainer.Settings s = Trainer.Settings.of(GradientDescent.miniBatch(BATCH), 2, 11).withPoissonSampling(poisson);
        return new Trainer(m, Objective.forTask(data.task()), dpSgd(m, e, clip, sigma, 0.05, BATCH), e, s);
    }

    private static void assertSameBits(Module a, Module b) {
        for (Map.Entry<String, Parameter> en : a.namedParameters().entrySet()) {
            assertTrue(en.getValue().value().bitEquals(b.namedParameters().get(en.getKey()).value()), en.getKey() + " differs");
        }
    }

    @Test
    void aPrivateRunIsTheSameBitsOnOneAndTwoThreadsAndReportsTheAccountantsEpsilon() {
        Dataset data = TrainerTest.spirals();
        Module a = TrainerTest.mlp(1, true);
        Module b = TrainerTest.mlp(1, true);
        List<StepRecord> records = new ArrayList<>();
        Trainer ta = trainer(a, Engine.serial(), 1.0, 1.1, true).addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                records.add(r);
            }
        });
        ta.fit(data, null);
        trainer(b, TWO, 1.0, 1.1, true).fit(data, null);
        assertSameBits(a, b);
        int perEpoch = Trainer.stepsPerEpoch(Trainer.Settings.of(GradientDescent.miniBatch(BATCH), 2, 11).withPoissonSampling(true), data.size());
        assertEquals(Math.round(300.0 / BATCH), perEpoch);
        assertEquals(2L * perEpoch, records.size());
        RdpAccountant acc = new RdpAccountant((double) BATCH / data.size(), 1.1);
        for (StepRecord r : records) {
            assertEquals(acc.epsilon(r.step() + 1, Trainer.Settings.DEFAULT_PRIVACY_DELTA), r.transforms().get(Trainer.EPSILON_METRIC), 1e-12);
            assertTrue(r.transforms().get("dp.examples") >= 0 && r.transforms().get("dp.noise_std") > 0);
        }
        assertEquals(acc.epsilon(records.size(), 1e-5), ta.epsilonSpent(), 1e-12);
    }

    @Test
    void withoutNoiseAndWithAnUnreachedClipItIsPlainSgdOnTheMeanGradient() {
        // C so large that no example is clipped, sigma 0, divisor B: (sum_i g_i) / B is the ordinary mean gradient
        Module dp = TrainerTest.mlp(2, false);
        Module plain = TrainerTest.mlp(2, false);
        Dataset data = TrainerTest.spirals();
        trainer(dp, Engine.serial(), 1e9, 0.0, false).run(data, null, 12);
        new Trainer(plain, Objective.forTask(data.task()), m -> new GradientStep(ParameterSet.of(plain),
                Optimizers.sgd(Schedule.constant(0.05 * m), 0, 0, false, 0), Engine.serial()), Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(BATCH), 2, 11)).run(data, null, 12);
        for (Map.Entry<String, Parameter> en : dp.namedParameters().entrySet()) {
            float[] x = en.getValue().value().data();
            float[] y = plain.namedParameters().get(en.getKey()).value().data();
            for (int j = 0; j < x.length; j++) {
                assertEquals(y[j], x[j], 1e-5 * (1 + Math.abs(y[j])), en.getKey() + "[" + j + "]");
            }
        }
    }

    @Test
    void resumingAPrivateRunGivesTheSameBits() throws Exception {
        Dataset data = TrainerTest.spirals();
        Module straight = TrainerTest.mlp(1, false);
        trainer(straight, Engine.serial(), 1.0, 1.0, true).run(data, null, 30);
        Module first = TrainerTest.mlp(1, false);
        Trainer t1 = trainer(first, Engine.serial(), 1.0, 1.0, true);
        t1.run(data, null, 13);
        Trainer.Snapshot snap = t1.checkpoint();
        ObjectMapper json = Json.mapper();
        Module resumed = TrainerTest.mlp(5, false);
        Trainer t2 = trainer(resumed, Engine.serial(), 1.0, 1.0, true);
        t2.restore(new Trainer.Snapshot(snap.tensors(), json.readTree(json.writeValueAsString(snap.state()))));
        t2.run(data, null, 30);
        assertSameBits(straight, resumed);
    }

    @Test
    void theNoiseHasStandardDeviationSigmaCOverB() {
        // one step on a zero gradient: the update is the noise alone, sigma C / B per element, seeded
        Module m = new io.gradscale.nn.Linear(300, 200, new Rng(1));
        double sigma = 1.3;
        double clip = 0.7;
        GradientStep step = new GradientStep(ParameterSet.of(m), Transforms.chain(new PrivateAggregate(clip, sigma, 8, 5)), Engine.serial());
        PerExample pe = PerExample.none(step.perExampleClipping());
        step.step(true, pe);
        double sum = 0;
        double sq = 0;
        int n = 0;
        for (int i = 0; i < step.updates().size(); i++) {
            for (float v : step.updates().get(i).data()) {
                sum += v;
                sq += (double) v * v;
                n++;
            }
        }
        double want = sigma * clip / 8;
        double mean = sum / n;
        double sd = Math.sqrt(sq / n - mean * mean);
        assertEquals(0, mean, 4 * want / Math.sqrt(n));
        assertEquals(want, sd, 4 * want / Math.sqrt(2.0 * n));
    }

    @Test
    void aLargeTensorsNoiseIsTheSameBitsOnOneAndTwoThreadsAndTheNextStepContinuesTheSequence() {
        // 300,000 weights: the noise is cut into chunks spread over the threads; two steps on a zero gradient
        double sigma = 1.1;
        double clip = 1.0;
        long seed = 77;
        float[][] first = new float[2][];
        float[][] second = new float[2][];
        for (int t = 0; t < 2; t++) {
            Module m = new io.gradscale.nn.Linear(600, 500, new Rng(1));
            PrivateAggregate agg = new PrivateAggregate(clip, sigma, 4, seed);
            GradientStep step = new GradientStep(ParameterSet.of(m), Transforms.chain(agg), t == 0 ? Engine.serial() : TWO);
            step.step(true, PerExample.none(step.perExampleClipping()));
            first[t] = step.updates().get(0).data().clone();
            step.step(true, PerExample.none(step.perExampleClipping()));
            second[t] = step.updates().get(0).data().clone();
        }
        for (int j = 0; j < first[0].length; j++) {
            assertEquals(Float.floatToRawIntBits(first[0][j]), Float.floatToRawIntBits(first[1][j]), "step 1, element " + j);
            assertEquals(Float.floatToRawIntBits(second[0][j]), Float.floatToRawIntBits(second[1][j]), "step 2, element " + j);
        }
        // the weight's noise, then the bias's: step 2 starts where step 1's last tensor ended
        long afterOne = Gaussian.skip(Gaussian.skip(seed, 600 * 500), 500);
        float[] expected = new float[first[0].length];
        Gaussian.noiseRange(afterOne, sigma * clip, 1.0 / 4, new float[expected.length], expected, 0, expected.length);
        for (int j = 0; j < expected.length; j++) {
            assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(second[0][j]), "step 2 from the state, element " + j);
        }
    }

    @Test
    void theTransformRefusesAStepThatWasNotClippedPerExample() {
        Module m = TrainerTest.mlp(1, false);
        GradientStep step = new GradientStep(ParameterSet.of(m), Transforms.chain(new PrivateAggregate(1, 1, 0, 1)), Engine.serial());
        Tape t = Tape.recording(Engine.serial());
        t.backward(m.forward(t.constant(Tensor.ones(3, 2))).sum());
        IllegalStateException e = assertThrows(IllegalStateException.class, step::step);
        assertTrue(e.getMessage().contains("not clipped per example"), e.getMessage());
    }

    @Test
    void poissonBatchesHaveTheSamplingRate() {
        Rng rng = new Rng(4);
        int n = 2000;
        double q = 0.03;
        long total = 0;
        int rounds = 200;
        for (int r = 0; r < rounds; r++) {
            int[] b = Trainer.poissonBatch(n, q, rng);
            for (int i = 1; i < b.length; i++) {
                assertTrue(b[i] > b[i - 1], "indices in increasing order, no repeats");
            }
            total += b.length;
        }
        double mean = (double) total / rounds;
        assertEquals(n * q, mean, 4 * Math.sqrt(n * q * (1 - q) / rounds));
    }

    @Test
    void rollbackIsRefusedForAPrivateRun() {
        Module m = TrainerTest.mlp(1, false);
        Dataset data = TrainerTest.spirals();
        Trainer t = new Trainer(m, Objective.forTask(data.task()), dpSgd(m, Engine.serial(), 1, 1, 0.05, BATCH), Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(BATCH), 1, 1).withDivergence(DivergencePolicy.rollback()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.fit(data, null)).getMessage().contains("rollback"));
    }

    /** A source that is not this JVM's {@link LocalGradients}, as a cluster's is, computing the same passes. */
    private static GradientSource remote(LocalGradients local) {
        return new GradientSource() {
            @Override
            public int size() {
                return local.size();
            }

            @Override
            public StepResult compute(StepBatch b) {
                return local.compute(b);
            }
        };
    }

    private record PrivateRun(Module model, List<StepRecord> steps) {
    }

    private static PrivateRun privateRun(int micro, boolean poisson, boolean cluster) {
        Dataset data = TrainerTest.spirals();
        Module m = TrainerTest.mlp(1, false);
        List<StepRecord> steps = new ArrayList<>();
        Trainer t = new Trainer(m, Objective.forTask(data.task()), dpSgd(m, Engine.serial(), 0.5, 1.1, 0.05, BATCH), Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(BATCH), 1, 11).withPoissonSampling(poisson).withMicroBatches(micro))
                .addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepRecord r) {
                        steps.add(r);
                    }
                });
        LocalGradients local = new LocalGradients(new MicroBatchPass(m, Objective.forTask(data.task()), Engine.serial()), data);
        t.run(cluster ? remote(local) : local, null, Long.MAX_VALUE);
        return new PrivateRun(m, steps);
    }

    /**
     * DP-SGD with gradient accumulation: each micro-batch's pass clips its own examples (a weight depends on its
     * example's norm only), the fixed tree adds the clipped sums, the noise is added once to the aggregate. So a
     * cluster's source (which adds the same pieces in the same tree) gives the same bits, every example's norm and
     * weight reach the private aggregate in batch order (the same dp metrics), and the result equals one pass over the
     * whole batch up to the rounding of the sum's order.
     */
    @Test
    void privateRunsAccumulateMicroBatchesWithTheSameBitsInThisJvmAndThroughAClusterSource() {
        PrivateRun whole = privateRun(1, false, false);
        for (int micro : new int[] {1, 3, 5}) {
            PrivateRun local = privateRun(micro, false, false);
            PrivateRun cluster = privateRun(micro, false, true);
            assertSameBits(local.model(), cluster.model());
            assertEquals(local.steps().size(), cluster.steps().size());
            for (int i = 0; i < local.steps().size(); i++) {
                StepRecord x = local.steps().get(i);
                StepRecord y = cluster.steps().get(i);
                assertEquals(Double.doubleToRawLongBits(x.loss()), Double.doubleToRawLongBits(y.loss()), micro + ": loss of step " + i);
                assertEquals(x.transforms(), y.transforms(), micro + ": dp metrics of step " + i);
                StepRecord w = whole.steps().get(i);
                assertEquals(w.transforms().get("dp.examples"), x.transforms().get("dp.examples"), "every example clipped once");
                assertEquals(w.transforms().get("dp.clipped"), x.transforms().get("dp.clipped"), micro + ": the same examples clipped");
                assertEquals(w.transforms().get("dp.norm_mean"), x.transforms().get("dp.norm_mean"), 1e-5 * w.transforms().get("dp.norm_mean"));
            }
            for (Map.Entry<String, Parameter> en : whole.model().namedParameters().entrySet()) {
                float[] a = en.getValue().value().data();
                float[] b = local.model().namedParameters().get(en.getKey()).value().data();
                for (int j = 0; j < a.length; j++) {
                    assertEquals(a[j], b[j], 1e-4 * (1 + Math.abs(a[j])), micro + " micro-batches: " + en.getKey() + "[" + j + "]");
                }
            }
        }
        // Poisson draws (index sets of varying size) are cut into micro-batches too
        PrivateRun poisson = privateRun(3, true, false);
        PrivateRun poissonWhole = privateRun(1, true, false);
        assertEquals(poissonWhole.steps().size(), poisson.steps().size());
        for (int i = 0; i < poisson.steps().size(); i++) {
            assertEquals(poissonWhole.steps().get(i).transforms().get("dp.examples"), poisson.steps().get(i).transforms().get("dp.examples"));
        }
    }

    /** Poisson draws are handed to any gradient source (a cluster lays each draw out itself): the bits of this JVM. */
    @Test
    void poissonDrawsThroughAClusterSourceHaveTheBitsOfThisJvm() {
        for (int micro : new int[] {1, 3}) {
            PrivateRun local = privateRun(micro, true, false);
            PrivateRun cluster = privateRun(micro, true, true);
            assertSameBits(local.model(), cluster.model());
            assertEquals(local.steps().size(), cluster.steps().size());
            for (int i = 0; i < local.steps().size(); i++) {
                assertEquals(Double.doubleToRawLongBits(local.steps().get(i).loss()), Double.doubleToRawLongBits(cluster.steps().get(i).loss()),
                        micro + ": loss of step " + i);
                assertEquals(local.steps().get(i).transforms(), cluster.steps().get(i).transforms(), micro + ": dp metrics of step " + i);
            }
        }
    }
}
