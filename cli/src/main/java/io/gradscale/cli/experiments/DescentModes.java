package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Rng;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Objective;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Batch, stochastic and mini-batch gradient descent on the same model, data and learning rate: loss
 * against steps and against wall time.
 *
 * <p>Batch gradient descent follows the exact gradient of the training loss (Cauchy 1847), one step per
 * pass over the data; stochastic gradient descent (Robbins and Monro 1951) takes a step per example, each
 * cheap and noisy; mini-batch descent averages {@value #MINI_BATCH} examples per step, the compromise
 * that vectorized hardware favours (Bottou, Curtis and Nocedal, "Optimization methods for large-scale
 * machine learning", SIAM Review 2018). Per step, batch descent makes the most progress; per second,
 * the smaller steps usually win.
 *
 * <p>A small MLP learns two spirals by plain SGD with the same learning rate in each mode, for at least
 * {@value #STEPS} steps and at least {@value #MILLIS} ms of training. Every few steps the training is paused
 * and the loss over the whole training set measured (in evaluation mode, without a graph); the time spent
 * measuring is left out of the clock, and the metrics log's {@code elapsedMillis} is that training-only
 * clock, started after a short unlogged warm-up of the same mode on a throwaway model. Reports per mode:
 * the full training loss after {@value #STEPS} steps, and after {@value #MILLIS} ms (the last measurement
 * at or before it), the steps taken in that time and the time per step. The
 * time columns are measurements of this machine and vary from run to run; the step columns are
 * deterministic.
 */
public final class DescentModes implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "descent-modes";
    /** Training points. */
    static final int TRAIN = 1024;
    /** Turns of each spiral. */
    static final double TURNS = 1.0;
    /** Gaussian noise on each coordinate. */
    static final double NOISE = 0.05;
    /** Hidden units per layer. */
    static final int WIDTH = 32;
    /** Examples per step of mini-batch descent. */
    static final int MINI_BATCH = 32;
    /** Learning rate of plain SGD, the same in every mode. */
    static final double LR = 0.1;
    /** Steps after which the losses are compared, in the normal budget. */
    static final int STEPS = 300;
    /** Training milliseconds after which the losses are compared, in the normal budget. */
    static final int MILLIS = 1500;
    /** Steps in the quick budget. */
    static final int QUICK_STEPS = 60;
    /** Milliseconds in the quick budget. */
    static final int QUICK_MILLIS = 300;
    /** At most this many warm-up steps before a mode's clock starts. */
    static final int WARMUP_STEPS = 200;
    /** At most this many examples in the warm-up steps. */
    static final int WARMUP_EXAMPLES = 20_000;
    /** Loss measurements per budget (of steps, then of time). */
    static final int MEASUREMENTS = 10;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "Batch vs stochastic vs mini-batch gradient descent: loss against steps and against time";
    }

    @Override
    public String description() {
        return "The same MLP, data (two spirals) and plain SGD learning rate (" + LR + ") trained by batch (all " + TRAIN
                + " points per step), stochastic (1) and mini-batch (" + MINI_BATCH + ") gradient descent (Robbins and Monro 1951;"
                + " Bottou et al. 2018). Reports the full training loss after a number of steps and after a fixed training time,"
                + " the steps taken in that time and the time per step (measurements of this machine).";
    }

    /** The model every mode trains, with weights drawn from {@code seed}. */
    static Module network(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(2, WIDTH, rng), Activation.relu(), new Linear(WIDTH, WIDTH, rng), Activation.relu(),
                new Linear(WIDTH, 2, rng));
    }

    /** Forwards records to the metrics log with {@code elapsedMillis} replaced by the training-only clock. */
    private static final class TrainingClockLog implements TrainingListener {
        private final MetricsLog log;
        private double offsetMillis;

        TrainingClockLog(MetricsLog log) {
            this.log = log;
        }

        @Override
        public void onStep(StepRecord r) {
            log.onStep(new StepRecord(r.step(), r.epoch(), r.loss(), r.learningRate(), offsetMillis + r.elapsedMillis(), r.gradNorm(),
                    r.skipped(), r.layers(), r.transforms(), r.activations()));
        }

        @Override
        public void onEval(EvalRecord r) {
            log.onEval(r);
        }

        @Override
        public void onEvent(EventRecord r) {
            log.onEvent(r);
        }
    }

    /** One loss measurement: after {@code step} steps and {@code millis} of training. */
    record Point(long step, double millis, double loss) {
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int steps = ctx.quick() ? QUICK_STEPS : STEPS;
        int millis = ctx.quick() ? QUICK_MILLIS : MILLIS;
        Dataset train = TwoSpirals.generate(TRAIN, TURNS, NOISE, new Rng(ctx.seed() ^ 0x3C6EF372L));
        List<GradientDescent> modes = List.of(GradientDescent.batch(), GradientDescent.stochastic(),
                GradientDescent.miniBatch(MINI_BATCH));
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        for (GradientDescent gd : modes) {
            String label = switch (gd.mode()) {
                case BATCH -> "batch";
                case STOCHASTIC -> "stochastic";
                case MINI_BATCH -> "mini-batch-" + gd.batchSize();
            };
            Module model = network(ctx.seed());
            ObjectNode config = Json.mapper().createObjectNode();
            config.put("experiment", NAME);
            config.put("variant", label);
            config.put("task", "two_spirals");
            config.put("turns", TURNS);
            config.put("noise", NOISE);
            config.put("train_size", TRAIN);
            config.put("model", "mlp 2-" + WIDTH + "-" + WIDTH + "-2, relu");
            config.put("optimizer", "sgd");
            config.put("lr", LR);
            config.put("descent", gd.toString());
            config.put("batch_size", gd.stepSize(TRAIN));
            config.put("compare_after_steps", steps);
            config.put("compare_after_millis", millis);
            config.put("elapsed_millis", "training time only; loss measurements excluded");
            RunDir dir = RunDir.open(ctx, NAME, label, config, ctx.seed());
            TrainingClockLog clock = new TrainingClockLog(dir.log());
            // Enough epochs for any run: the loop below stops it by step count.
            int epochs = Integer.MAX_VALUE / Math.max(1, gd.stepsPerEpoch(TRAIN));
            Trainer trainer = new Trainer(model, Objective.forTask(train.task()),
                    mult -> new GradientStep(ParameterSet.of(model), Optimizers.sgd(LR * mult), ctx.engine()), ctx.engine(),
                    Trainer.Settings.of(gd, epochs, ctx.seed())).addListener(clock);
            warmUp(ctx, gd, train);
            List<Point> curve = new ArrayList<>();
            curve.add(new Point(0, 0, trainer.evaluate(train).loss()));
            long chunk = Math.max(1, steps / MEASUREMENTS);
            double trained = 0;
            boolean diverged = false;
            boolean divergedWithinSteps = false;
            while (!diverged && (trainer.step() < steps || trained < millis)) {
                long t0 = System.nanoTime();
                long until = trainer.step() < steps ? Math.min(steps, trainer.step() + chunk) : trainer.step() + chunk;
                Trainer.Result r = trainer.run(train, null, until);
                trained += (System.nanoTime() - t0) / 1e6;
                clock.offsetMillis = trained;
                diverged = r.diverged();
                divergedWithinSteps |= diverged && trainer.step() <= steps;
                curve.add(new Point(trainer.step(), trained, trainer.evaluate(train).loss()));
                if (trainer.step() >= steps) {
                    // Past the step budget, measure about MEASUREMENTS times over the time budget.
                    chunk = Math.max(chunk, Math.round(trainer.step() / trained * millis / MEASUREMENTS));
                }
            }
            RunDir.Finished done = dir.finish(new ModelFacts(3, List.of("relu", "relu"), false, false, "", "default", "", LR),
                    Double.NaN, train);
            Point atSteps = curve.stream().filter(p -> p.step() == steps).findFirst().orElse(curve.get(curve.size() - 1));
            Point atTime = curve.get(0);
            for (Point p : curve) {
                if (p.millis() <= millis) {
                    atTime = p;
                }
            }
            Point last = curve.get(curve.size() - 1);
            double msPerStep = last.millis() / last.step();
            ctx.log().printf("%s: %s: loss %s after %d steps, %s after %d ms (%d steps), %.3f ms per step%n", NAME, label,
                    Cells.fixed(atSteps.loss(), 4), steps, Cells.fixed(atTime.loss(), 4), millis, atTime.step(), msPerStep);
            rows.add(List.of(label, Integer.toString(gd.stepSize(TRAIN)), Cells.fixed(curve.get(0).loss(), 4),
                    Cells.fixed(atSteps.loss(), 4), Long.toString(atTime.step()), Cells.fixed(atTime.loss(), 4),
                    Cells.fixed(msPerStep, 3), done.flags()));
            runs.add(new RunOutcome(label, dir.path(), new Numbers().put("batch_size", gd.stepSize(TRAIN))
                    .put("loss_start", curve.get(0).loss()).put("loss_at_steps", atSteps.loss()).put("compare_steps", steps)
                    .put("loss_at_millis", atTime.loss()).put("compare_millis", millis).put("steps_at_millis", atTime.step())
                    .put("millis_per_step", msPerStep).put("examples_at_steps", (double) steps * gd.stepSize(TRAIN))
                    .put("diverged", diverged)
                    .put("diverged_within_steps", divergedWithinSteps).map()));
        }
        String bestSteps = best(runs, "loss_at_steps");
        String bestTime = best(runs, "loss_at_millis");
        String conclusion = "After " + steps + " steps the lowest training loss is " + bestSteps + "'s; after " + millis
                + " ms of training it is " + bestTime + "'s (time columns are measurements of this machine and vary between runs).";
        return new ExperimentResult(NAME, title(), List.of("mode", "batch", "loss at start", "loss @ " + steps + " steps",
                "steps in " + millis + " ms", "loss @ " + millis + " ms", "ms/step", "doctor"), rows, conclusion, runs);
    }

    /**
     * Trains a throwaway copy of the model for a few steps, unlogged, so that the just-in-time compiler has
     * compiled this mode's code paths before its clock starts: otherwise the first mode measured pays for it.
     */
    private static void warmUp(ExperimentContext ctx, GradientDescent gd, Dataset train) {
        Module scratch = network(ctx.seed() + 1);
        Trainer t = new Trainer(scratch, Objective.forTask(train.task()),
                mult -> new GradientStep(ParameterSet.of(scratch), Optimizers.sgd(LR * mult), ctx.engine()), ctx.engine(),
                Trainer.Settings.of(gd, Integer.MAX_VALUE / Math.max(1, gd.stepsPerEpoch(TRAIN)), ctx.seed()));
        t.run(train, null, Math.max(1, Math.min(WARMUP_STEPS, WARMUP_EXAMPLES / gd.stepSize(TRAIN))));
    }

    private static String best(List<RunOutcome> runs, String key) {
        RunOutcome b = runs.get(0);
        for (RunOutcome r : runs) {
            if (r.number(key) < b.number(key)) {
                b = r;
            }
        }
        return b.label();
    }
}
