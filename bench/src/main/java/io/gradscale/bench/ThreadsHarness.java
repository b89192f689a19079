package io.gradscale.bench;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Parallel;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.ThreadPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One thread against two in the same JVM, interleaved: a workload built twice (same seeds), once on
 * {@link Engine#serial()} and once on a pool of two threads, whose steps alternate in short blocks, so that
 * both meet the same load on a shared machine and the same JIT state. The speed-up of a round is the
 * one-thread median over the two-thread median of its blocks; the table gives the median over rounds.
 *
 * <pre>
 *   ThreadsHarness WORKLOAD [ROUNDS BLOCK [plan]]   warm up (at least 6 s, alternating), then ROUNDS rounds of BLOCK
 *                                                   steps on each side; prints one SPEEDUP line. With "plan" the
 *                                                   two-thread side steps through a ThreadPlan, as the Trainer does
 * </pre>
 *
 * A WORKLOAD is a step workload of {@link StepWorkloads} or {@code gemm:MxNxK:TT} (see {@link GemmShape}): one
 * product through {@link Kernels#best()}, repeated 10 times per step on the same operands, to set a step's
 * speed-up against the machine's own two-thread scaling of the products it is made of.
 *
 * {@code bench/run-threads.sh} runs it over the step workloads; {@code bench/run-steps.sh} remains the harness that
 * times each side in a JVM of its own against PyTorch.
 */
public final class ThreadsHarness {
    /** Warm-up of both sides together, alternating, so that C2 has compiled both paths. */
    static final long WARMUP_NANOS = 6_000_000_000L;
    static final int DEFAULT_ROUNDS = 15;
    static final int DEFAULT_BLOCK = 20;

    private ThreadsHarness() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ThreadsHarness WORKLOAD [ROUNDS BLOCK]; workloads: " + StepWorkloads.ALL);
            System.exit(2);
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_ROUNDS;
        int block = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_BLOCK;
        boolean planned = args.length > 3 && args[3].equals("plan");
        System.out.println(run(args[0], rounds, block, planned));
    }

    static String run(String name, int rounds, int block, boolean planned) {
        Engine two = Engine.withThreads(2);
        try {
            StepWorkloads.Workload w1 = create(name, Engine.serial());
            ThreadPlan plan = planned ? new ThreadPlan(two.parallel()) : null;
            StepWorkloads.Workload w2 = planned ? StepHarness.planned(create(name, two), plan) : create(name, two);
            long start = System.nanoTime();
            while (System.nanoTime() - start < WARMUP_NANOS) {
                time(w1, block);
                time(w2, block);
            }
            List<Double> all1 = new ArrayList<>();
            List<Double> all2 = new ArrayList<>();
            double[] speedups = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                // Alternate which side goes first, so that neither always follows the other's cache state.
                double[] a;
                double[] b;
                if (r % 2 == 0) {
                    a = time(w1, block);
                    b = time(w2, block);
                } else {
                    b = time(w2, block);
                    a = time(w1, block);
                }
                speedups[r] = median(a) / median(b);
                for (double x : a) {
                    all1.add(x);
                }
                for (double x : b) {
                    all2.add(x);
                }
            }
            Arrays.sort(speedups);
            return String.format(Locale.ROOT,
                    "SPEEDUP workload=%s one_ms=%.3f two_ms=%.3f speedup=%.2f speedup_q1=%.2f speedup_q3=%.2f rounds=%d block=%d plan=%s",
                    name, median(all1.stream().mapToDouble(Double::doubleValue).toArray()),
                    median(all2.stream().mapToDouble(Double::doubleValue).toArray()),
                    StepHarness.quantile(speedups, 0.5), StepHarness.quantile(speedups, 0.25),
                    StepHarness.quantile(speedups, 0.75), rounds, block, StepHarness.planDescription(plan));
        } finally {
            two.parallel().close();
        }
    }

    /** Products per timed step of a {@code gemm:} workload: one product is too short for the clock alone. */
    static final int PRODUCTS_PER_STEP = 10;

    private static StepWorkloads.Workload create(String name, Engine engine) {
        if (!name.startsWith("gemm:")) {
            return StepWorkloads.create(name, engine);
        }
        GemmShape s = GemmShape.parse(name.substring("gemm:".length()));
        Kernels k = Kernels.best();
        Rng rng = new Rng(42);
        float[] a = Fill.gaussian(rng, s.m() * s.k());
        float[] b = Fill.gaussian(rng, s.k() * s.n());
        float[] c = new float[s.m() * s.n()];
        Parallel par = engine.parallel();
        return () -> {
            for (int i = 0; i < PRODUCTS_PER_STEP; i++) {
                k.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), a, 0, s.lda(), b, 0, s.ldb(), false, c, 0, s.n(), par);
            }
            return c[0];
        };
    }

    private static double[] time(StepWorkloads.Workload w, int steps) {
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            w.prepare();
            long t0 = System.nanoTime();
            w.step();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return StepHarness.quantile(s, 0.5);
    }
}
