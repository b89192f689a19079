package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Dataset;
import io.gradscale.diag.GradientAutocorrelation;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.FanMode;
import io.gradscale.nn.Init;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.Residual;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Json;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Shattered gradients: the gradient autocorrelation of plain and residual networks against depth
 * (Balduzzi, Frean, Leary, Lewis, Ma and McWilliams, "The shattered gradients problem: if resnets are the
 * answer, then what is the question?", ICML 2017).
 *
 * <p>The networks are the paper's: one input, {@value #WIDTH} ReLU units per layer, each hidden layer
 * {@code Linear -> BatchNorm1d -> ReLU} with He-initialized weights and biases from
 * {@code N(0, }{@value #BIAS_STD}{@code ^2)} (without biases a one-input ReLU network would be linear on
 * each side of 0), plain or wrapped as residual blocks {@code h + f(h)}. Along a line of 256 inputs in
 * {@code [-2, 2]} the derivative of the output with respect to the input is computed in one batched pass
 * (batch normalization over the line, as in the paper) and its lag-1 autocorrelation taken
 * ({@link GradientAutocorrelation}): near 1 for a smooth gradient, near 0 for white noise. In plain
 * networks it falls toward 0 with depth; residual networks keep it high.
 *
 * <p>Each network is then trained briefly (Adam) to fit {@code y = sin(3x)} on the same interval, to see
 * whether shattering hurts learning, and the doctor examines the run with the autocorrelation measured on
 * the trained network. Reports per depth: the autocorrelation at initialization (mean over
 * {@value #PROBE_NETS} networks) of the plain and the residual network, each one's training loss after
 * training, and the doctor's shattered-gradient verdicts.
 */
public final class ShatteredGradients implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "shattered";
    /** Units per layer. */
    static final int WIDTH = 64;
    /** Standard deviation of the hidden biases. */
    static final double BIAS_STD = 0.5;
    /** Depths (hidden layers) in the normal budget. */
    static final int[] DEPTHS = {1, 2, 4, 8, 16, 32};
    /** Depths in the quick budget. */
    static final int[] QUICK_DEPTHS = {1, 4, 16};
    /** Networks per depth and design whose autocorrelation at initialization is averaged. */
    static final int PROBE_NETS = 4;
    /** Points along the line (the paper's 256). */
    static final int POINTS = GradientAutocorrelation.DEFAULT_POINTS;
    /** Training points of the regression. */
    static final int TRAIN = 512;
    /** Frequency of the target {@code sin(FREQUENCY x)}. */
    static final double FREQUENCY = 3.0;
    /** Mini-batch size. */
    static final int BATCH = 64;
    /** Adam learning rate. */
    static final double LR = 3e-3;
    /** Epochs of the short training (8 steps each). */
    static final int EPOCHS = 12;
    /** Epochs in the quick budget. */
    static final int QUICK_EPOCHS = 6;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "Shattered gradients: gradient autocorrelation against depth, plain and residual networks";
    }

    @Override
    public String description() {
        return "Batch-normalized ReLU networks of growing depth, plain and residual (Balduzzi et al. 2017): the lag-1"
                + " autocorrelation of d output / d input along 256 inputs in [-2, 2] at initialization, the loss after a short"
                + " training on y = sin(3x), and the doctor's verdict. Plain networks' gradients decorrelate toward white noise"
                + " with depth; residual ones stay smooth.";
    }

    /** A network of {@code depth} hidden layers, plain or residual, with weights drawn from {@code seed}. */
    static Module network(int depth, boolean residual, long seed) {
        Rng rng = new Rng(seed);
        Linear in = new Linear(1, WIDTH, rng);
        Init.normal(in.weight().value(), 0, 1, rng);
        Init.normal(in.bias().value(), 0, BIAS_STD, rng);
        Sequential net = new Sequential(in, Activation.relu());
        for (int i = 0; i < depth; i++) {
            Linear fc = new Linear(WIDTH, WIDTH, rng);
            Init.kaimingNormal(fc.weight().value(), 0.0, FanMode.FAN_IN, Nonlinearity.RELU, rng);
            Init.normal(fc.bias().value(), 0, BIAS_STD, rng);
            Sequential block = new Sequential(fc, new BatchNorm1d(WIDTH), Activation.relu());
            net.add(residual ? new Residual(block) : block);
        }
        Linear out = new Linear(WIDTH, 1, rng);
        Init.normal(out.weight().value(), 0, Math.sqrt(1.0 / WIDTH), rng);
        Init.zeros(out.bias().value());
        net.add(out);
        return net;
    }

    /** {@code n} points {@code x ~ U(-2, 2)} with targets {@code sin(FREQUENCY x)}. */
    static Dataset regression(int n, Rng rng) {
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (GradientAutocorrelation.SPAN * (2 * rng.nextDouble() - 1));
            y[i] = (float) Math.sin(FREQUENCY * x[i]);
        }
        return Dataset.regression(Tensor.wrap(x, n, 1), Tensor.wrap(y, n, 1));
    }

    /** Mean autocorrelation at initialization over {@value #PROBE_NETS} networks, seeds {@code seed, seed + 1, ...}. */
    static double autocorrelationAtInit(int depth, boolean residual, long seed, ExperimentContext ctx) {
        double sum = 0;
        for (int k = 0; k < PROBE_NETS; k++) {
            sum += GradientAutocorrelation.measure(network(depth, residual, seed + k), 1, POINTS, new Rng(seed + k), ctx.engine());
        }
        return sum / PROBE_NETS;
    }

    /** The results of one design at one depth. */
    private record Trained(RunOutcome outcome, String flags) {
    }

    private Trained train(ExperimentContext ctx, int depth, boolean residual, int epochs, Dataset data) {
        long start = System.nanoTime();
        String label = (residual ? "residual" : "plain") + "-depth" + depth;
        double atInit = autocorrelationAtInit(depth, residual, ctx.seed(), ctx);
        Module model = network(depth, residual, ctx.seed());
        ObjectNode config = Json.mapper().createObjectNode();
        config.put("experiment", NAME);
        config.put("variant", label);
        config.put("task", "sin(" + FREQUENCY + " x) on [-2, 2]");
        config.put("train_size", TRAIN);
        config.put("model", residual ? "residual_mlp" : "mlp");
        config.put("hidden_layers", depth);
        config.put("width", WIDTH);
        config.put("block", residual ? "h + relu(batchnorm(linear(h)))" : "relu(batchnorm(linear(h)))");
        config.put("init", "he normal weights, biases N(0, " + BIAS_STD + "^2)");
        config.put("optimizer", "adam");
        config.put("lr", LR);
        config.put("batch_size", BATCH);
        config.put("epochs", epochs);
        config.put("probe_points", POINTS);
        config.put("probe_networks", PROBE_NETS);
        RunDir dir = RunDir.open(ctx, NAME, label, config, ctx.seed());
        Trainer trainer = new Trainer(model, Objective.forTask(data.task()),
                mult -> new GradientStep(ParameterSet.of(model), Optimizers.adam(LR * mult), ctx.engine()), ctx.engine(),
                Trainer.Settings.of(GradientDescent.miniBatch(BATCH), epochs, ctx.seed())).addListener(dir.log());
        Trainer.Result result = trainer.fit(data, null);
        double afterTraining = GradientAutocorrelation.measure(model, 1, POINTS, new Rng(ctx.seed()), ctx.engine());
        ModelFacts facts = new ModelFacts(depth + 2, Collections.nCopies(depth, "relu"), true, residual, "", "he", "", LR);
        RunDir.Finished done = dir.finish(facts, afterTraining, data);
        ctx.log().printf("%s: %s: autocorrelation %s at init, %s after training; loss %s, %.1f s%n", NAME, label,
                Cells.fixed(atInit, 3), Cells.fixed(afterTraining, 3), Cells.sci(result.finalTrainLoss()),
                (System.nanoTime() - start) / 1e9);
        return new Trained(new RunOutcome(label, dir.path(), new Numbers().put("depth", depth).put("residual", residual)
                .put("autocorrelation_init", atInit).put("autocorrelation_trained", afterTraining)
                .put("final_loss", result.finalTrainLoss()).put("diverged", result.diverged())
                .put("shattered_flagged", done.flagged("shattered")).map()), done.flags());
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int[] depths = ctx.quick() ? QUICK_DEPTHS : DEPTHS;
        int epochs = ctx.quick() ? QUICK_EPOCHS : EPOCHS;
        Dataset data = regression(TRAIN, new Rng(ctx.seed() ^ 0x2545F491L));
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        for (int depth : depths) {
            Trained plain = train(ctx, depth, false, epochs, data);
            Trained res = train(ctx, depth, true, epochs, data);
            runs.add(plain.outcome());
            runs.add(res.outcome());
            rows.add(List.of(Integer.toString(depth), Cells.fixed(plain.outcome().number("autocorrelation_init"), 3),
                    Cells.fixed(res.outcome().number("autocorrelation_init"), 3), Cells.sci(plain.outcome().number("final_loss")),
                    Cells.sci(res.outcome().number("final_loss")), plain.flags(), res.flags()));
        }
        RunOutcome deepPlain = runs.get(runs.size() - 2);
        RunOutcome deepRes = runs.get(runs.size() - 1);
        String conclusion = "At depth " + depths[depths.length - 1] + " the input gradient's autocorrelation is "
                + Cells.fixed(deepPlain.number("autocorrelation_init"), 3) + " in the plain network against "
                + Cells.fixed(deepRes.number("autocorrelation_init"), 3) + " in the residual one (depth " + depths[0] + ": "
                + Cells.fixed(runs.get(0).number("autocorrelation_init"), 3) + "); after " + epochs
                + " epochs fitting sin(" + FREQUENCY + " x) their losses are " + Cells.sci(deepPlain.number("final_loss")) + " and "
                + Cells.sci(deepRes.number("final_loss")) + ".";
        return new ExperimentResult(NAME, title(), List.of("depth", "autocorr plain", "autocorr residual", "loss plain",
                "loss residual", "doctor plain", "doctor residual"), rows, conclusion, runs);
    }
}
