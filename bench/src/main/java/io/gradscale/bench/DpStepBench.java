package io.gradscale.bench;

import io.gradscale.tensor.Engine;
import java.util.Arrays;
import java.util.Locale;

/**
 * A DP-SGD step against a plain step of the same MLP, side by side in one JVM: {@code mlp-dp} and {@code mlp-sgd}
 * of {@link StepWorkloads} (784-512-256-10, batch 128; the plain step clips the batch gradient's global norm, the
 * private one clips each example's, adds noise and averages; both then SGD with momentum). After a warm-up of both
 * (at least {@link StepHarness#MIN_WARMUP_NANOS}), rounds alternate a block of plain steps and a block of private
 * steps, so each round's ratio is measured within the same seconds of a shared, noisy machine.
 *
 * <pre>
 *   DpStepBench [THREADS [ROUNDS [STEPS]]]    defaults 1, 7, 20
 * </pre>
 * Prints per round the median step time of each and their ratio, then the median over rounds of each.
 */
public final class DpStepBench {
    private DpStepBench() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Engine engine = threads == 1 ? Engine.serial() : Engine.withThreads(threads);
        try {
            StepWorkloads.Workload plain = StepWorkloads.create("mlp-sgd", engine);
            StepWorkloads.Workload dp = StepWorkloads.create("mlp-dp", engine);
            long until = System.nanoTime() + StepHarness.MIN_WARMUP_NANOS;
            for (int i = 0; i < StepHarness.DEFAULT_WARMUP || System.nanoTime() < until; i++) {
                plain.step();
                dp.step();
            }
            double[] p = new double[rounds];
            double[] d = new double[rounds];
            double[] r = new double[rounds];
            for (int k = 0; k < rounds; k++) {
                p[k] = medianMillis(plain, steps);
                d[k] = medianMillis(dp, steps);
                r[k] = d[k] / p[k];
                System.out.printf(Locale.ROOT, "round %d: plain %.3f ms, dp %.3f ms, ratio %.3f%n", k + 1, p[k], d[k], r[k]);
            }
            System.out.printf(Locale.ROOT, "median over %d rounds (%d steps each, %d thread(s)): plain %.3f ms, dp %.3f ms,"
                    + " ratio %.3f (range %.3f-%.3f)%n", rounds, steps, threads, median(p), median(d), median(r),
                    Arrays.stream(r).min().orElse(Double.NaN), Arrays.stream(r).max().orElse(Double.NaN));
        } finally {
            engine.parallel().close();
        }
    }

    private static double medianMillis(StepWorkloads.Workload w, int steps) {
        double[] t = new double[steps];
        double sink = 0;
        for (int i = 0; i < steps; i++) {
            w.prepare();
            long t0 = System.nanoTime();
            sink += w.step();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        if (Double.isNaN(sink) && steps < 0) {
            throw new AssertionError(); // keeps the losses observable
        }
        return median(t);
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
