package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.tensor.Engine;
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
    @Parameters(paramLabel = "CONFIG", description = "The run configuration (.yaml, .yml or .json).")
    Path config;

    @Option(names = "--out", defaultValue = "runs", description = "Directory for run directories (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", description = "Compute threads (overrides the configuration).")
    Integer threads;

    @Option(names = "--live", description = LiveOptions.LIVE_DESCRIPTION)
    boolean live;

    @Mixin
    LiveOptions liveOptions;

    @Option(names = "--spark", paramLabel = "MASTER", description = "Train on Apache Spark with this master URL (local[2], "
            + "spark://host:7077, yarn, ...; overrides the spark: section's master). ./gradscale adds the Spark module to the class path.")
    String spark;

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue from a checkpoint directory of an earlier run "
            + "of the same configuration (runs/<run>/checkpoint).")
    Path resume;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var o = spec.commandLine().getOut();
        var root = RunSpec.read(config);
        int t = threads != null ? threads : root.path("threads").asInt(1);
        boolean onSpark = spark != null || root.has("spark");
        if (onSpark && (root.has("privacy") || root.path("training").path("sampling").asText("").equals("poisson"))) {
            throw new io.gradscale.cli.config.ConfigException("privacy: per-example clipping (or training.sampling: poisson) on"
                    + " Spark is not supported yet; train without --spark and the spark: section");
        }
        ClusterBackend cluster = onSpark ? cluster(root) : null;
        Engine engine = Engine.withThreads(t);
        try {
            RunSpec run = cluster == null ? RunSpec.build(root, config.toAbsolutePath().getParent(), engine, config.toString())
                    : RunSpec.build(root, config.toAbsolutePath().getParent(), engine, config.toString(), cluster::load);
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
            RunRecorder.Outcome res = RunRecorder.runLive(run, config.toAbsolutePath().getParent(), engine, out, run.name(),
                    Long.MAX_VALUE, true, live, liveOptions, o, cluster, resume);
            Path dir = res.dir();
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
            o.println(res.status().timeLine());
            if (res.stoppedBy() != null) {
                o.println("the live doctor stopped the run (training.on_critical: stop); the checkpoint holds "
                        + (res.keptStep() < 0 ? "the initial state" : "the state after step " + res.keptStep())
                        + ", the last judged free of a critical non-finite or exploding verdict");
            }
            o.println();
            RunRecorder.printConditions(dir, o);
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
