package io.gradscale.cli;

import io.gradscale.cli.doctor.CaseRun;
import io.gradscale.cli.doctor.Corpus;
import io.gradscale.cli.doctor.LabelledCase;
import io.gradscale.cli.doctor.Report;
import io.gradscale.cli.doctor.Scoreboard;
import io.gradscale.tensor.Engine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gradscale doctor-bench}: runs the labelled corpus through the doctor and prints its confusion
 * table, per-verdict precision and recall and false-alarm rate; {@code --write} puts them into
 * {@code docs/DOCTOR.md}.
 */
@Command(name = "doctor-bench", mixinStandardHelpOptions = true,
        description = "Run the gradient doctor's labelled benchmark: short runs of known sick and healthy configurations, "
                + "scored by precision, recall and false alarms.")
final class DoctorBenchCommand implements Callable<Integer> {
    /** Which cases to run. */
    enum Subset { all, fast, tuning, held_out }

    @Option(names = "--subset", defaultValue = "all",
            description = "all (every family, severity and seed), fast (one run per family), tuning, held_out (default: ${DEFAULT-VALUE}).")
    Subset subset;

    @Option(names = "--threads", defaultValue = "1", description = "Compute threads per run (results are the same bits; default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--family", description = "Only the families whose name contains this text.")
    String family;

    @Option(names = "--write", description = "Write the figures into this markdown file (between its doctor-bench markers).")
    Path write;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        PrintWriter o = spec.commandLine().getOut();
        List<LabelledCase> cases = switch (subset) {
            case all -> Corpus.all();
            case fast -> Corpus.fast();
            case tuning -> Corpus.cases(Corpus.families(), Corpus.TUNING_SEEDS, false);
            case held_out -> Corpus.cases(Corpus.families(), Corpus.HELD_OUT_SEEDS, true);
        };
        if (family != null) {
            cases = cases.stream().filter(c -> c.family().name().contains(family)).toList();
            if (cases.isEmpty()) {
                throw new IllegalArgumentException("--family " + family + ": no family of the corpus has that in its name");
            }
        }
        o.println("gradscale doctor-bench: " + cases.size() + " runs of " + Corpus.PROBE_STEPS + " steps, " + threads + " thread(s)");
        o.flush();
        List<CaseRun> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        Engine engine = Engine.withThreads(threads);
        try {
            for (LabelledCase c : cases) {
                CaseRun r = CaseRun.run(c, engine);
                runs.add(r);
                o.printf("%-48s %-5s %6.0f ms  loss x%-9.3g %s%n", c.id(), r.correct() && (!c.labels().isEmpty() || r.calledHealthy())
                        ? "ok" : "WRONG", r.millis(), r.lossRatio(), r.summary());
                o.flush();
            }
        } finally {
            engine.parallel().close();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Report report = new Report(runs, seconds, threads);
        o.println();
        o.print(report.figures());
        if (write != null) {
            report.writeInto(write);
            o.println("written into " + write.toAbsolutePath());
        }
        return new Scoreboard(runs).shortfalls().isEmpty() ? Main.OK : Main.RUN_FAILED;
    }
}
