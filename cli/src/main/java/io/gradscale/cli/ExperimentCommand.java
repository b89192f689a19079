package io.gradscale.cli;

import io.gradscale.cli.experiments.Experiment;
import io.gradscale.cli.experiments.ExperimentContext;
import io.gradscale.cli.experiments.ExperimentResult;
import io.gradscale.cli.experiments.Experiments;
import io.gradscale.cli.experiments.RunOutcome;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.tensor.Engine;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gradscale experiment NAME}: one of the built-in experiments, with its table and per-run reports. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run a built-in experiment (--list shows them): real training runs that show a gradient pathology and its remedies.")
final class ExperimentCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", arity = "0..1", description = "The experiment's name.")
    String name;

    @Option(names = "--list", description = "List the experiments and exit.")
    boolean list;

    @picocli.CommandLine.Mixin
    ExperimentOptions opts;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (list || name == null) {
            for (Experiment e : Experiments.all()) {
                o.printf("%-14s %s%n", e.name(), e.title());
            }
            return name == null && !list ? Main.USAGE : Main.OK;
        }
        Experiment e = Experiments.named(name);
        Path dir = RunRecorder.newRunDir(opts.out, "experiment-" + e.name());
        ExperimentResult r = run(e, dir, opts.seed, opts.quick, o);
        printResult(r, o, true);
        return Main.OK;
    }

    /** Runs one experiment into {@code dir}, writing every run's HTML report. */
    static ExperimentResult run(Experiment e, Path dir, long seed, boolean quick, PrintWriter o) throws java.io.IOException {
        o.println("== " + e.title());
        o.flush();
        ExperimentResult r;
        try (java.io.PrintStream log = new java.io.PrintStream(java.io.OutputStream.nullOutputStream())) {
            r = e.run(new ExperimentContext(dir, Engine.serial(), seed, quick, log));
        }
        for (RunOutcome run : r.runs()) {
            HtmlReport.write(run.runDir());
        }
        return r;
    }

    static void printResult(ExperimentResult r, PrintWriter o, boolean listReports) {
        o.println(r.table());
        o.println(r.conclusion());
        if (listReports) {
            List<String> reports = new ArrayList<>();
            for (RunOutcome run : r.runs()) {
                reports.add(run.label() + ": " + run.runDir().resolve("report.html").toAbsolutePath());
            }
            o.println("reports:");
            reports.forEach(x -> o.println("  " + x));
        }
        o.println();
        o.flush();
    }
}
