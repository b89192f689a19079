package io.gradscale.bench;

import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.AddingProblem;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.RNN;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The live doctor's cost per training step, side by side: the same training run with and without a
 * {@link LiveDoctor} (window {@value LiveDoctor#DEFAULT_WINDOW}, judging every {@value LiveDoctor#DEFAULT_EVERY}
 * steps, the defaults), in alternating rounds so that the machine's load falls on both alike. Not JMH: whole runs of
 * hundreds of steps are the unit the doctor's cost amortizes over.
 *
 * <pre>
 *   LiveDoctorBench [ROUNDS [STEPS]]   per workload: ROUNDS rounds of (without, with), STEPS steps each after a warm-up
 * </pre>
 *
 * Prints, per workload, the median step time of each side, their ratio (median over the rounds of with/without),
 * and the time spent inside the doctor's {@code onStep} per step (measured directly, a lower-noise figure).
 * Workloads: {@code deep-sigmoid} (MLP 2-32x10-2, batch 32: the deep-sigmoid example, a step of well under a
 * millisecond, the worst case for a fixed per-evaluation cost), {@code rnn} (Elman 2-32-1 on the adding
 * problem of length 10, batch 64: the exploding-rnn example) and {@code mlp-784} (784-512-256-10, batch 128:
 * {@link MonitorBench}'s network).
 */
public final class LiveDoctorBench {
    /** Rounds of (without, with) by default. */
    static final int DEFAULT_ROUNDS = 5;
    /** Timed steps per side and round by default. */
    static final int DEFAULT_STEPS = 400;

    private LiveDoctorBench() {
    }

    /** A fresh trainer and its data; the same seed every time, so both sides run the same steps. */
    record Setup(Trainer trainer, Dataset data) {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("eval")) {
            evaluationsOnly(args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_ROUNDS);
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ROUNDS;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : DEFAULT_STEPS;
        Engine e = Engine.serial();
        List<String> names = List.of("deep-sigmoid", "rnn", "mlp-784");
        List<Supplier<Setup>> setups = List.of(() -> deepSigmoid(e), () -> rnn(e), () -> mlp784(e));
        System.out.println("| workload | ms/step without | ms/step with | with / without (median of " + rounds
                + " rounds) | doctor's onStep, us/step | one evaluation, us of CPU |");
        System.out.println("|---|---|---|---|---|---|");
        for (int w = 0; w < names.size(); w++) {
            double[] without = new double[rounds];
            double[] with = new double[rounds];
            double[] ratio = new double[rounds];
            double[] inside = new double[rounds];
            time(setups.get(w).get(), steps, null); // warm-up: the JIT compiles the step
            double evalMicros = warmDoctor(setups.get(w).get(), steps);
            for (int r = 0; r < rounds; r++) {
                without[r] = time(setups.get(w).get(), steps, null);
                long[] doctorNanos = new long[1];
                with[r] = time(setups.get(w).get(), steps, doctorNanos);
                ratio[r] = with[r] / without[r];
                inside[r] = doctorNanos[0] / 1e3 / steps;
            }
            System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %.3f (%.3f-%.3f) | %.1f | %.0f |%n", names.get(w), median(without),
                    median(with), median(ratio), min(ratio), max(ratio), median(inside), evalMicros);
        }
        e.parallel().close();
    }

    /**
     * {@code LiveDoctorBench eval ROUNDS}: the cost of one evaluation alone (no training timed), per workload, the median
     * over ROUNDS rounds of {@link #warmDoctor}, and of the exploding detector alone over the same windows. Quick and
     * far less noisy than the per-step figures, for comparing two builds of the detectors side by side.
     */
    static void evaluationsOnly(int rounds) {
        Engine e = Engine.serial();
        List<String> names = List.of("deep-sigmoid", "rnn", "mlp-784");
        List<Supplier<Setup>> setups = List.of(() -> deepSigmoid(e), () -> rnn(e), () -> mlp784(e));
        System.out.println("| workload | one evaluation, us of CPU (median of " + rounds + ") | exploding detector alone, us |");
        System.out.println("|---|---|---|");
        for (int w = 0; w < names.size(); w++) {
            double[] all = new double[rounds];
            double[] exploding = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                all[r] = warmDoctor(setups.get(w).get(), DEFAULT_STEPS);
                exploding[r] = warmExploding(setups.get(w).get(), DEFAULT_STEPS);
            }
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f |%n", names.get(w), median(all), median(exploding));
        }
        e.parallel().close();
    }

    /** As {@link #warmDoctor}, the live doctor running only the exploding detector. */
    static double warmExploding(Setup s, int steps) {
        return warm(s, steps, () -> new GradientDoctor(List.of(new io.gradscale.diag.ExplodingDetector())));
    }

    /** The evaluations are timed in this thread's CPU time: on a loaded machine wall time counts the waits for a core. */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Evaluations the doctor makes before timing, so that the JIT has compiled the detectors as a long run would. */
    static final int WARM_EVALUATIONS = 3000;

    /**
     * Records {@code steps} steps of {@code s}, then feeds them to fresh live doctors until {@link #WARM_EVALUATIONS}
     * evaluations have run; returns the mean microseconds of one evaluation over the last half (thread CPU time).
     */
    static double warmDoctor(Setup s, int steps) {
        return warm(s, steps, GradientDoctor::standard);
    }

    private static double warm(Setup s, int steps, Supplier<GradientDoctor> doctor) {
        List<StepRecord> records = new ArrayList<>();
        s.trainer().addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                records.add(r);
            }
        });
        s.trainer().run(s.data(), null, steps);
        long evaluations = 0;
        long nanos = 0;
        long timed = 0;
        while (evaluations < WARM_EVALUATIONS) {
            LiveDoctor live = new LiveDoctor(doctor.get(), ModelFacts.unknown(), LiveDoctor.DEFAULT_WINDOW, LiveDoctor.DEFAULT_EVERY, List.of(), null,
                    LiveDoctor.OnCritical.WARN, null);
            long t0 = CPU.getCurrentThreadCpuTime();
            for (StepRecord r : records) {
                live.onStep(r);
            }
            long dt = CPU.getCurrentThreadCpuTime() - t0;
            evaluations += live.evaluations();
            if (evaluations > WARM_EVALUATIONS / 2) {
                nanos += dt;
                timed += live.evaluations();
            }
        }
        return nanos / 1e3 / timed;
    }

    /** Milliseconds per step over {@code steps} steps; with a doctor when {@code doctorNanos} is given (it adds its time). */
    static double time(Setup s, int steps, long[] doctorNanos) {
        if (doctorNanos != null) {
            LiveDoctor live = new LiveDoctor(GradientDoctor.standard(), ModelFacts.unknown(), LiveDoctor.DEFAULT_WINDOW, LiveDoctor.DEFAULT_EVERY, List.of(), null,
                    LiveDoctor.OnCritical.WARN, null);
            s.trainer().addListener(new TrainingListener() {
                @Override
                public void onStep(StepRecord r) {
                    long t0 = System.nanoTime();
                    live.onStep(r);
                    doctorNanos[0] += System.nanoTime() - t0;
                }
            });
        }
        long t0 = System.nanoTime();
        s.trainer().run(s.data(), null, steps);
        return (System.nanoTime() - t0) / 1e6 / steps;
    }

    static Setup deepSigmoid(Engine e) {
        Rng rng = new Rng(7);
        Dataset data = TwoSpirals.generate(1000, 1.5, 0.05, rng.split());
        List<Module> layers = new ArrayList<>();
        int width = 2;
        for (int i = 0; i < 10; i++) {
            layers.add(new Linear(width, 32, rng));
            layers.add(Activation.sigmoid());
            width = 32;
        }
        layers.add(new Linear(width, 2, rng));
        return setup(new Sequential(layers.toArray(new Module[0])), data, 32, 0.1, e);
    }

    static Setup rnn(Engine e) {
        Rng rng = new Rng(1);
        Dataset data = AddingProblem.generate(2048, 10, rng.split());
        return setup(new Sequential(new RnnLast(new RNN(2, 32, 1, Nonlinearity.RELU, true, rng)), new Linear(32, 1, rng)), data, 64, 0.01, e);
    }

    static Setup mlp784(Engine e) {
        Rng rng = new Rng(1);
        Dataset data = MonitorBench.randomDigits(rng);
        return setup(new Sequential(new Linear(784, 512, rng), Activation.relu(), new Linear(512, 256, rng), Activation.relu(),
                new Linear(256, 10, rng)), data, 128, 0.01, e);
    }

    private static Setup setup(Module model, Dataset data, int batch, double lr, Engine e) {
        Trainer t = new Trainer(model, Objective.forTask(data.task()),
                m -> new GradientStep(ParameterSet.of(model), Transforms.chain(Transforms.clipByGlobalNorm(1.0),
                        Optimizers.sgd(Schedule.constant(lr * m), 0.9, 0, false, 0)), e),
                e, Trainer.Settings.of(GradientDescent.miniBatch(batch), 1_000_000, 1));
        return new Setup(t, data);
    }

    /** An Elman RNN's last hidden state, {@code [batch, hidden]}, for a linear read-out. */
    static final class RnnLast extends Module {
        private final RNN rnn;

        RnnLast(RNN rnn) {
            this.rnn = registerModule("rnn", rnn);
        }

        @Override
        public io.gradscale.autograd.Var forward(io.gradscale.autograd.Var x) {
            var h = rnn.forward(x);
            int t = h.dim(1);
            return h.slice(1, t - 1, t).reshape(h.dim(0), h.dim(2));
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }
}
