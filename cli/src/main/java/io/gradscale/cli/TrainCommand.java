package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.tensor.Engine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
            Path dir = RunRecorder.newRunDir(out, run.name());
            RunRecorder.Outcome res = RunRecorder.run(run, engine, dir, new RunRecorder.Options(Long.MAX_VALUE, true, true, o));
            o.println();
            o.println(RunRecorder.resultLine(res.result(), run.data().validation() != null));
            if (res.test() != null) {
                o.println(RunRecorder.testLine(res.test()));
            }
            if (res.stoppedBy() != null) {
                o.println("the live doctor stopped the run (training.on_critical: stop); the checkpoint holds "
                        + (res.keptStep() < 0 ? "the initial state" : "the state after step " + res.keptStep())
                        + ", the last judged free of a critical non-finite or exploding verdict");
            }
            o.println();
            RunRecorder.printConditions(dir, o);
            RunRecorder.printVerdicts(res.verdicts(), o);
            o.println();
            o.println("run directory: " + dir.toAbsolutePath());
            o.println("report:        " + res.report().toAbsolutePath());
            return res.result().diverged() ? Main.RUN_FAILED : Main.OK;
        } finally {
            engine.parallel().close();
        }
    }
}
