package io.gradscale.bench;

import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.CrossEntropyLoss;
import io.gradscale.autograd.Parameter;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Gaussian;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A DP-SGD step against a plain step of the same MLP, side by side in one JVM, with the parts that explain the
 * difference. Both are {@link StepWorkloads}' MLP 784-512-256-10 at batch 128 ({@code mlp-sgd}: the batch gradient's
 * global norm clipped at 1.0; {@code mlp-dp}: each example's gradient clipped at 1.0, noise multiplier 1.1, the
 * average over 128), each followed by SGD with momentum 0.9, on two copies of the same initial model.
 *
 * <p>After a warm-up of both (at least {@code WARMUP} steps of each and {@link StepHarness#MIN_WARMUP_NANOS}), each
 * round runs {@code STEPS} plain steps, then {@code STEPS} private steps, then {@code STEPS} times the noise alone (one
 * normal number per parameter through the engine's kernels, as the private step draws it), and takes the median of
 * each; so each round's ratio is measured within the same seconds of a shared, noisy machine. Printed: each round, the
 * median and range over rounds, and the parts: forward, backward (for DP-SGD, of which the per-example norms and the
 * clipped sums, timed by {@link PerExample} in wall time), the transform chain with the update (for DP-SGD, of which
 * the noise). Each step's wall time is printed, and on one thread its CPU time too (see {@link Clock}), the figure a
 * loaded machine disturbs least.
 *
 * <pre>
 *   DpStepBench [THREADS [ROUNDS [STEPS [WARMUP]]]]    defaults 1, 7, 200, 200
 * </pre>
 */
public final class DpStepBench {
    static final int DEFAULT_ROUNDS = 7;
    static final int DEFAULT_STEPS = 200;
    static final int DEFAULT_WARMUP = 200;
    /** The parts timed per step: forward, backward, chain and update, whole step, norms, clipped sums, wall time. */
    private static final int PARTS = 7;
    private static final int FORWARD = 0;
    private static final int BACKWARD = 1;
    private static final int CHAIN = 2;
    private static final int TOTAL = 3;
    private static final int NORMS = 4;
    private static final int SUMS = 5;
    private static final int WALL = 6;

    /**
     * The clock of the parts: on one thread the thread's CPU time, which a busy machine's other processes do not
     * inflate (a step preempted for 10 ms still counts its own 3 ms); on several, the wall time (the CPU time of
     * one thread would miss the others' work).
     */
    @FunctionalInterface
    interface Clock {
        long now();

        static Clock of(int threads) {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            return threads == 1 && mx.isCurrentThreadCpuTimeSupported() ? mx::getCurrentThreadCpuTime : System::nanoTime;
        }
    }

    private DpStepBench() {
    }

    /** One model with its optimizer: a plain or a private step, each timed part by part. */
    private static final class Side {
        final StepWorkloads.Mlp mlp = StepWorkloads.Mlp.make();
        final GradientStep opt;
        final boolean dp;
        final Engine engine;
        final CrossEntropyLoss ce = new CrossEntropyLoss();
        final Clock clock;

        Side(Engine engine, boolean dp, Clock clock) {
            this.engine = engine;
            this.dp = dp;
            this.clock = clock;
            var sgd = Optimizers.sgd(Schedule.constant(StepWorkloads.SGD_LR), StepWorkloads.SGD_MOMENTUM, 0, false, 0);
            this.opt = new GradientStep(ParameterSet.of(mlp.model()), dp
                    ? Transforms.chain(new PrivateAggregate(StepWorkloads.CLIP, StepWorkloads.DP_NOISE, mlp.x().dim(0), 7), sgd)
                    : Transforms.chain(Transforms.clipByGlobalNorm(StepWorkloads.CLIP), sgd), engine);
        }

        /** One step; its parts in milliseconds into {@code t[part][i]}, and its wall time into {@code t[WALL][i]}. */
        double step(double[][] t, int i) {
            long w0 = System.nanoTime();
            long t0 = clock.now();
            int batch = mlp.x().dim(0);
            PerExample pe = dp ? new PerExample(batch, batch, opt.perExampleClipping()) : null;
            Tape tape = dp ? Tape.recording(engine, pe) : Tape.recording(engine);
            Var loss = ce.apply(mlp.model().forward(tape.constant(mlp.x())), mlp.y());
            long t1 = clock.now();
            tape.backward(loss);
            long t2 = clock.now();
            opt.step(false, pe);
            mlp.model().zeroGrad();
            long t3 = clock.now();
            t[WALL][i] = (System.nanoTime() - w0) / 1e6;
            t[FORWARD][i] = (t1 - t0) / 1e6;
            t[BACKWARD][i] = (t2 - t1) / 1e6;
            t[CHAIN][i] = (t3 - t2) / 1e6;
            t[TOTAL][i] = (t3 - t0) / 1e6;
            t[NORMS][i] = dp ? pe.normNanos() / 1e6 : Double.NaN;
            t[SUMS][i] = dp ? pe.sumNanos() / 1e6 : Double.NaN;
            return loss.item();
        }
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_ROUNDS;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_STEPS;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : DEFAULT_WARMUP;
        Engine engine = threads == 1 ? Engine.serial() : Engine.withThreads(threads);
        try {
            Clock clock = Clock.of(threads);
            boolean cpu = threads == 1 && ManagementFactory.getThreadMXBean().isCurrentThreadCpuTimeSupported();
            Side plain = new Side(engine, false, clock);
            Side dp = new Side(engine, true, clock);
            List<Parameter> params = dp.mlp.model().parameters();
            float[][] noise = new float[params.size()][];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = new float[params.get(i).size()];
            }
            double[][] scratch = new double[PARTS][1];
            double sink = 0;
            long until = System.nanoTime() + StepHarness.MIN_WARMUP_NANOS;
            for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
                sink += plain.step(scratch, 0) + dp.step(scratch, 0) + noiseAlone(engine, noise, i);
            }
            // per round, the median of each part: [round][side][part]; the noise alone in [round][2][0]
            double[][][] med = new double[rounds][3][PARTS];
            System.out.printf(Locale.ROOT, "DP-SGD against a plain step: MLP 784-512-256-10, batch 128, %d thread(s), kernels %s,"
                    + " %d rounds of %d steps each (after %d+ warm-up steps)%n", threads, engine.kernels().name(), rounds, steps, warmup);
            String unit = cpu ? "cpu" : "wall";
            System.out.printf(Locale.ROOT, "medians of %d steps; 'cpu' is the thread's CPU time, 'wall' the elapsed time%n", steps);
            System.out.printf(Locale.ROOT, "%-6s %11s %11s %7s %11s %11s %7s %11s %11s %11s%n", "round", "plain wall", "dp wall", "ratio",
                    "plain " + unit, "dp " + unit, "ratio", "norms", "sums", "noise");
            for (int r = 0; r < rounds; r++) {
                double[][] tp = new double[PARTS][steps];
                double[][] td = new double[PARTS][steps];
                double[] tn = new double[steps];
                for (int i = 0; i < steps; i++) {
                    sink += plain.step(tp, i);
                }
                for (int i = 0; i < steps; i++) {
                    sink += dp.step(td, i);
                }
                for (int i = 0; i < steps; i++) {
                    long t0 = clock.now();
                    sink += noiseAlone(engine, noise, i);
                    tn[i] = (clock.now() - t0) / 1e6;
                }
                for (int p = 0; p < PARTS; p++) {
                    med[r][0][p] = median(tp[p]);
                    med[r][1][p] = median(td[p]);
                }
                med[r][2][0] = median(tn);
                System.out.printf(Locale.ROOT, "%-6d %11.3f %11.3f %7.3f %11.3f %11.3f %7.3f %11.3f %11.3f %11.3f%n", r + 1,
                        med[r][0][WALL], med[r][1][WALL], med[r][1][WALL] / med[r][0][WALL], med[r][0][TOTAL], med[r][1][TOTAL],
                        med[r][1][TOTAL] / med[r][0][TOTAL], med[r][1][NORMS], med[r][1][SUMS], med[r][2][0]);
            }
            double[] ratioWall = new double[rounds];
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratioWall[r] = med[r][1][WALL] / med[r][0][WALL];
                ratio[r] = med[r][1][TOTAL] / med[r][0][TOTAL];
            }
            System.out.printf(Locale.ROOT, "%nratio dp / plain over %d rounds, wall time: median %.3f, range %.3f-%.3f%n", rounds,
                    median(ratioWall), min(ratioWall), max(ratioWall));
            if (cpu) {
                System.out.printf(Locale.ROOT, "ratio dp / plain over %d rounds, cpu time:  median %.3f, range %.3f-%.3f%n", rounds,
                        median(ratio), min(ratio), max(ratio));
            }
            System.out.printf(Locale.ROOT, "%n%-44s %22s %22s%n", "part (ms " + unit + "; median over rounds [range])", "plain", "DP-SGD");
            row("forward", med, 0, FORWARD, 1, FORWARD);
            row("backward", med, 0, BACKWARD, 1, BACKWARD);
            row("  of which per-example norms", med, -1, 0, 1, NORMS);
            row("  of which clipped sums", med, -1, 0, 1, SUMS);
            row("transform chain and update", med, 0, CHAIN, 1, CHAIN);
            row("  noise alone (" + Gaussian.class.getSimpleName() + ", " + dp.mlp.model().parameterCount() + " normals)",
                    med, -1, 0, 2, 0);
            row("whole step", med, 0, TOTAL, 1, TOTAL);
            row("whole step, wall time", med, 0, WALL, 1, WALL);
            if (Double.isNaN(sink) && rounds < 0) {
                throw new AssertionError(); // keeps the losses observable
            }
        } finally {
            engine.parallel().close();
        }
    }

    /** The noise of every parameter tensor, drawn as {@link PrivateAggregate} draws it; returns one element. */
    private static double noiseAlone(Engine engine, float[][] noise, long step) {
        long state = step;
        for (float[] t : noise) {
            long s = state;
            engine.parallel().forRange(t.length, 1 << 15, (lo, hi) -> engine.kernels().gaussianNoise(s, StepWorkloads.DP_NOISE,
                    1.0 / 128, t, t, lo, hi));
            state = Gaussian.skip(state, t.length);
        }
        return noise[0][0];
    }

    private static void row(String label, double[][][] med, int sideA, int partA, int sideB, int partB) {
        System.out.printf(Locale.ROOT, "%-44s %22s %22s%n", label, sideA < 0 ? "" : cell(med, sideA, partA), cell(med, sideB, partB));
    }

    private static String cell(double[][][] med, int side, int part) {
        double[] v = new double[med.length];
        for (int r = 0; r < med.length; r++) {
            v[r] = med[r][side][part];
        }
        return String.format(Locale.ROOT, "%.3f [%.3f-%.3f]", median(v), min(v), max(v));
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
