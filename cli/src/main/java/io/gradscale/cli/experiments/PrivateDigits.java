package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Dataset;
import io.gradscale.data.IdxReader;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.privacy.RdpAccountant;
import io.gradscale.tensor.Rng;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Json;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Differentially private training on real images: scikit-learn's 8x8 handwritten digits (the IDX files of
 * {@code examples/digits}, made from the copy Debian's {@code python3-sklearn} ships; 1437 training and 360 test
 * images) learned by an MLP 64-{@value #HIDDEN}-10 with DP-SGD (Abadi et al., CCS 2016) at epsilon 1, 3 and 8
 * (delta {@value #DELTA}, below 1/n), next to the same network trained without privacy.
 *
 * <p>Every variant: the same initial weights, SGD with momentum {@value #MOMENTUM} at learning rate {@value #LR},
 * {@code epochs} epochs of expected batch {@value #BATCH}. The private ones sample batches by Poisson sampling,
 * clip each example's gradient to {@value #CLIP}, and add noise whose multiplier the RDP accountant finds for the
 * budget ({@link RdpAccountant#noiseMultiplier}); the non-private one shuffles and neither clips nor adds noise.
 * Reports the noise multiplier, the epsilon spent (from the step records), the test accuracy of the final weights
 * and the share of examples clipped.
 */
public final class PrivateDigits implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "private-digits";
    static final int HIDDEN = 64;
    static final double LR = 0.1;
    static final double MOMENTUM = 0.9;
    static final int BATCH = 64;
    static final double CLIP = 1.0;
    static final double DELTA = 1e-5;
    /** The budgets of the private variants. */
    static final double[] EPSILONS = {1, 3, 8};
    static final int EPOCHS = 30;
    static final int QUICK_EPOCHS = 4;
    private static final String[] FILES = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "test-images-idx3-ubyte.gz", "test-labels-idx1-ubyte.gz"};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "DP-SGD on handwritten digits: test accuracy at epsilon 1, 3 and 8 against non-private training";
    }

    @Override
    public String description() {
        return "scikit-learn's 8x8 digits (1437 train, 360 test), an MLP 64-" + HIDDEN + "-10, SGD with momentum (lr " + LR
                + "): without privacy, and with DP-SGD (Poisson sampling of expected batch " + BATCH + ", per-example clipping at "
                + CLIP + ", Gaussian noise) at epsilon 1, 3 and 8 (delta " + DELTA + "), the noise multiplier found by the RDP"
                + " accountant. Reports the noise multiplier, the epsilon spent, the test accuracy and the share of examples clipped.";
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int epochs = ctx.quick() ? QUICK_EPOCHS : EPOCHS;
        Path data = unpack(ctx.outDir().resolve(NAME).resolve("data"));
        Dataset train = flat(IdxReader.readDataset(data.resolve(FILES[0]), data.resolve(FILES[1]), 10));
        Dataset test = flat(IdxReader.readDataset(data.resolve(FILES[2]), data.resolve(FILES[3]), 10));
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        runs.add(train(ctx, "non-private", Double.NaN, epochs, train, test, rows));
        for (double eps : EPSILONS) {
            runs.add(train(ctx, "dp-eps" + (int) eps, eps, epochs, train, test, rows));
        }
        StringBuilder c = new StringBuilder("Test accuracy after " + epochs + " epochs: ");
        for (int i = 0; i < runs.size(); i++) {
            c.append(i == 0 ? "" : ", ").append(runs.get(i).label()).append(' ')
                    .append(Cells.fixed(100 * runs.get(i).number("test_accuracy"), 1)).append('%');
        }
        c.append(". A smaller budget needs more noise, and costs accuracy; each private run's epsilon is what the accountant"
                + " reports after its last step, at most its budget.");
        return new ExperimentResult(NAME, title(), List.of("variant", "budget", "noise multiplier", "epsilon spent", "test accuracy",
                "examples clipped", "doctor"), rows, c.toString(), runs);
    }

    private RunOutcome train(ExperimentContext ctx, String label, double budget, int epochs, Dataset train, Dataset test,
                             List<List<String>> rows) {
        boolean dp = !Double.isNaN(budget);
        Trainer.Settings settings = Trainer.Settings.of(GradientDescent.miniBatch(BATCH), epochs, ctx.seed())
                .withPoissonSampling(dp).withPrivacyDelta(DELTA);
        double q = (double) BATCH / train.size();
        long steps = (long) epochs * Trainer.stepsPerEpoch(settings, train.size());
        double sigma = dp ? RdpAccountant.noiseMultiplier(budget, DELTA, q, steps, RdpAccountant.DEFAULT_EPSILON_TOLERANCE) : 0;
        Module model = network(ctx.seed());
        ObjectNode config = Json.mapper().createObjectNode();
        config.put("experiment", NAME);
        config.put("variant", label);
        config.put("data", "sklearn digits 8x8 (examples/digits), pixels in [0, 1]");
        config.put("model", "mlp 64-" + HIDDEN + "-10, relu");
        config.put("optimizer", "sgd lr " + LR + " momentum " + MOMENTUM);
        config.put("batch_size", BATCH);
        config.put("epochs", epochs);
        if (dp) {
            config.put("target_epsilon", budget);
            config.put("delta", DELTA);
            config.put("max_grad_norm", CLIP);
            config.put("noise_multiplier", sigma);
            config.put("sampling", "poisson");
        }
        RunDir dir = RunDir.open(ctx, NAME, label, config, ctx.seed());
        long noiseSeed = new Rng(ctx.seed()).split().nextLong();
        Trainer trainer = new Trainer(model, Objective.forTask(train.task()), mult -> {
            GradientTransform<?> sgd = Optimizers.sgd(Schedule.constant(LR * mult), MOMENTUM, 0, false, 0);
            GradientTransform<?> chain = dp ? Transforms.chain(new PrivateAggregate(CLIP, sigma, BATCH, noiseSeed), sgd) : sgd;
            return new GradientStep(ParameterSet.of(model), chain, ctx.engine());
        }, ctx.engine(), settings).addListener(dir.log());
        Trainer.Result r = trainer.fit(train, null);
        double accuracy = trainer.evaluate(test).accuracy();
        RunDir.Finished done = dir.finish(new ModelFacts(2, List.of("relu"), false, false, "", "default", dp ? "dp" : "", LR),
                Double.NaN, train);
        double spent = trainer.epsilonSpent();
        double clipped = done.contents().steps().stream().mapToDouble(s -> s.transforms().getOrDefault("dp.clipped", 0.0))
                .average().orElse(0);
        ctx.log().printf("%s: %s: sigma %.3f, epsilon %s, test accuracy %.2f%%%n", NAME, label, sigma,
                dp ? Cells.fixed(spent, 3) : "-", 100 * accuracy);
        rows.add(List.of(label, dp ? "epsilon " + Cells.fixed(budget, 0) + ", delta " + DELTA : "-",
                dp ? Cells.fixed(sigma, 3) : "-", dp ? Cells.fixed(spent, 3) : "infinite",
                Cells.fixed(100 * accuracy, 1) + "%", dp ? Cells.fixed(100 * clipped, 1) + "%" : "-", done.flags()));
        return new RunOutcome(label, dir.path(), new Numbers().put("budget", dp ? budget : Double.POSITIVE_INFINITY)
                .put("noise_multiplier", sigma).put("epsilon", dp ? spent : Double.POSITIVE_INFINITY)
                .put("test_accuracy", accuracy).put("clipped_share", clipped).put("steps", r.steps())
                .put("diverged", r.diverged()).map());
    }

    private static Module network(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Linear(64, HIDDEN, rng), Activation.relu(), new Linear(HIDDEN, 10, rng));
    }

    /** The images (pixels already in [0, 1], as the example's {@code scaling: unit}) flattened to 64 features. */
    private static Dataset flat(Dataset d) {
        return Dataset.classification(d.features().reshape(d.size(), -1), d.labels(), 10);
    }

    /** Copies the digits IDX files from the classpath (where the build puts examples/digits) into {@code dir}. */
    private static Path unpack(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : FILES) {
                try (InputStream in = PrivateDigits.class.getResourceAsStream("digits/" + f)) {
                    if (in == null) {
                        throw new IllegalStateException("the digits file " + f + " is not on the classpath (the build copies"
                                + " examples/digits into io/gradscale/cli/experiments/digits)");
                    }
                    Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the digits into " + dir + ": " + e.getMessage(), e);
        }
    }
}
