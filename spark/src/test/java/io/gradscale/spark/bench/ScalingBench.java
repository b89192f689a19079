package io.gradscale.spark.bench;

import io.gradscale.cli.config.DataBuilder;
import io.gradscale.data.Dataset;
import io.gradscale.nn.Module;
import io.gradscale.optim.Optimizers;
import io.gradscale.spark.DistributedDataset;
import io.gradscale.spark.Layout;
import io.gradscale.spark.SparkBackend;
import io.gradscale.spark.ModelFactory;
import io.gradscale.spark.SparkGradients;
import io.gradscale.spark.SparkSettings;
import io.gradscale.spark.StepTimes;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Time per step of bench/'s MLP 784-512-256-10 (batch 128) and LSTM (input 32, hidden 128, sequence 50, batch 32)
 * workloads, global-norm clipping at 1.0 and Adam, trained in this JVM (one thread, with and without gradient
 * accumulation) and on Spark local[1] / local[2] with 1 and 2 partitions, fixed tree and plain treeAggregate, in
 * alternating rounds; Spark's steps split into broadcast, compute, encode, decode and combine.
 *
 * <p>Not a test: {@code bench/spark-scaling.sh} runs it. Arguments: rounds (default 3), steps per measurement
 * (default 12).
 */
public final class ScalingBench {
    private static final int MICRO = 4;
    private static final int WARMUP = 3;

    record Workload(String name, String modelJson, DataBuilder.Layout layout, Dataset data, int batch) {
        ModelFactory factory() {
            Layout l = Layout.of(data);
            return new SparkBackend.CliModelFactory(modelJson, l.example(data, 0), l, layout, 1);
        }

        Module model() {
            return factory().create();
        }
    }

    static Workload mlp(int steps) {
        Rng rng = new Rng(1);
        int n = 128 * steps;
        Tensor x = Tensor.randn(rng, n, 784);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(10);
        }
        return new Workload("mlp 784-512-256-10, batch 128", "{\"type\":\"mlp\",\"hidden\":[512,256],\"activation\":\"relu\"}",
                DataBuilder.Layout.FEATURES, Dataset.classification(x, y, 10), 128);
    }

    static Workload lstm(int steps) {
        Rng rng = new Rng(3);
        int n = 32 * steps;
        return new Workload("lstm 32-128, sequence 50, batch 32", "{\"type\":\"lstm\",\"hidden\":[128]}",
                DataBuilder.Layout.SEQUENCE, Dataset.regression(Tensor.randn(rng, n, 50, 32), Tensor.randn(rng, n, 1)), 32);
    }

    static Trainer trainer(Module m, Workload w, int steps, int micro) {
        Trainer t = new Trainer(m, Objective.forTask(w.data().task()), mult -> new GradientStep(ParameterSet.of(m),
                Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(1e-3 * mult)), Engine.serial()),
                Engine.serial(), Trainer.Settings.of(GradientDescent.miniBatch(w.batch()), 1, 7).withMicroBatches(micro)
                .withMonitorEvery(1 << 20));
        return t;
    }

    /** Milliseconds per step after the warm-up steps, from the step records' clocks. */
    static double timed(Trainer t, Runnable run, int steps) {
        double[] at = new double[2];
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                if (r.step() == WARMUP - 1) {
                    at[0] = r.elapsedMillis();
                }
                at[1] = r.elapsedMillis();
            }
        });
        run.run();
        return (at[1] - at[0]) / (steps - WARMUP);
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        System.out.println("cores " + Runtime.getRuntime().availableProcessors() + ", load average at start "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (Workload w : new Workload[] {mlp(steps), lstm(steps)}) {
            long params = w.model().parameterCount();
            System.out.printf(Locale.ROOT, "%n== %s: %d parameters, %d gradient bytes%n", w.name(), params, 4 * params);
            for (int r = 0; r < rounds; r++) {
                for (int micro : new int[] {1, MICRO}) {
                    Module m = w.model();
                    Trainer t = trainer(m, w, steps, micro);
                    double ms = timed(t, () -> t.fit(w.data(), null), steps);
                    System.out.printf(Locale.ROOT, "round %d  local, 1 thread, %d micro-batch(es): %.2f ms/step%n", r, micro, ms);
                }
                for (String master : new String[] {"local[1]", "local[2]"}) {
                    int parts = master.equals("local[1]") ? 1 : 2;
                    try (JavaSparkContext sc = new SparkSettings(master, parts, Map.of()).open()) {
                        DistributedDataset d = DistributedDataset.of(sc, w.data(), parts);
                        for (SparkGradients.Reduction red : SparkGradients.Reduction.values()) {
                            Module m = w.model();
                            Trainer t = trainer(m, w, steps, MICRO);
                            ModelFactory f = w.factory();
                            try (SparkGradients g = new SparkGradients(sc, d, m, f, parts, red)) {
                                StepTimes times = g.times();
                                t.addListener(new TrainingListener() {
                                    @Override
                                    public void onStep(StepRecord rec) {
                                        if (rec.step() == WARMUP - 1) {
                                            times.reset();
                                        }
                                    }
                                });
                                double ms = timed(t, () -> t.run(g, null, Long.MAX_VALUE), steps);
                                System.out.printf(Locale.ROOT, "round %d  spark %s, %d partition(s), %s, %d micro-batches: %.2f ms/step; %s%n",
                                        r, master, parts, red, MICRO, ms, times);
                            }
                        }
                    }
                }
            }
        }
    }
}
