package io.gradscale.cli.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gradscale.autograd.Tape;
import io.gradscale.data.Batch;
import io.gradscale.data.Task;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Module;
import io.gradscale.privacy.RdpAccountant;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.DivergencePolicy;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import io.gradscale.transform.PrivateAggregate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run described by a configuration file (YAML or JSON), built and validated.
 *
 * <pre>
 * name: spirals          # run name (directory prefix)
 * seed: 42               # every random generator of the run derives from it
 * threads: 1             # compute threads (results are the same bits for any count)
 * data: {...}            # see DataBuilder
 * validation: {...}      # optional, see DataBuilder
 * test: {...}            # optional, see DataBuilder; weights: last | best
 * model: {...}           # see ModelBuilder
 * transforms: [...]      # see OptimizerBuilder
 * optimizer: {...}
 * schedule: {...}
 * loss_scaling: false
 * training:
 *   mode: mini_batch     # batch | stochastic | mini_batch
 *   batch_size: 32       # mini_batch only
 *   epochs: 10
 *   early_stopping: 0    # patience in epochs (0 = off); needs validation data
 *   divergence: stop     # stop | rollback
 *   sampling: shuffle    # shuffle (a permutation per epoch) | poisson (the default with a privacy section)
 *   micro_batches: 1     # gradient accumulation: each batch cut into this many micro-batches, summed in a fixed tree
 *   on_critical: warn    # warn | stop: what a critical non-finite or exploding verdict of the live doctor does
 *                        #   (stop: end the run, keep the last good state as its checkpoint)
 *   loss: logits         # classification only: logits (cross-entropy by log-sum-exp, the stable default) |
 *                        #   probabilities (-log of the label's softmax probability, written literally: log(0) once
 *                        #   a probability underflows; see Objective.ClassLoss)
 * privacy: {...}         # DP-SGD; see privacy(): target_epsilon, delta, max_grad_norm
 * spark: {...}           # see ClusterSpec: train on Apache Spark (the gradscale-spark module)
 * monitor:
 *   every: 10            # per-layer statistics every n steps
 *   log_every: 1         # write every n-th step to the metrics log
 *   live_doctor: true    # verdicts while training runs, every 50 steps (progress line, condition events in the log)
 * </pre>
 *
 * <p>The optional {@code validation} and {@code test} sections (data from their own files) are described in
 * {@link DataBuilder}; {@code test.weights: last | best} chooses the weights the test set is evaluated with once
 * training has ended.
 *
 * @param config the configuration as read (for provenance)
 * @param testWeights {@code "last"} or {@code "best"} (lowest validation loss); used only with a test set
 * @param onCritical what the live doctor does on a critical non-finite or exploding verdict
 * @param liveDoctor whether the doctor judges the run while it trains
 */
public record RunSpec(JsonNode config, String name, long seed, int threads, DataBuilder.Built data, ModelBuilder.Built model,
                      OptimizerBuilder.Built optimizer, Objective objective, Trainer.Settings settings, int logEvery,
                      ModelFacts facts, String testWeights, LiveDoctor.OnCritical onCritical, boolean liveDoctor) {
    /** Without {@code test.weights}, the test set is evaluated with the weights training ended with. */
    public static final String DEFAULT_TEST_WEIGHTS = "last";
    /** The seed of a configuration that names none. */
    public static final long DEFAULT_SEED = 42;
    /** The live doctor runs unless the configuration turns it off. */
    public static final boolean DEFAULT_LIVE_DOCTOR = true;

    /**
     * Reads a YAML or JSON file; a syntax error names the file, line and column; a file that cannot be read
     * raises an {@link java.io.UncheckedIOException} saying why (the command line's exit code 3).
     */
    public static JsonNode read(Path file) {
        if (Files.isDirectory(file)) {
            throw new java.io.UncheckedIOException(new java.nio.file.FileSystemException(file.toString(), null,
                    "is a directory, not a configuration file"));
        }
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        ObjectMapper m = n.endsWith(".json") ? JsonMapper.builder().build() : new YAMLMapper();
        try (java.io.InputStream in = Files.newInputStream(file)) {
            JsonNode root = m.readTree(in);
            if (root == null || !root.isObject()) {
                throw new ConfigException(file + ": expected a mapping of sections (data, model, optimizer, training, ...)");
            }
            return root;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var loc = e.getLocation();
            throw new ConfigException(file + (loc == null ? "" : ", line " + loc.getLineNr() + ", column " + loc.getColumnNr())
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read configuration file " + file + ": "
                    + io.gradscale.io.FileErrors.reason(e), e);
        }
    }

    /** Validates and builds everything the configuration describes, the data read into this JVM. */
    public static RunSpec build(JsonNode root, Path baseDir, Engine engine, String source) {
        return build(root, baseDir, engine, source, DataBuilder::build);
    }

    /** Validates and builds everything the configuration describes, the data section read by {@code loader}. */
    public static RunSpec build(JsonNode root, Path baseDir, Engine engine, String source, DataBuilder.Loader loader) {
        ConfigNode c = new ConfigNode(root, "");
        String name = c.string("name", "run");
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("name: '" + name + "' may only contain letters, digits, '.', '_' and '-'");
        }
        long seed = c.longValue("seed", DEFAULT_SEED);
        int threads = c.integer("threads", 1, 1, 256);
        Rng rng = new Rng(seed);
        DataBuilder.Built data;
        try {
            data = loader.load(c.object("data"), c, baseDir, rng.split());
        } catch (ConfigException e) {
            throw e;
        } catch (io.gradscale.data.DataFormatException | IllegalArgumentException e) {
            // a data file that does not parse, or a built-in task refusing its parameters; a file that cannot be
            // read (UncheckedIOException) is not a configuration error (exit code 3, not 2) and passes through, and
            // any other exception is a defect and keeps its own type and stack trace
            throw new ConfigException("data: " + e.getMessage(), e);
        }
        String testWeights = testWeights(c.object("test"), data);
        Task task = data.train().task();
        DataShape shape = DataShape.of(data);
        ConfigNode tr = c.object("training");
        String mode = tr.choice("mode", "mini_batch", "batch", "stochastic", "mini_batch");
        GradientDescent gd = switch (mode) {
            case "batch" -> GradientDescent.batch();
            case "stochastic" -> GradientDescent.stochastic();
            default -> GradientDescent.miniBatch(tr.integer("batch_size", GradientDescent.DEFAULT_BATCH_SIZE, 1, 1 << 24));
        };
        int epochs = tr.integer("epochs", 10, 1, 1_000_000);
        int patience = tr.integer("early_stopping", 0, 0, 1_000_000);
        if (patience > 0 && data.validation() == null) {
            throw new ConfigException(tr.path() + ".early_stopping: stops when the validation loss stops improving, but the run"
                    + " has no validation data; set data.validation above 0, add a validation section, or set early_stopping: 0");
        }
        String div = tr.choice("divergence", "stop", "stop", "rollback");
        boolean poisson = tr.choice("sampling", c.has("privacy") ? "poisson" : "shuffle", "shuffle", "poisson").equals("poisson");
        LiveDoctor.OnCritical onCritical = LiveDoctor.OnCritical.valueOf(tr.choice("on_critical",
                LiveDoctor.OnCritical.DEFAULT.name().toLowerCase(java.util.Locale.ROOT), "warn", "stop").toUpperCase(java.util.Locale.ROOT));
        int micro = tr.integer("micro_batches", Trainer.Settings.DEFAULT_MICRO_BATCHES, 1, 1 << 20);
        Objective.ClassLoss classLoss = Objective.ClassLoss.valueOf(tr.choice("loss",
                Objective.ClassLoss.DEFAULT.name().toLowerCase(java.util.Locale.ROOT), "logits", "probabilities")
                .toUpperCase(java.util.Locale.ROOT));
        if (classLoss != Objective.ClassLoss.DEFAULT && !task.hasLabels()) {
            throw new ConfigException(tr.path() + ".loss: probabilities is a classification loss (-log of the label's softmax"
                    + " probability), but the data is a regression task (mean squared error); remove training.loss");
        }
        tr.done();
        ConfigNode mon = c.object("monitor");
        int every = mon.integer("every", Trainer.Settings.DEFAULT_MONITOR_EVERY, 1, 1 << 30);
        int logEvery = mon.integer("log_every", 1, 1, 1 << 30);
        boolean live = mon.bool("live_doctor", DEFAULT_LIVE_DOCTOR);
        mon.done();
        if (onCritical == LiveDoctor.OnCritical.STOP && !live) {
            throw new ConfigException("training.on_critical: stop needs the live doctor; remove monitor.live_doctor: false");
        }
        ModelBuilder.Built model = ModelBuilder.build(c.object("model"), data, shape.outputs(), shape.everyStep(),
                rng.split());
        Objective objective = Objective.forTask(task, classLoss);
        checkFit(model, data, objective, engine);
        Trainer.Settings settings = new Trainer.Settings(gd, epochs, seed, every,
                div.equals("rollback") ? DivergencePolicy.rollback() : DivergencePolicy.stop(), patience, 0.0, 0, poisson,
                Trainer.Settings.DEFAULT_PRIVACY_DELTA, micro);
        OptimizerBuilder.Privacy privacy = privacy(c.object("privacy"), settings, data.train().size(), rng.split().nextLong());
        if (privacy != null) {
            settings = settings.withPrivacyDelta(privacy.delta());
        }
        OptimizerBuilder.Built opt = OptimizerBuilder.build(c, model.model(), engine, privacy);
        c.done("spark"); // read by ClusterSpec
        // the doctor's facts learn the clipping and the learning rate from the optimizer section, and the loss's form
        ModelFacts f0 = model.facts();
        ModelFacts facts = new ModelFacts(f0.depth(), f0.activations(), f0.batchNorm(), f0.residual(), f0.recurrent(), f0.init(),
                opt.clipping(), opt.lr(), classLoss == Objective.ClassLoss.PROBABILITIES);
        return new RunSpec(root, name, seed, threads, data, model, opt, objective, settings, logEvery, facts, testWeights, onCritical,
                live);
    }

    /** The test section's {@code weights}: which weights the test set is evaluated with. */
    private static String testWeights(ConfigNode test, DataBuilder.Built data) {
        String w = test.choice("weights", DEFAULT_TEST_WEIGHTS, "last", "best");
        if (w.equals("best") && data.validation() == null) {
            throw new ConfigException(test.path() + ".weights: best picks the epoch of lowest validation loss, but the run has"
                    + " no validation data; set data.validation above 0, add a validation section, or use weights: last");
        }
        return w;
    }

    /**
     * Runs one training example through the model and its loss, so that a model that cannot take the data fails here,
     * named in the configuration's terms, rather than inside a layer at the first step.
     */
    private static void checkFit(ModelBuilder.Built model, DataBuilder.Built data, Objective objective, Engine engine) {
        Module net = model.model();
        Batch one = data.train().batch(0, 1);
        net.eval(); // one example: batch statistics would be degenerate, and no random generator may advance
        try {
            objective.loss(net.forward(Tape.noGrad(engine).constant(one.inputs())), one);
        } catch (RuntimeException e) {
            throw new ConfigException("model (" + model.summary() + ") does not fit the data (" + data.describeExample()
                    + ", " + data.train().task() + "): " + e.getMessage());
        } finally {
            net.train();
        }
    }

    /**
     * The {@code privacy} section, or null without one:
     * <pre>
     * privacy:
     *   target_epsilon: 3     # the budget; the noise multiplier is found for it (or give noise_multiplier instead)
     *   delta: 1e-5           # the delta of the budget and of the epsilon reported
     *   max_grad_norm: 1.0    # C, each example's gradient is clipped to it
     * </pre>
     * The noise multiplier is the smallest (within Opacus's tolerance) for which the run's steps, at sampling rate
     * {@code batch_size / n}, spend at most {@code target_epsilon} by the RDP accountant.
     */
    private static OptimizerBuilder.Privacy privacy(ConfigNode p, Trainer.Settings settings, int n, long seed) {
        if (p.isMissing()) {
            return null;
        }
        double delta = p.number("delta", Trainer.Settings.DEFAULT_PRIVACY_DELTA, Double.MIN_NORMAL, 0.5);
        double clip = p.number("max_grad_norm", PrivateAggregate.DEFAULT_MAX_GRAD_NORM, Double.MIN_NORMAL, 1e12);
        boolean hasTarget = p.has("target_epsilon");
        if (hasTarget == p.has("noise_multiplier")) {
            throw new ConfigException(p.path() + ": give exactly one of target_epsilon (the noise multiplier is then computed)"
                    + " and noise_multiplier");
        }
        int batch = settings.descent().stepSize(n);
        double q = (double) batch / n;
        long steps = (long) settings.epochs() * Trainer.stepsPerEpoch(settings, n);
        double sigma;
        double target = Double.NaN;
        if (hasTarget) {
            target = p.number("target_epsilon", 1, Double.MIN_NORMAL, 1e6);
            try {
                sigma = RdpAccountant.noiseMultiplier(target, delta, q, steps, RdpAccountant.DEFAULT_EPSILON_TOLERANCE);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(p.path() + ".target_epsilon: " + e.getMessage());
            }
        } else {
            sigma = p.number("noise_multiplier", 1, 0, 1e6);
        }
        p.done();
        return new OptimizerBuilder.Privacy(clip, sigma, batch, seed, target, delta, q, steps);
    }

}
