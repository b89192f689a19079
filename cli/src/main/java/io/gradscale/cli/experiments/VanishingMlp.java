package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Dataset;
import io.gradscale.data.tasks.TwoSpirals;
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
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Json;
import io.gradscale.train.LayerStats;
import io.gradscale.train.Objective;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Vanishing gradients in a deep multilayer perceptron, and the three classic remedies.
 *
 * <p>A perceptron of {@value #DEPTH} hidden layers of {@value #WIDTH} units learns the two-spirals
 * problem (Lang and Witbrock 1988) by SGD with momentum, in four variants:
 * <ol>
 *   <li>sigmoid units with Glorot initialization: each layer multiplies the backpropagated gradient by
 *       {@code W^T diag(sigma')} with {@code sigma' <= 1/4}, so it shrinks geometrically toward the input
 *       (Hochreiter 1991; Bengio, Simard and Frasconi 1994; Glorot and Bengio, AISTATS 2010);</li>
 *   <li>ReLU units with He initialization, which keeps the gradient's scale from layer to layer
 *       (He, Zhang, Ren and Sun, ICCV 2015);</li>
 *   <li>the same with batch normalization before each ReLU (Ioffe and Szegedy, ICML 2015);</li>
 *   <li>the same with residual connections {@code h + f(h)} around each hidden block (He et al., CVPR 2016).</li>
 * </ol>
 *
 * <p>Reports per variant, at the first step and after training: the gradient norm of every Linear layer
 * from input to output, the ratio of the first layer's to the last layer's, and the training loss (of the
 * first batch, and the mean over the last epoch); after training the test accuracy; and the doctor's findings.
 */
public final class VanishingMlp implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "vanishing-mlp";
    /** Hidden layers. */
    static final int DEPTH = 10;
    /** Units per hidden layer. */
    static final int WIDTH = 32;
    /** Training points. */
    static final int TRAIN = 1024;
    /** Test points. */
    static final int TEST = 1024;
    /** Turns of each spiral. */
    static final double TURNS = 1.5;
    /** Gaussian noise on each coordinate. */
    static final double NOISE = 0.05;
    /** Mini-batch size. */
    static final int BATCH = 64;
    /** SGD learning rate, the same for every variant. */
    static final double LR = 0.05;
    /** SGD momentum. */
    static final double MOMENTUM = 0.9;
    /** Epochs in the normal budget (16 steps each). */
    static final int EPOCHS = 50;
    /** Epochs in the quick budget. */
    static final int QUICK_EPOCHS = 15;

    /** The four network designs. */
    enum Design {
        SIGMOID_GLOROT("sigmoid-glorot", "sigmoid", "glorot", false, false),
        RELU_HE("relu-he", "relu", "he", false, false),
        RELU_HE_BATCHNORM("relu-he-batchnorm", "relu", "he", true, false),
        RELU_HE_BATCHNORM_RESIDUAL("relu-he-batchnorm-residual", "relu", "he", true, true);

        final String label;
        final String activation;
        final String init;
        final boolean batchNorm;
        final boolean residual;

        Design(String label, String activation, String init, boolean batchNorm, boolean residual) {
            this.label = label;
            this.activation = activation;
            this.init = init;
            this.batchNorm = batchNorm;
            this.residual = residual;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "Vanishing gradients in a deep MLP: sigmoid + Glorot, ReLU + He, + batch norm, + residual connections";
    }

    @Override
    public String description() {
        return "A " + DEPTH + "-hidden-layer perceptron learns two spirals by SGD with momentum, lr " + LR + ": sigmoid units with"
                + " Glorot init (Glorot and Bengio 2010), ReLU with He init (He et al. 2015), then with batch normalization (Ioffe"
                + " and Szegedy 2015), then with residual connections (He et al. 2016). Reports every Linear layer's gradient norm"
                + " at the first step and after training, the first/last layer ratio, the loss, the test accuracy and the doctor's"
                + " findings.";
    }

    /** One hidden block of a design: Linear, then batch norm when used, then the activation. */
    static Sequential block(Design d, int in, Rng rng) {
        Linear fc = new Linear(in, WIDTH, rng);
        if (d.init.equals("glorot")) {
            Init.xavierNormal(fc.weight().value(), 1.0, rng);
        } else {
            Init.kaimingNormal(fc.weight().value(), 0.0, FanMode.FAN_IN, Nonlinearity.RELU, rng);
        }
        Init.zeros(fc.bias().value());
        Sequential s = new Sequential(fc);
        if (d.batchNorm) {
            s.add(new BatchNorm1d(WIDTH));
        }
        s.add(d.activation.equals("sigmoid") ? Activation.sigmoid() : Activation.relu());
        return s;
    }

    /** The network of a design, with weights drawn from {@code rng}. */
    static Module network(Design d, Rng rng) {
        Sequential net = new Sequential(block(d, 2, rng));
        for (int i = 1; i < DEPTH; i++) {
            Sequential b = block(d, WIDTH, rng);
            net.add(d.residual ? new Residual(b) : b);
        }
        Linear out = new Linear(WIDTH, 2, rng);
        Init.xavierNormal(out.weight().value(), 1.0, rng);
        Init.zeros(out.bias().value());
        net.add(out);
        return net;
    }

    /** Paths of the model's Linear layers, input to output (the per-layer statistics' keys). */
    static List<String> linearLayers(Module model) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Linear) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Gradient norms of {@code layers} at a sampled step. */
    static double[] norms(StepRecord r, List<String> layers) {
        double[] out = new double[layers.size()];
        for (int i = 0; i < out.length; i++) {
            LayerStats st = r.layers().get(layers.get(i));
            out[i] = st == null ? Double.NaN : st.gradNorm();
        }
        return out;
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int epochs = ctx.quick() ? QUICK_EPOCHS : EPOCHS;
        Rng dataRng = new Rng(ctx.seed() ^ 0x7F4A7C15L);
        Dataset train = TwoSpirals.generate(TRAIN, TURNS, NOISE, dataRng.split());
        Dataset test = TwoSpirals.generate(TEST, TURNS, NOISE, dataRng.split());
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        for (Design d : Design.values()) {
            long start = System.nanoTime();
            Module model = network(d, new Rng(ctx.seed()));
            List<String> linears = linearLayers(model);
            ObjectNode config = Json.mapper().createObjectNode();
            config.put("experiment", NAME);
            config.put("variant", d.label);
            config.put("task", "two_spirals");
            config.put("turns", TURNS);
            config.put("noise", NOISE);
            config.put("train_size", TRAIN);
            config.put("test_size", TEST);
            config.put("model", "mlp");
            config.put("hidden_layers", DEPTH);
            config.put("width", WIDTH);
            config.put("activation", d.activation);
            config.put("init", d.init);
            config.put("batch_norm", d.batchNorm);
            config.put("residual", d.residual);
            config.put("optimizer", "sgd");
            config.put("lr", LR);
            config.put("momentum", MOMENTUM);
            config.put("batch_size", BATCH);
            config.put("epochs", epochs);
            RunDir dir = RunDir.open(ctx, NAME, d.label, config, ctx.seed());
            Trainer trainer = new Trainer(model, Objective.forTask(train.task()),
                    mult -> new GradientStep(ParameterSet.of(model),
                            Optimizers.sgd(Schedule.constant(LR * mult), MOMENTUM, 0, false, 0), ctx.engine()),
                    ctx.engine(), Trainer.Settings.of(GradientDescent.miniBatch(BATCH), epochs, ctx.seed())).addListener(dir.log());
            Trainer.Result result = trainer.fit(train, test);
            Trainer.Evaluation endTest = trainer.evaluate(test);
            List<String> acts = Collections.nCopies(DEPTH, d.activation);
            RunDir.Finished done = dir.finish(new ModelFacts(DEPTH + 1, acts, d.batchNorm, d.residual, "", d.init, "", LR), Double.NaN, train);
            List<StepRecord> sampled = done.contents().steps().stream().filter(r -> !r.layers().isEmpty()).toList();
            // Training-mode losses at both ends (batch statistics, as the network trains): the first step's batch
            // and the mean over the last epoch. Evaluation mode at the start would normalize with the untrained
            // running statistics of batch norm, which describe no network.
            double startLoss = done.contents().steps().get(0).loss();
            double endLoss = result.finalTrainLoss();
            double[] first = norms(sampled.get(0), linears);
            double[] last = norms(sampled.get(sampled.size() - 1), linears);
            double ratioStart = first[0] / first[first.length - 1];
            double ratioEnd = last[0] / last[last.length - 1];
            ctx.log().printf("%s: %s: first/last layer gradient %s -> %s, loss %s -> %s, test accuracy %s, %.1f s%n", NAME, d.label,
                    Cells.sci(ratioStart), Cells.sci(ratioEnd), Cells.fixed(startLoss, 3), Cells.fixed(endLoss, 3),
                    Cells.fixed(endTest.accuracy(), 3), (System.nanoTime() - start) / 1e9);
            rows.add(List.of(d.label, "start", Cells.series(first), Cells.sci(ratioStart), Cells.fixed(startLoss, 3), "-",
                    done.flags()));
            rows.add(List.of("", "end", Cells.series(last), Cells.sci(ratioEnd), Cells.fixed(endLoss, 3),
                    Cells.fixed(endTest.accuracy(), 3), ""));
            Numbers n = new Numbers().put("grad_ratio_start", ratioStart).put("grad_ratio_end", ratioEnd)
                    .put("first_layer_grad_start", first[0]).put("last_layer_grad_start", first[first.length - 1])
                    .put("first_layer_grad_end", last[0]).put("last_layer_grad_end", last[last.length - 1])
                    .put("loss_start", startLoss).put("final_loss", endLoss).put("test_accuracy", endTest.accuracy())
                    .put("diverged", result.diverged()).put("vanishing_flagged", done.flagged("vanishing"));
            for (int i = 0; i < linears.size(); i++) {
                n.put("grad_start." + linears.get(i), first[i]);
                n.put("grad_end." + linears.get(i), last[i]);
            }
            runs.add(new RunOutcome(d.label, dir.path(), n.map()));
        }
        RunOutcome sig = runs.get(0);
        RunOutcome relu = runs.get(1);
        String conclusion = "At the first step the sigmoid network's first layer gets " + Cells.sci(sig.number("grad_ratio_start"))
                + " of its last layer's gradient norm, against " + Cells.sci(relu.number("grad_ratio_start")) + " with ReLU + He"
                + (sig.number("vanishing_flagged") > 0 ? " (the doctor flags vanishing gradients)" : "") + "; after the same "
                + epochs + " epochs its training loss is " + Cells.fixed(sig.number("final_loss"), 3) + " against "
                + Cells.fixed(relu.number("final_loss"), 3) + " (ReLU + He), " + Cells.fixed(runs.get(2).number("final_loss"), 3)
                + " (+ batch norm) and " + Cells.fixed(runs.get(3).number("final_loss"), 3) + " (+ residual).";
        return new ExperimentResult(NAME, title(), List.of("variant", "at", "grad norm per Linear layer, input to output",
                "first/last", "train loss", "test acc", "doctor"), rows, conclusion, runs);
    }
}
