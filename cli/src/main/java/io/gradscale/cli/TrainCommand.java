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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var o = spec.commandLine().getOut();
        var root = RunSpec.read(config);
        int t = threads != null ? threads : root.path("threads").asInt(1);
        Engine engine = Engine.withThreads(t);
        try {
            RunSpec run = RunSpec.build(root, config.toAbsolutePath().getParent(), engine, config.toString());
            o.println("gradscale train: " + run.name());
            o.println("  data:      " + run.data().summary());
            o.println("  model:     " + run.model().summary() + " (" + run.model().model().parameterCount() + " parameters)");
            o.println("  optimizer: " + run.optimizer().summary());
            o.println("  descent:   " + run.settings().descent() + ", " + run.settings().epochs() + " epochs, " + t + " thread(s)");
            o.flush();
            RunRecorder.Outcome res = RunRecorder.runLive(run, config.toAbsolutePath().getParent(), engine, out, run.name(),
                    Long.MAX_VALUE, true, live, liveOptions, o);
            Path dir = res.dir();
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
            engine.parallel().close();
        }
    }
}
