package io.gradscale.bench;

import io.gradscale.data.Dataset;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.OptimizerFactory;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
import java.util.Arrays;
import java.util.Locale;

/**
 * The row-count axis: the time of one training step of the same model as the training set grows, through
 * the {@link Trainer} a user (and {@code gradscale train}) runs, so that shuffling, batch gathering, the
 * monitor and the listeners are all in the timing. The model is the digits run of issue 21: an MLP
 * 784-256-128-10 with ReLU, batch 64, cross-entropy, global-norm clipping at 1.0 and Adam (lr 1e-3); the
 * data are random features (the content does not matter to the time of a step) and random labels.
 *
 * <pre>
 *   RowsHarness ROWS THREADS [WARMUP STEPS]    train ROWS rows for WARMUP steps (and at least 5 s), then time
 *                                              STEPS steps; print one RESULT line (median and quartiles of the
 *                                              step time, from the step records' clock)
 * </pre>
 *
 * {@code bench/run-rows.sh} alternates row counts in rounds and sets each against the smallest of its round.
 */
public final class RowsHarness {
    static final int FEATURES = 784;
    static final int CLASSES = 10;
    static final int BATCH = 64;
    static final double CLIP = 1.0;
    static final double LR = 1e-3;
    /** Warm-up steps before timing, by default. */
    static final int DEFAULT_WARMUP = 300;
    /** Timed steps, by default. */
    static final int DEFAULT_STEPS = 400;

    private RowsHarness() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: RowsHarness ROWS THREADS [WARMUP STEPS]");
            System.exit(2);
        }
        int rows = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_WARMUP;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : DEFAULT_STEPS;
        System.out.println(run(rows, threads, warmup, steps));
    }

    /** Random features {@code [rows, 784]} and labels in {@code [0, 10)}. */
    static Dataset data(int rows, Rng rng) {
        Tensor x = Tensor.randn(rng, rows, FEATURES);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(CLASSES);
        }
        return Dataset.classification(x, y, CLASSES);
    }

    static String run(int rows, int threads, int warmup, int steps) {
        Engine engine = threads == 1 ? Engine.serial() : Engine.withThreads(threads);
        try {
            Rng rng = new Rng(21);
            Dataset train = data(rows, rng.split());
            Sequential model = new Sequential(new Linear(FEATURES, 256, rng), Activation.relu(), new Linear(256, 128, rng),
                    Activation.relu(), new Linear(128, CLASSES, rng));
            OptimizerFactory opt = mult -> new GradientStep(ParameterSet.of(model),
                    Transforms.chain(Transforms.clipByGlobalNorm(CLIP), Optimizers.adam(LR * mult)), engine);
            int epochs = (int) Math.min(Integer.MAX_VALUE, (long) (warmup + steps) * BATCH / rows + 2);
            Trainer trainer = new Trainer(model, Objective.forTask(train.task()), opt, engine,
                    Trainer.Settings.of(GradientDescent.miniBatch(BATCH), epochs, 21));
            Clock clock = new Clock(warmup, steps);
            trainer.addListener(clock);
            long t0 = System.nanoTime();
            trainer.run(train, null, warmup + steps + 1L);
            double wallS = (System.nanoTime() - t0) / 1e9;
            double[] ms = clock.sortedTimes();
            return String.format(Locale.ROOT,
                    "RESULT impl=gradscale workload=rows-%d threads=%d median_ms=%.3f q1_ms=%.3f q3_ms=%.3f first_step_ms=%.1f steps=%d"
                    + " alloc_bytes=%d minor_faults_per_step=%.1f heap_committed_mb=%d wall_s=%.1f kernels=%s",
                    rows, threads, StepHarness.quantile(ms, 0.5), StepHarness.quantile(ms, 0.25), StepHarness.quantile(ms, 0.75),
                    clock.first, ms.length, clock.allocPerStep(), clock.faultsPerStep(),
                    Runtime.getRuntime().totalMemory() >> 20, wallS, engine.kernels().name());
        } finally {
            engine.parallel().close();
        }
    }

    /** Step times from consecutive step records' clock (the gap between two records is one whole step). */
    private static final class Clock implements TrainingListener {
        private final int warmup;
        private final double[] ms;
        private double previous = Double.NaN;
        private double first = Double.NaN;
        private int n;

        Clock(int warmup, int steps) {
            this.warmup = warmup;
            this.ms = new double[steps];
        }

        private final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        private long alloc0;
        private long alloc1;
        private long faults0;
        private long faults1;

        @Override
        public void onStep(StepRecord r) {
            if (r.step() == 0) {
                first = r.elapsedMillis();
            }
            if (r.step() > warmup && n < ms.length) {
                ms[n++] = r.elapsedMillis() - previous;
                if (n == ms.length) {
                    alloc1 = mx.getTotalThreadAllocatedBytes();
                    faults1 = minorFaults();
                }
            }
            if (r.step() == warmup) {
                alloc0 = mx.getTotalThreadAllocatedBytes();
                faults0 = minorFaults();
            }
            previous = r.elapsedMillis();
        }

        long allocPerStep() {
            return n == 0 ? 0 : (alloc1 - alloc0) / n;
        }

        double faultsPerStep() {
            return n == 0 || faults0 < 0 ? Double.NaN : (double) (faults1 - faults0) / n;
        }

        /**
         * The process's minor page faults so far (field 10 of /proc/self/stat), -1 where there is no /proc: a
         * step that touches memory the process has never touched (a heap that grows) pays one per 4 KiB page.
         */
        private static long minorFaults() {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[7]);
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }

        double[] sortedTimes() {
            double[] s = Arrays.copyOf(ms, n);
            Arrays.sort(s);
            return s;
        }
    }
}
