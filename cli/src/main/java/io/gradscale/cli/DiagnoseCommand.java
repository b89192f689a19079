package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.remedy.Prescriber;
import io.gradscale.cli.remedy.Remedy;
import io.gradscale.cli.remedy.TrialResults;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gradscale diagnose CONFIG}: a short probe run, then the doctor's verdicts with evidence, and its
 * remedies as configuration patches; with {@code --try-remedies}, each patch rerun on the same seeds and measured.
 */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        description = {"Run a short probe of a configuration and print the gradient doctor's verdicts, evidence and remedies"
                + " (each remedy a patch to the configuration).",
            "With --try-remedies, rerun the probe with each remedy applied on the same seeds, print a before/after table"
                + " ranked by the loss after the probe, and write the best patched configuration to remedied.yaml in the"
                + " run directory."})
final class DiagnoseCommand implements Callable<Integer> {
    /** Probe length when none is given. */
    static final int DEFAULT_STEPS = 200;
    /**
     * Seeds each variant is probed on with {@code --try-remedies}: enough that a remedy's rank is not one lucky
     * initialization, few enough that trying five remedies on a small model takes about a minute.
     */
    static final int DEFAULT_SEEDS = 3;

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

    @Option(names = "--try-remedies", description = "Rerun the probe with each proposed remedy applied, compare, and write remedied.yaml.")
    boolean tryRemedies;

    @Option(names = "--seeds", defaultValue = "" + DEFAULT_SEEDS,
            description = "With --try-remedies: seeds each variant is probed on, from the configuration's (default: ${DEFAULT-VALUE}).")
    int seeds;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (seeds < 1) {
            throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
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
            Path dir = res.dir();
            o.println();
            RunRecorder.printConditions(res.log(), o);
            RunRecorder.printVerdicts(res.verdicts(), o);
            List<Remedy> remedies = Prescriber.prescribe(res.verdicts(),
                    new RunView(res.log().steps(), run.facts(), Double.NaN), root);
            printRemedies(remedies, root, o);
            if (tryRemedies) {
                if (remedies.isEmpty()) {
                    o.println();
                    o.println("--try-remedies: the doctor proposes no configuration change, so there is nothing to try");
                } else {
                    o.println();
                    TrialResults tr = RemedyTrials.run(root, config, engine, dir, steps, seeds, res, remedies, o);
                    RemedyTrials.print(tr, dir, o);
                    HtmlReport.write(dir); // again, now with the before/after comparison
                }
            }
            o.println();
            o.println("report: " + res.report().toAbsolutePath());
            boolean critical = res.verdicts().stream().anyMatch(v -> v.severity() == Verdict.Severity.CRITICAL);
            return critical ? Main.RUN_FAILED : Main.OK;
        } finally {
            engine.parallel().close();
        }
    }

    private static void printRemedies(List<Remedy> remedies, com.fasterxml.jackson.databind.JsonNode root, java.io.PrintWriter o) {
        if (remedies.isEmpty()) {
            return;
        }
        o.println();
        o.println("remedies as configuration patches (try them with --try-remedies):");
        for (Remedy r : remedies) {
            o.println("  " + r.id() + " (treats " + String.join(", ", r.treats()) + "): " + r.title());
            for (String e : r.describe(root)) {
                o.println("      " + e);
            }
        }
    }
}
