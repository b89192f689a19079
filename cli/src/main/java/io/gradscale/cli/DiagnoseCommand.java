package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gradscale diagnose CONFIG}: a short probe run, then the doctor's verdicts with evidence and remedies. */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        description = "Run a short probe of a configuration and print the gradient doctor's verdicts, evidence and remedies.")
final class DiagnoseCommand implements Callable<Integer> {
    /** Probe length when none is given. */
    static final int DEFAULT_STEPS = 200;

    @Parameters(paramLabel = "CONFIG", description = "The run configuration (.yaml, .yml or .json).")
    Path config;

    @Option(names = "--steps", defaultValue = "" + DEFAULT_STEPS, description = "Training steps of the probe (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--out", defaultValue = "runs", description = "Directory for run directories (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--live", description = LiveOptions.LIVE_DESCRIPTION)
    boolean live;

    @Mixin
    LiveOptions liveOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        var o = spec.commandLine().getOut();
        var root = RunSpec.read(config);
        Engine engine = Engine.withThreads(root.path("threads").asInt(1));
        try {
            RunSpec run = RunSpec.build(root, config.toAbsolutePath().getParent(), engine, config.toString());
            o.println("gradscale diagnose: " + run.name() + ", probing " + steps + " steps of " + run.model().summary());
            o.flush();
            RunRecorder.Outcome res = RunRecorder.runLive(run, config.toAbsolutePath().getParent(), engine, out, run.name() + "-diagnose",
                    steps, false, live, liveOptions, o);
            o.println();
            RunRecorder.printVerdicts(res.verdicts(), o);
            o.println();
            o.println("report: " + res.report().toAbsolutePath());
            boolean critical = res.verdicts().stream().anyMatch(v -> v.severity() == Verdict.Severity.CRITICAL);
            return critical ? Main.RUN_FAILED : Main.OK;
        } finally {
            engine.parallel().close();
        }
    }
}
