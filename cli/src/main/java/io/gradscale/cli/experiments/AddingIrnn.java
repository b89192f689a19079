package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.AddingProblem;
import io.gradscale.nn.Init;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.RNN;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.optim.Optimizers;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Json;
import io.gradscale.train.Objective;
import io.gradscale.train.OptimizerFactory;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.List;
import java.util.function.Supplier;

/**
 * The unstable recurrent set-up shared by {@link ExplodingRnn} and {@link ClippersCompared}: the IRNN of
 * Le, Jaitly and Hinton ("A simple way to initialize recurrent networks of rectified linear units",
 * 2015) on the adding problem, trained by SGD with momentum.
 *
 * <p>The IRNN is an Elman RNN with ReLU units, recurrent weights initialized to the identity, biases to
 * zero and input weights from {@code N(0, INPUT_STD^2)}. The identity passes the error back through every
 * step undamped and ReLU does not saturate, so the gradient of {@code W_hh} sums over the whole sequence
 * and grows geometrically once an eigenvalue of {@code W_hh} exceeds 1; a single step of SGD can then
 * throw the weights far away. Le et al. train it with gradient clipping.
 *
 * <p>Success, as is common for the adding problem: a test mean squared error below
 * {@value #SUCCESS_FRACTION} times {@link AddingProblem#BASELINE_MSE}, the error of always predicting 1.
 */
final class AddingIrnn {
    /** Sequence length of the adding problem (long enough for the recurrence to explode, short enough for the time budget). */
    static final int SEQUENCE = 10;
    /** Hidden units. */
    static final int HIDDEN = 32;
    /** Training sequences (a fresh set per seed). */
    static final int TRAIN = 2048;
    /** Test sequences (a fresh set per seed, never trained on). */
    static final int TEST = 512;
    /** Mini-batch size. */
    static final int BATCH = 64;
    /** Standard deviation of the input weights (Le et al.). */
    static final double INPUT_STD = 1e-3;
    /** SGD momentum. */
    static final double MOMENTUM = 0.9;
    /** A run succeeds when its test MSE is below this fraction of the baseline. */
    static final double SUCCESS_FRACTION = 0.1;

    /** Sampled steps at the end of a run over which the recurrent layer's gradient norm is taken (0 = its units are dead). */
    static final int TAIL_SAMPLES = 10;

    private AddingIrnn() {
    }

    /** The training and test sets of one seed. */
    record Data(Dataset train, Dataset test) {
    }

    static Data data(long seed) {
        Rng rng = new Rng(seed ^ 0x5DEECE66DL);
        return new Data(AddingProblem.generate(TRAIN, SEQUENCE, rng.split()), AddingProblem.generate(TEST, SEQUENCE, rng.split()));
    }

    /** A fresh IRNN with a linear read-out of its last state; all weights drawn from {@code seed}. */
    static RecurrentHead model(long seed) {
        Rng rng = new Rng(seed);
        RNN rnn = new RNN(2, HIDDEN, 1, Nonlinearity.RELU, true, rng);
        Tensor whh = rnn.namedParameters().get("weight_hh_l0").value();
        Init.zeros(whh);
        for (int i = 0; i < HIDDEN; i++) {
            whh.data()[i * HIDDEN + i] = 1f;
        }
        Init.zeros(rnn.namedParameters().get("bias_hh_l0").value());
        Init.zeros(rnn.namedParameters().get("bias_ih_l0").value());
        Init.normal(rnn.namedParameters().get("weight_ih_l0").value(), 0, INPUT_STD, rng);
        return new RecurrentHead(rnn, new Linear(HIDDEN, 1, rng));
    }

    /** Steps per epoch of mini-batch training. */
    static int stepsPerEpoch() {
        return (TRAIN + BATCH - 1) / BATCH;
    }

    static boolean success(double testMse) {
        return testMse < SUCCESS_FRACTION * AddingProblem.BASELINE_MSE;
    }

    /** The part of a run's configuration this set-up fixes. */
    static ObjectNode config(double lr, int epochs) {
        ObjectNode c = Json.mapper().createObjectNode();
        c.put("task", "adding_problem");
        c.put("sequence_length", SEQUENCE);
        c.put("train_size", TRAIN);
        c.put("test_size", TEST);
        c.put("model", "irnn");
        c.put("hidden", HIDDEN);
        c.put("init", "identity W_hh, zero biases, W_ih ~ N(0, " + INPUT_STD + "^2)");
        c.put("optimizer", "sgd");
        c.put("lr", lr);
        c.put("momentum", MOMENTUM);
        c.put("batch_size", BATCH);
        c.put("epochs", epochs);
        c.put("success", "test MSE < " + SUCCESS_FRACTION + " x " + AddingProblem.BASELINE_MSE);
        return c;
    }

    /** A trained run and what the doctor flagged in it. */
    record Trained(RunOutcome outcome, String flags) {
    }

    /**
     * Trains one IRNN on the adding problem of {@code seed} by SGD with momentum at {@code lr}, its gradients
     * first passed through {@code clipper} (a fresh transform per call, or null for none), into
     * {@code outDir/experiment/label}. Key numbers: {@code test_mse}, {@code success}, {@code diverged},
     * {@code max_grad_norm}, {@code clipped_steps}, {@code skipped_steps}, {@code steps}, {@code rnn_grad_norm_end}.
     */
    static Trained train(ExperimentContext ctx, String experiment, String label, String clipping,
                         Supplier<GradientTransform<?>> clipper, double lr, int epochs, long seed) {
        long start = System.nanoTime();
        Data data = data(seed);
        RecurrentHead model = model(seed);
        OptimizerFactory factory = mult -> {
            GradientTransform<?> clip = clipper.get();
            GradientTransform<?> sgd = Optimizers.sgd(Schedule.constant(lr * mult), MOMENTUM, 0, false, 0);
            return new GradientStep(ParameterSet.of(model), clip == null ? sgd : Transforms.chain(clip, sgd), ctx.engine());
        };
        ObjectNode config = config(lr, epochs);
        config.put("experiment", experiment);
        config.put("variant", label);
        config.put("clipping", clipping.isEmpty() ? "none" : clipping);
        config.put("seed", seed);
        RunDir dir = RunDir.open(ctx, experiment, label, config, seed);
        Trainer trainer = new Trainer(model, Objective.forTask(data.train().task()), factory, ctx.engine(),
                Trainer.Settings.of(GradientDescent.miniBatch(BATCH), epochs, seed)).addListener(dir.log());
        Trainer.Result result = trainer.fit(data.train(), data.test());
        double mse = trainer.evaluate(data.test()).loss();
        ModelFacts facts = new ModelFacts(2, List.of("relu"), false, false, "rnn", "identity", clipping, lr);
        double temporal = io.gradscale.diag.TemporalGradient.firstOverLast(io.gradscale.diag.TemporalGradient.norms(model,
                data.train().batch(0, io.gradscale.diag.TemporalGradient.DEFAULT_SEQUENCES).inputs(), ctx.engine()));
        RunDir.Finished done = dir.finish(facts, Double.NaN, data.train(), temporal);
        List<StepRecord> steps = done.contents().steps();
        double rnnEnd = Numbers.tailMedian(steps, "rnn", TAIL_SAMPLES);
        boolean success = !result.diverged() && success(mse);
        ctx.log().printf("%s: %s: test MSE %s%s, %d steps, %.1f s%n", experiment, label, Cells.sci(mse),
                success ? " (success)" : result.diverged() ? " (" + result.stopReason() + ")" : "", result.steps(),
                (System.nanoTime() - start) / 1e9);
        return new Trained(new RunOutcome(label, dir.path(), new Numbers().put("test_mse", mse).put("success", success)
                .put("diverged", result.diverged()).put("max_grad_norm", Numbers.maxGradNorm(steps))
                .put("clipped_steps", steps.stream().filter(StepRecord::clipped).count())
                .put("skipped_steps", steps.stream().filter(StepRecord::skipped).count())
                .put("steps", result.steps()).put("rnn_grad_norm_end", rnnEnd).map()), done.flags());
    }

    /** What the runs of one variant over several seeds add up to. */
    record Summary(int runs, int successes, double[] testMse, int diverged, int dead, double maxGradNorm, double clippedShare,
                   long skipped, String flags) {
        /** {@code successes/runs}. */
        String successRate() {
            return successes + "/" + runs;
        }
    }

    /** Sums up the runs of one variant; the doctor's findings are listed once each, in order of appearance. */
    static Summary summarize(List<Trained> trained) {
        double[] mse = new double[trained.size()];
        int successes = 0;
        int diverged = 0;
        int dead = 0;
        double maxNorm = 0;
        double clipped = 0;
        double steps = 0;
        long skipped = 0;
        List<String> flags = new java.util.ArrayList<>();
        for (int i = 0; i < mse.length; i++) {
            RunOutcome o = trained.get(i).outcome();
            mse[i] = o.number("test_mse");
            successes += o.number("success") > 0 ? 1 : 0;
            diverged += o.number("diverged") > 0 ? 1 : 0;
            dead += o.number("rnn_grad_norm_end") == 0 ? 1 : 0;
            maxNorm = Math.max(maxNorm, o.number("max_grad_norm"));
            clipped += o.number("clipped_steps");
            steps += o.number("steps");
            skipped += (long) o.number("skipped_steps");
            if (!flags.contains(trained.get(i).flags())) {
                flags.add(trained.get(i).flags());
            }
        }
        return new Summary(mse.length, successes, mse, diverged, dead, maxNorm, clipped / steps, skipped, String.join("; ", flags));
    }
}
