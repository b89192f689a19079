package io.gradscale.cli;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.diag.GradientAutocorrelation;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Rng;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Runs a configured training in its own run directory and leaves there everything a user needs:
 * {@code config.json}, {@code metrics.jsonl}, {@code diagnosis.json}, {@code report.html} and (for full
 * runs) {@code checkpoint/}.
 */
final class RunRecorder {
    /** What a recorded run produced. */
    record Outcome(Path dir, Trainer.Result result, List<Verdict> verdicts, Path report) {
    }

    private RunRecorder() {
    }

    static Path newRunDir(Path root, String name) throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = root.resolve(name + "-" + stamp);
        for (int i = 2; Files.exists(dir); i++) {
            dir = root.resolve(name + "-" + stamp + "-" + i);
        }
        Files.createDirectories(dir);
        return dir;
    }

    /** Trains {@code spec} for at most {@code maxSteps} steps (all epochs when Long.MAX_VALUE). */
    static Outcome run(RunSpec spec, Engine engine, Path dir, long maxSteps, boolean checkpoint) throws IOException {
        Files.writeString(dir.resolve("config.json"), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(spec.config()));
        Provenance prov = Provenance.now(spec.config(), spec.seed(), engine.parallel().threads(), Kernels.best().name());
        Trainer trainer = new Trainer(spec.model().model(), spec.objective(), spec.optimizer().factory(), engine, spec.settings());
        Trainer.Result result;
        try (MetricsLog log = new MetricsLog(dir.resolve(MetricsLog.FILE_NAME), prov, spec.logEvery())) {
            trainer.addListener(log);
            long total = Math.min(maxSteps, (long) spec.settings().epochs()
                    * spec.settings().descent().stepsPerEpoch(spec.data().train().size()));
            ProgressListener bar = ProgressListener.forTerminal(spec.name(), total);
            if (bar != null) {
                trainer.addListener(bar);
            }
            result = trainer.run(spec.data().train(), spec.data().validation(), maxSteps);
        }
        if (checkpoint) {
            trainer.saveCheckpoint(dir.resolve("checkpoint"));
        }
        double autocorr = Double.NaN;
        if (spec.facts().recurrent().isEmpty() && spec.data().train().exampleShape().rank() == 1) {
            spec.model().model().eval(); // the trained network's function: running statistics, no dropout noise
            autocorr = GradientAutocorrelation.measure(spec.model().model(), spec.data().train().exampleShape().dim(0),
                    GradientAutocorrelation.DEFAULT_POINTS, new Rng(spec.seed() ^ 0x5A5AL), engine);
        }
        MetricsLog.Contents contents = MetricsLog.read(dir.resolve(MetricsLog.FILE_NAME));
        List<Verdict> verdicts = GradientDoctor.standard().diagnose(new RunView(contents.steps(), spec.facts(), autocorr));
        Json.mapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("diagnosis.json").toFile(), verdicts);
        Path report = HtmlReport.write(dir);
        return new Outcome(dir, result, verdicts, report);
    }

    static void printVerdicts(List<Verdict> verdicts, PrintWriter out) {
        for (Verdict v : verdicts) {
            out.println("[" + v.severity() + "] " + v.title());
            for (String e : v.evidence()) {
                out.println("    evidence: " + e);
            }
            for (String r : v.remedies()) {
                out.println("    remedy:   " + r);
            }
        }
    }
}
