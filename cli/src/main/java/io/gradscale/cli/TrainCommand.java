package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.io.AtomicFiles;
import io.gradscale.tensor.Engine;
import io.gradscale.train.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gradscale train CONFIG}: a full training run with metrics log, checkpoint, diagnosis and report. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the model a configuration (YAML or JSON) describes; write metrics, a checkpoint, the diagnosis and an HTML report.")
final class TrainCommand implements Callable<Integer> {
    /** No periodic checkpoint unless asked for: one is written at the end of every run. */
    static final int DEFAULT_CHECKPOINT_EVERY = 0;
    /** What {@code --resume} needs besides the run directory's checkpoint: the configuration, its directory, the interval. */
    static final String RESUME_FILE = "resume.json";

    @Parameters(paramLabel = "CONFIG", arity = "0..1", description = "The run configuration (.yaml, .yml or .json); not with --resume.")
    Path config;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR (killed or stopped) from its newest checkpoint; the result is the same bits as a run never interrupted.")
    Path resume;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS",
            description = "Also write the run's checkpoint every STEPS steps, atomically, so that --resume loses at most that many (default: only at the end).")
    Integer checkpointEvery;

    @Option(names = "--out", defaultValue = "runs", description = "Directory for run directories (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", description = "Compute threads (overrides the configuration); steps measured faster on one thread run there.")
    Integer threads;

    @Option(names = "--live", description = LiveOptions.LIVE_DESCRIPTION)
    boolean live;

    @Mixin
    LiveOptions liveOptions;

    @Option(names = "--spark", paramLabel = "MASTER", description = "Train on Apache Spark with this master URL (local[2], "
            + "spark://host:7077, yarn, ...; overrides the spark: section's master). ./gradscale adds the Spark module to the class path.")
    String spark;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var o = spec.commandLine().getOut();
        if ((config == null) == (resume == null)) {
            throw new IllegalArgumentException("give either a CONFIG file or --resume RUN_DIR, not " + (config == null ? "neither" : "both"));
        }
        if (checkpointEvery != null && checkpointEvery < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be 0 (only at the end) or a number of steps, got " + checkpointEvery);
        }
        Path baseDir;
        String source;
        com.fasterxml.jackson.databind.JsonNode root;
        com.fasterxml.jackson.databind.JsonNode saved = null;
        if (resume != null) {
            Path resumeFile = resume.resolve(RESUME_FILE);
            if (!Files.isRegularFile(resumeFile)) {
                throw new java.io.IOException(resume + " is not a run directory that can be resumed: it has no " + RESUME_FILE
                        + ", which `gradscale train` writes when a run starts");
            }
            saved = Json.mapper().readTree(resumeFile.toFile());
            if (saved == null || !saved.path("config").isObject() || !saved.path("config_dir").isTextual()) {
                throw new java.io.IOException(resumeFile + ": expected an object with \"config\" and \"config_dir\"");
            }
            root = saved.get("config");
            baseDir = Path.of(saved.get("config_dir").asText());
            source = resumeFile.toString();
        } else {
            root = RunSpec.read(config);
            baseDir = config.toAbsolutePath().getParent();
            source = config.toString();
        }
        int every = checkpointEvery != null ? checkpointEvery
                : saved != null ? saved.path("checkpoint_every").asInt(DEFAULT_CHECKPOINT_EVERY) : DEFAULT_CHECKPOINT_EVERY;
        int t = threads != null ? threads : root.path("threads").asInt(1);
        boolean onSpark = spark != null || root.has("spark");
        ClusterBackend cluster = onSpark ? cluster(root) : null;
        Engine engine = Engine.withThreads(t);
        try {
            RunSpec run = cluster == null ? RunSpec.build(root, baseDir, engine, source)
                    : RunSpec.build(root, baseDir, engine, source, cluster::load);
            o.println("gradscale train: " + run.name());
            o.println("  data:      " + run.data().summary());
            o.println("  model:     " + run.model().summary() + " (" + run.model().model().parameterCount() + " parameters)");
            o.println("  optimizer: " + run.optimizer().summary());
            o.println("  descent:   " + run.settings().descent() + ", " + run.settings().epochs() + " epochs, "
                    + (run.settings().microBatches() > 1 ? run.settings().microBatches() + " micro-batches per step, " : "")
                    + t + " thread(s)");
            if (cluster != null) {
                o.println("  cluster:   " + cluster.describe());
            }
            if (resume != null) {
                o.println("  resume:    " + resume);
            }
            o.flush();
            var resumable = Json.mapper().createObjectNode().put("config_dir", baseDir.toString()).put("checkpoint_every", every);
            resumable.set("config", root);
            RunRecorder.RunDirectory runDir = () -> {
                if (resume != null) {
                    return resume;
                }
                Path d = RunRecorder.newRunDir(out, run.name());
                AtomicFiles.write(d.resolve(RESUME_FILE), Json.mapper().writeValueAsBytes(resumable));
                return d;
            };
            RunRecorder.Outcome res = RunRecorder.runLive(run, baseDir, engine, runDir, Long.MAX_VALUE,
                    new RunRecorder.Checkpoints(true, every), resume != null, live, liveOptions, o, cluster);
            if (cluster != null) {
                o.println();
                o.println("cluster time: " + cluster.timings());
            }
            o.println();
            o.println(RunRecorder.resultLine(res.result(), run.data().validation() != null));
            if (!Double.isNaN(res.epsilon())) {
                o.printf(java.util.Locale.ROOT, "privacy spent: epsilon %.4g at delta %s (RDP accountant)%n", res.epsilon(),
                        run.settings().privacyDelta());
            }
            if (res.test() != null) {
                o.println(RunRecorder.testLine(res.test()));
            }
            if (res.skippedSteps() > 0) {
                o.println(res.skippedSteps() + " step(s) skipped: their gradients held NaN or infinity, and the guard kept them"
                        + " from the weights (see the metrics log's \"skipped\" steps and the report)");
            }
            o.println(res.status().timeLine());
            if (res.stoppedBy() != null) {
                o.println("the live doctor stopped the run (training.on_critical: stop); the checkpoint holds "
                        + (res.keptStep() < 0 ? "the initial state" : "the state after step " + res.keptStep())
                        + ", the last judged free of a critical non-finite or exploding verdict");
            }
            o.println();
            RunRecorder.printConditions(res.log(), o);
            RunRecorder.printVerdicts(res.verdicts(), o);
            o.println();
            o.println("run directory: " + res.dir().toAbsolutePath());
            o.println("report:        " + res.report().toAbsolutePath());
            return res.result().diverged() ? Main.RUN_FAILED : Main.OK;
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            engine.parallel().close();
        }
    }

    /** The cluster backend on the class path, connected as the spark section and --spark say. */
    private ClusterBackend cluster(com.fasterxml.jackson.databind.JsonNode root) {
        io.gradscale.cli.config.ClusterSpec cs = io.gradscale.cli.config.ClusterSpec.read(root, spark);
        ClusterBackend b = java.util.ServiceLoader.load(ClusterBackend.class).findFirst().orElseThrow(() ->
                new io.gradscale.cli.config.ConfigException("this run asks for Spark (--spark or a spark: section) but the Spark module"
                        + " is not on the class path: run it through ./gradscale, which adds it, or with spark-submit and"
                        + " spark/target/gradscale-spark.jar (see the README)"));
        b.open(cs);
        return b;
    }
}
