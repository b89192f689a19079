package io.gradscale.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Parameter;
import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.Dropout;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.MicroBatches;
import io.gradscale.train.Objective;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Spark on local[2] (two tries per task): the same bits as one machine, retries, and clear failures. */
class SparkGradientsTest {
    /** Batches of 40 in 7 micro-batches: over 2 and 3 partitions the shares are uneven and not whole subtrees. */
    private static final int MICRO = 7;
    private static final int EPOCHS = 1;
    private static JavaSparkContext sc;
    /** Tasks that the flaky factory failed (executors are threads of this JVM under a local master). */
    static final AtomicInteger FAILED = new AtomicInteger();

    @BeforeAll
    static void start() {
        sc = new SparkSettings("local[2,2]", 2, Map.of()).open();
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    static Module mlp() {
        Rng rng = new Rng(7);
        return new Sequential(new Linear(2, 16, rng), Activation.tanh(), new Linear(16, 16, rng), Activation.relu(),
                new Linear(16, 2, rng));
    }

    static Dataset spirals() {
        return TwoSpirals.generate(160, 1.5, 0.05, new Rng(3));
    }

    /** A trainer whose clip sees the global norm: if a worker clipped its own share, the bits would differ. */
    static Trainer trainer(Module m) {
        return new Trainer(m, Objective.forTask(spirals().task()), mult -> new GradientStep(ParameterSet.of(m),
                Transforms.chain(Transforms.clipByGlobalNorm(0.5), Optimizers.adam(1e-2 * mult)), Engine.serial()), Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(40), EPOCHS, 11).withMicroBatches(MICRO).withMonitorEvery(2));
    }

    record Run(Module model, List<StepRecord> steps, StepTimes times) {
    }

    static Trainer recording(Module m, List<StepRecord> steps) {
        return trainer(m).addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                steps.add(r);
            }
        });
    }

    static Run local() {
        Module m = mlp();
        List<StepRecord> steps = new ArrayList<>();
        recording(m, steps).fit(spirals(), null);
        return new Run(m, steps, null);
    }

    static Run spark(int partitions, ModelFactory factory, SparkGradients.Reduction reduction) {
        Module m = mlp();
        List<StepRecord> steps = new ArrayList<>();
        Trainer t = recording(m, steps);
        DistributedDataset data = DistributedDataset.of(sc, spirals(), partitions);
        try (SparkGradients g = new SparkGradients(sc, data, m, factory, partitions, reduction)) {
            t.run(g, null, Long.MAX_VALUE);
            return new Run(m, steps, g.times());
        }
    }

    static void assertSameBits(Run a, Run b, String what) {
        Map<String, Parameter> pa = a.model().namedParameters();
        Map<String, Parameter> pb = b.model().namedParameters();
        for (String k : pa.keySet()) {
            assertTrue(pa.get(k).value().bitEquals(pb.get(k).value()), what + ": parameter " + k + " differs");
        }
        assertEquals(a.steps().size(), b.steps().size());
        for (int i = 0; i < a.steps().size(); i++) {
            StepRecord x = a.steps().get(i);
            StepRecord y = b.steps().get(i);
            assertEquals(Double.doubleToRawLongBits(x.loss()), Double.doubleToRawLongBits(y.loss()), what + ": loss of step " + i);
            assertEquals(Double.doubleToRawLongBits(x.gradNorm()), Double.doubleToRawLongBits(y.gradNorm()), what + ": norm of step " + i);
            assertEquals(x.activations(), y.activations(), what + ": activations of step " + i);
        }
    }

    @Test
    void oneTwoAndThreePartitionsGiveTheBitsOfOneMachineWithTheSameMicroBatches() {
        Run local = local();
        assertTrue(local.steps().stream().anyMatch(r -> !r.activations().isEmpty()), "the probe sampled some steps");
        long gradientBytes = 4L * ParameterSet.of(mlp()).elementCount();
        int tensors = ParameterSet.of(mlp()).size();
        for (int p = 1; p <= 3; p++) {
            Run spark = spark(p, SparkGradientsTest::mlp, SparkGradients.Reduction.FIXED_TREE);
            assertSameBits(local, spark, p + " partitions");
            // each task sends the subtrees inside its share, pre-reduced: fewer gradients than micro-batches
            long pieces = 0;
            for (int part = 0; part < p; part++) {
                pieces += MicroBatches.pieces(MICRO, SparkGradients.firstMicroBatch(part, MICRO, p),
                        SparkGradients.firstMicroBatch(part + 1, MICRO, p)).size();
            }
            double expected = p * 4.0 + pieces * (Pieces.NODE_HEADER_BYTES + 4.0 * tensors + gradientBytes);
            assertEquals(expected, spark.times().bytesToDriverPerStep(), p + " partitions: " + pieces + " pieces per step");
            assertTrue(pieces < MICRO, p + " partitions send " + pieces + " pieces for " + MICRO + " micro-batches");
        }
    }

    /** DP-SGD: per-example clipping on the executors, per micro-batch; the noise once, on the driver, on the aggregate. */
    static Trainer privateTrainer(Module m, List<StepRecord> steps, boolean poisson) {
        return new Trainer(m, Objective.forTask(spirals().task()), mult -> new GradientStep(ParameterSet.of(m),
                Transforms.chain(new PrivateAggregate(0.5, 1.1, 40, 99), Optimizers.sgd(Schedule.constant(0.05 * mult), 0, 0, false, 0)),
                Engine.serial()), Engine.serial(),
                Trainer.Settings.of(GradientDescent.miniBatch(40), EPOCHS, 11).withMicroBatches(MICRO).withMonitorEvery(2)
                        .withPoissonSampling(poisson))
                .addListener(new TrainingListener() {
                    @Override
                    public void onStep(StepRecord r) {
                        steps.add(r);
                    }
                });
    }

    /**
     * DP-SGD with shuffled batches and with Poisson sampling (each step's draw laid out over the partitions by a
     * shuffle of the drawn examples): the bits, losses and dp metrics of local accumulation.
     */
    @Test
    void aPrivateRunHasTheBitsOfLocalAccumulationWithShuffledOrPoissonBatches() {
        record Case(boolean poisson, int[] partitions) {
        }
        for (Case c : List.of(new Case(false, new int[] {2, 3}), new Case(true, new int[] {1, 2, 3}))) {
            String sampling = c.poisson() ? "Poisson sampling" : "shuffled batches";
            Module local = mlp();
            List<StepRecord> localSteps = new ArrayList<>();
            privateTrainer(local, localSteps, c.poisson()).fit(spirals(), null);
            Run expected = new Run(local, localSteps, null);
            assertTrue(localSteps.get(0).transforms().get("dp.clipped") > 0, "some examples are clipped");
            for (int p : c.partitions()) {
                Module m = mlp();
                List<StepRecord> steps = new ArrayList<>();
                Trainer t = privateTrainer(m, steps, c.poisson());
                try (SparkGradients g = new SparkGradients(sc, DistributedDataset.of(sc, spirals(), p), m, SparkGradientsTest::mlp, p,
                        SparkGradients.Reduction.FIXED_TREE)) {
                    t.run(g, null, Long.MAX_VALUE);
                }
                assertSameBits(expected, new Run(m, steps, null), "private, " + sampling + ", " + p + " partitions");
                for (int i = 0; i < steps.size(); i++) {
                    assertEquals(localSteps.get(i).transforms(), steps.get(i).transforms(),
                            sampling + ", " + p + " partitions: the dp metrics of step " + i);
                }
            }
        }
        // the executors clip with the private aggregate's own weights
        PrivateAggregate pa = new PrivateAggregate(0.5, 1.1, 40, 99);
        double[] norms = {0, 1e-7, 0.25, 0.5, 0.5000001, 3, Double.NaN, Double.POSITIVE_INFINITY};
        assertEquals(java.util.Arrays.toString(pa.weights(norms)),
                java.util.Arrays.toString(SparkGradients.forExecutors(pa).weights(norms)));
    }

    @Test
    void theFixedTreeIsWhatMakesTheBitsIndependentOfThePartitionCount() {
        Run two = spark(2, SparkGradientsTest::mlp, SparkGradients.Reduction.TREE_AGGREGATE);
        Run three = spark(3, SparkGradientsTest::mlp, SparkGradients.Reduction.TREE_AGGREGATE);
        boolean differ = false;
        for (String k : two.model().namedParameters().keySet()) {
            float[] a = two.model().namedParameters().get(k).value().data();
            float[] b = three.model().namedParameters().get(k).value().data();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-3, "plain treeAggregate: the same training up to rounding");
                differ |= Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]);
            }
        }
        assertTrue(differ, "a left fold per partition rounds differently on 2 and 3 partitions");
    }

    /**
     * Fails the task of partition 1 on its first attempt (where the executor builds its model: the first step of the
     * epoch); Spark retries it on the same data.
     */
    static Module flaky() {
        TaskContext tc = TaskContext.get();
        if (tc != null && tc.partitionId() == 1 && tc.attemptNumber() == 0) {
            FAILED.incrementAndGet();
            throw new IllegalStateException("injected failure of a task's first attempt");
        }
        return mlp();
    }

    @Test
    void aTaskKilledOnceIsRetriedWithoutChangingTheResult() {
        int before = FAILED.get();
        Run retried = spark(2, SparkGradientsTest::flaky, SparkGradients.Reduction.FIXED_TREE);
        assertTrue(FAILED.get() - before >= 1, "a task was lost once");
        assertSameBits(local(), retried, "with retries");
    }

    static Module broken() {
        throw new IllegalStateException("executor out of order");
    }

    @Test
    void aTaskThatAlwaysFailsStopsTrainingWithTheStepAndTheCause() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> spark(2, SparkGradientsTest::broken,
                SparkGradients.Reduction.FIXED_TREE));
        assertTrue(e.getMessage().contains("step 0 on the executors failed"), e.getMessage());
        assertTrue(e.getMessage().contains("executor out of order"), e.getMessage());
    }

    static Module batchNormMlp() {
        Rng rng = new Rng(7);
        return new Sequential(new Linear(2, 16, rng), new BatchNorm1d(16), Activation.relu(), new Linear(16, 2, rng));
    }

    /**
     * Batch normalization: the executors keep each micro-batch's batch statistics, the driver moves the running
     * statistics with them in micro-batch order; the weights, the running statistics and an evaluation with them (on
     * the executors, the running statistics broadcast) have the bits of local accumulation.
     */
    @Test
    void batchNormalizationMovesItsRunningStatisticsOnTheDriverInMicroBatchOrder() {
        Dataset validation = TwoSpirals.generate(50, 1.5, 0.05, new Rng(4));
        Module local = batchNormMlp();
        List<StepRecord> localSteps = new ArrayList<>();
        Trainer lt = recording(local, localSteps);
        lt.fit(spirals(), null);
        Trainer.Evaluation localEval = lt.evaluate(validation);
        Run expected = new Run(local, localSteps, null);
        for (int p = 2; p <= 3; p++) {
            Module m = batchNormMlp();
            List<StepRecord> steps = new ArrayList<>();
            Trainer t = recording(m, steps);
            try (SparkGradients g = new SparkGradients(sc, DistributedDataset.of(sc, spirals(), p), m, SparkGradientsTest::batchNormMlp,
                    p, SparkGradients.Reduction.FIXED_TREE)) {
                t.run(g, null, Long.MAX_VALUE);
                Trainer.Evaluation ev = g.evaluate(DistributedDataset.of(sc, validation, p));
                assertEquals(Double.doubleToRawLongBits(localEval.loss()), Double.doubleToRawLongBits(ev.loss()), p + ": validation loss");
                assertEquals(Double.doubleToRawLongBits(localEval.accuracy()), Double.doubleToRawLongBits(ev.accuracy()), p + ": accuracy");
            }
            assertSameBits(expected, new Run(m, steps, null), "batch norm, " + p + " partitions");
            for (Map.Entry<String, io.gradscale.tensor.Tensor> b : local.namedBuffers().entrySet()) {
                assertTrue(b.getValue().bitEquals(m.namedBuffers().get(b.getKey())), p + " partitions: buffer " + b.getKey());
            }
        }
        assertTrue(((BatchNorm1d) local.namedModules().values().stream().filter(x -> x instanceof BatchNorm1d).findFirst().orElseThrow())
                .runningMean().data()[0] != 0f, "the running statistics moved");
    }

    /**
     * The standardizers (CSV per column, IDX pooled) sum exactly: 1, 2 and 3 partitions fit one machine's bits on data
     * whose double sums depend on where the partitions split it (the partition-ordered double sums this replaced gave
     * 2 where one machine's row order gave 1).
     */
    @Test
    void standardizersHaveOneMachinesBitsOnOneTwoAndThreePartitions() {
        float[] col = {1e20f, 1f, -1e20f, 1f, 3e-7f, 1e20f, -1e20f, 1f};
        int n = col.length;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = col[i];
            x[2 * i + 1] = 0.1f * i - 1e-9f * i * i;
        }
        double rowOrder = 0;
        double halves = 0;
        for (int half = 0; half < 2; half++) {
            double part = 0;
            for (int i = half * n / 2; i < (half + 1) * n / 2; i++) {
                rowOrder += col[i];
                part += col[i];
            }
            halves += part;
        }
        assertNotEquals(rowOrder, halves, "the data is order-sensitive: double sums per partition differ from row order");
        Dataset local = Dataset.classification(io.gradscale.tensor.Tensor.wrap(x, n, 2), new int[] {0, 1, 0, 1, 0, 1, 0, 1}, 2);
        io.gradscale.data.Standardizer perColumn = io.gradscale.data.Standardizer.fit(local.features());
        io.gradscale.data.Standardizer pooled = io.gradscale.data.Standardizer.fitPooled(local.features());
        assertEquals((float) ((3.0 + (double) 3e-7f) / n), perColumn.mean()[0], "the exact mean of the order-sensitive column");
        for (int p = 1; p <= 3; p++) {
            DistributedDataset spread = DistributedDataset.of(sc, local, p);
            record Fit(String name, io.gradscale.data.Standardizer expected, io.gradscale.data.Standardizer actual) {
            }
            for (Fit f : List.of(new Fit("per column", perColumn, spread.fitStandardizer()),
                    new Fit("pooled", pooled, spread.fitPooledStandardizer()))) {
                for (int j = 0; j < f.expected().features(); j++) {
                    assertEquals(Float.floatToRawIntBits(f.expected().mean()[j]), Float.floatToRawIntBits(f.actual().mean()[j]),
                            p + " partitions, " + f.name() + ": mean " + j);
                    assertEquals(Float.floatToRawIntBits(f.expected().std()[j]), Float.floatToRawIntBits(f.actual().std()[j]),
                            p + " partitions, " + f.name() + ": std " + j);
                }
            }
        }
    }

    static Module dropoutMlp() {
        Rng rng = new Rng(7);
        return new Sequential(new Linear(2, 16, rng), Activation.tanh(), new Dropout(0.3f, rng.split()), new Linear(16, 16, rng),
                Activation.relu(), new Dropout(0.5f, rng.split()), new Linear(16, 2, rng));
    }

    /** Two dropout layers drawing from one generator, interleaved within each pass. */
    static Module sharedDropoutMlp() {
        Rng rng = new Rng(7);
        Rng masks = rng.split();
        return new Sequential(new Linear(2, 16, rng), new Dropout(0.2f, masks), Activation.tanh(), new Linear(16, 16, rng),
                new Dropout(0.5f, masks), new Linear(16, 2, rng));
    }

    static Run local(java.util.function.Supplier<Module> model) {
        Module m = model.get();
        List<StepRecord> steps = new ArrayList<>();
        recording(m, steps).fit(spirals(), null);
        return new Run(m, steps, null);
    }

    static Run spark(int partitions, ModelFactory model) {
        Module m = model.create();
        List<StepRecord> steps = new ArrayList<>();
        Trainer t = recording(m, steps);
        try (SparkGradients g = new SparkGradients(sc, DistributedDataset.of(sc, spirals(), partitions), m, model, partitions,
                SparkGradients.Reduction.FIXED_TREE)) {
            t.run(g, null, Long.MAX_VALUE);
            return new Run(m, steps, g.times());
        }
    }

    /**
     * Dropout: each executor puts its generators where one machine's stream is at its micro-batches' first examples, so
     * the masks, the weights and the generators' final states are one machine's on 1, 2 and 3 partitions.
     */
    @Test
    void modelsWithDropoutHaveTheBitsOfOneMachineOnOneTwoAndThreePartitions() {
        record Case(String name, ModelFactory model) {
        }
        Run plain = local(SparkGradientsTest::mlp);
        for (Case c : List.of(new Case("dropout, a generator per layer", SparkGradientsTest::dropoutMlp),
                new Case("dropout, one generator for two layers", SparkGradientsTest::sharedDropoutMlp))) {
            Run local = local(c.model()::create);
            assertNotEquals(plain.steps().get(1).loss(), local.steps().get(1).loss(), c.name() + ": the masks change the loss");
            for (int p = 1; p <= 3; p++) {
                Run spark = spark(p, c.model());
                assertSameBits(local, spark, c.name() + ", " + p + " partitions");
                for (Map.Entry<String, Rng> r : local.model().namedRngs().entrySet()) {
                    assertEquals(r.getValue().state(), spark.model().namedRngs().get(r.getKey()).state(),
                            c.name() + ", " + p + " partitions: the driver's generator " + r.getKey() + " is where one machine's is");
                }
            }
        }
    }

    /** Draws one number per pass, whatever the batch: its draws cannot be placed per example. */
    static final class OneDrawPerPass extends Module {
        private final Rng rng;

        OneDrawPerPass(Rng rng) {
            this.rng = registerRng("rng", rng);
        }

        @Override
        public io.gradscale.autograd.Var forward(io.gradscale.autograd.Var x) {
            if (isTraining()) {
                rng.nextFloat();
            }
            return x;
        }
    }

    @Test
    void aModelWhoseDrawsAreNotTheSameForEachExampleIsRefusedWithWhy() {
        ModelFactory odd = () -> {
            Rng rng = new Rng(1);
            return new Sequential(new Linear(2, 4, rng), new OneDrawPerPass(rng.split()), new Linear(4, 2, rng));
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spark(2, odd));
        assertTrue(e.getMessage().contains("drew 1 numbers for 2 examples") && e.getMessage().contains("the same count for each example"),
                e.getMessage());
    }

    /**
     * Sequence CSV: the windows cut on the executors are the local reader's, bit for bit, on 1, 2 and 3 partitions,
     * including windows longer than a partition's rows (which need the rows of the two next partitions).
     */
    @Test
    void sequenceCsvWindowsCutByTheExecutorsAreTheLocalReadersOnOneTwoAndThreePartitions(@org.junit.jupiter.api.io.TempDir
                                                                                           java.nio.file.Path dir)
            throws java.io.IOException {
        StringBuilder sb = new StringBuilder("t,a,b\n");
        Rng rng = new Rng(21);
        for (int i = 0; i < 30; i++) {
            sb.append(i).append(',').append(String.format(java.util.Locale.ROOT, "%.5f", rng.nextGaussian())).append(',')
                    .append(String.format(java.util.Locale.ROOT, "%.3f", Math.sin(i / 3.0))).append('\n');
        }
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("series.csv"), sb.toString());
        record Case(List<String> columns, List<String> targets, int window, int horizon) {
        }
        // windows spanning 2 partitions of about 10 rows, and 3
        for (Case c : List.of(new Case(List.of("b", "t", "a"), List.of("a", "b"), 9, 2), new Case(List.of("a"), List.of("a"), 1, 29))) {
            Dataset local = io.gradscale.data.SequenceCsv.read(file, c.columns(), c.targets(), c.window(), c.horizon());
            for (int p = 1; p <= 3; p++) {
                DistributedDataset spread = DistributedDataset.sequenceCsv(sc, file.toUri().toString(), c.columns(), c.targets(),
                        c.window(), c.horizon(), p);
                assertEquals(local.size(), spread.size(), c + ", " + p + " partitions");
                List<Example> rows = new ArrayList<>(spread.rows().collect());
                rows.sort((a, b) -> Integer.compare(a.index(), b.index()));
                Dataset back = spread.layout().toDataset(rows);
                assertTrue(local.features().bitEquals(back.features()), c + ", " + p + " partitions: the windows");
                assertTrue(local.targets().bitEquals(back.targets()), c + ", " + p + " partitions: the targets");
            }
        }
        RuntimeException tooShort = assertThrows(RuntimeException.class, () -> DistributedDataset.sequenceCsv(sc,
                file.toUri().toString(), List.of("a"), List.of("a"), 30, 1, 2));
        assertTrue(tooShort.getMessage().contains("a series of 30 steps is too short for window 30 and horizon 1"), tooShort.getMessage());
        RuntimeException notASeries = assertThrows(RuntimeException.class, () -> DistributedDataset.sequenceCsv(sc,
                file.toUri().toString(), List.of("a"), List.of("b"), 3, 1, 2));
        assertTrue(notASeries.getMessage().contains("target column 'b' must also be a series column"), notASeries.getMessage());
    }

    @Test
    void aBadMasterUrlSaysWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparkSettings("locl[2]", 1, Map.of()).open());
        assertTrue(e.getMessage().contains("'locl[2]' is not a Spark master URL"), e.getMessage());
    }

    private static byte[] gzipBytes(byte[] plain) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    private static java.nio.file.Path gzip(java.nio.file.Path plain, java.nio.file.Path to) throws java.io.IOException {
        return java.nio.file.Files.write(to, gzipBytes(java.nio.file.Files.readAllBytes(plain)));
    }

    @Test
    void idxFilesReadByTheExecutorsGiveTheExamplesOfTheLocalReader(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        int n = 7;
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * 6).putInt(0x803).putInt(n).putInt(3).putInt(2);
        java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 6; j++) {
                img.put((byte) (37 * i + 11 * j));
            }
            lab.put((byte) (i % 4));
        }
        java.nio.file.Path images = java.nio.file.Files.write(dir.resolve("img.idx"), img.array());
        java.nio.file.Path labels = java.nio.file.Files.write(dir.resolve("lab.idx"), lab.array());
        Dataset local = io.gradscale.data.IdxReader.readDataset(images, labels, 4);
        DistributedDataset spread = DistributedDataset.idx(sc, images.toUri().toString(), labels.toUri().toString(), 4, 3);
        assertEquals(n, spread.size());
        List<Example> rows = new ArrayList<>(spread.rows().collect());
        rows.sort((a, b) -> Integer.compare(a.index(), b.index()));
        Dataset back = spread.layout().toDataset(rows);
        assertTrue(local.features().bitEquals(back.features()), "pixels scaled as IdxReader does");
        assertEquals(java.util.Arrays.toString(local.labels()), java.util.Arrays.toString(back.labels()));
        io.gradscale.data.Standardizer pooled = io.gradscale.data.Standardizer.fitPooled(local.features());
        io.gradscale.data.Standardizer spreadPooled = spread.fitPooledStandardizer();
        assertEquals(Float.floatToRawIntBits(pooled.mean()[0]), Float.floatToRawIntBits(spreadPooled.mean()[0]), "pooled mean");
        assertEquals(Float.floatToRawIntBits(pooled.std()[0]), Float.floatToRawIntBits(spreadPooled.std()[0]), "pooled std");

        // gzip-compressed files: each partition decompresses up to its range; the same examples
        java.nio.file.Path gzImages = gzip(images, dir.resolve("img.idx.gz"));
        java.nio.file.Path gzLabels = gzip(labels, dir.resolve("lab.idx.gz"));
        DistributedDataset gz = DistributedDataset.idx(sc, gzImages.toUri().toString(), gzLabels.toUri().toString(), 4, 3);
        List<Example> gzRows = new ArrayList<>(gz.rows().collect());
        gzRows.sort((a, b) -> Integer.compare(a.index(), b.index()));
        Dataset gzBack = gz.layout().toDataset(gzRows);
        assertTrue(local.features().bitEquals(gzBack.features()), "gzip: the same pixels");
        assertEquals(java.util.Arrays.toString(local.labels()), java.util.Arrays.toString(gzBack.labels()));
        java.nio.file.Path cut = java.nio.file.Files.write(dir.resolve("cut.idx.gz"),
                gzipBytes(java.util.Arrays.copyOf(img.array(), img.array().length - 5)));
        Exception truncated = assertThrows(Exception.class, () -> DistributedDataset.idx(sc, cut.toUri().toString(),
                gzLabels.toUri().toString(), 4, 3).rows().count());
        assertTrue(DistributedDataset.readFailure("cut.idx.gz", truncated).getMessage().contains(
                "cut.idx.gz (after gzip decompression) ends before byte 58, which its header's dimensions need: the file is truncated"),
                truncated.getMessage());

        io.gradscale.data.DataFormatException missing = assertThrows(io.gradscale.data.DataFormatException.class,
                () -> DistributedDataset.idx(sc, dir.resolve("none.idx").toUri().toString(), labels.toUri().toString(), 4, 2));
        assertTrue(missing.getMessage().contains("none.idx does not exist"), missing.getMessage());
        java.nio.file.Path csv = java.nio.file.Files.writeString(dir.resolve("bad.csv"), "a,label\n1.5,0\n2.5,1\nx,1\n");
        RuntimeException bad = assertThrows(RuntimeException.class,
                () -> DistributedDataset.csv(sc, csv.toUri().toString(), "label", 0, 2));
        assertTrue(bad.getMessage().contains("line 4"), bad.getMessage());
    }
}
