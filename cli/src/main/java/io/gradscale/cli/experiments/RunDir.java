package io.gradscale.cli.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.data.Dataset;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.RunView;
import io.gradscale.diag.TrainingProgress;
import io.gradscale.diag.Verdict;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The run directory of one variant: writes its configuration ({@value #CONFIG_FILE}), opens its metrics log
 * with the variant's provenance, and at the end
 * reads the log back, has the {@link GradientDoctor} examine it (the doctor sees only what the log
 * holds, as {@code gradscale diagnose} would) and writes the verdicts to {@value #DIAGNOSIS_FILE}.
 */
final class RunDir {
    /** The file, next to {@code metrics.jsonl}, holding the doctor's verdicts as a JSON array. */
    static final String DIAGNOSIS_FILE = "diagnosis.json";
    /** The file holding the variant's configuration, as in a {@code gradscale train} run directory. */
    static final String CONFIG_FILE = "config.json";
    /** The metrics log records every step: the runs are short, and the report plots every point. */
    static final int LOG_EVERY = 1;

    private final Path dir;
    private final MetricsLog log;

    private RunDir(Path dir, MetricsLog log) {
        this.dir = dir;
        this.log = log;
    }

    /** Creates {@code outDir/experiment/variant} and opens its metrics log, headed by {@code config} and {@code seed}. */
    static RunDir open(ExperimentContext ctx, String experiment, String variant, JsonNode config, long seed) {
        Path dir = ctx.runDir(experiment, variant);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CONFIG_FILE), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config));
            Provenance prov = Provenance.now(config, seed, ctx.engine().parallel().threads(), ctx.engine().kernels().name());
            return new RunDir(dir, new MetricsLog(dir.resolve(MetricsLog.FILE_NAME), prov, LOG_EVERY));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    Path path() {
        return dir;
    }

    /** The listener that writes {@code metrics.jsonl}. */
    MetricsLog log() {
        return log;
    }

    /** What a finished run left: its log as read back, and the doctor's verdicts on it. */
    record Finished(Path dir, MetricsLog.Contents contents, List<Verdict> verdicts) {
        /** The verdict of {@code detector}, if it reached one. */
        Optional<Verdict> verdict(String detector) {
            return verdicts.stream().filter(v -> v.detector().equals(detector)).findFirst();
        }

        /** True when {@code detector} flagged the run (warning or worse). */
        boolean flagged(String detector) {
            return verdict(detector).map(v -> v.severity().compareTo(Verdict.Severity.WARNING) >= 0).orElse(false);
        }

        /** The detectors that flagged the run, comma-separated, or "healthy". */
        String flags() {
            List<String> f = verdicts.stream().filter(v -> v.severity().compareTo(Verdict.Severity.WARNING) >= 0)
                    .map(Verdict::detector).distinct().toList();
            return f.isEmpty() ? "healthy" : String.join(",", f);
        }
    }

    /**
     * Closes the log, reads it back, diagnoses it with {@code facts}, the measured gradient
     * {@code autocorrelation} ({@code NaN} when not measured) and the constant-prediction baseline of the
     * training set {@code train}, and writes {@value #DIAGNOSIS_FILE}.
     */
    Finished finish(ModelFacts facts, double autocorrelation, Dataset train) {
        return finish(facts, autocorrelation, train, Double.NaN);
    }

    /** As {@link #finish(ModelFacts, double, Dataset)}, with a recurrent model's measured {@link io.gradscale.diag.TemporalGradient} ratio. */
    Finished finish(ModelFacts facts, double autocorrelation, Dataset train, double temporalRatio) {
        Path logFile = log.path();
        try {
            log.close();
            MetricsLog.Contents contents = MetricsLog.read(logFile);
            List<Verdict> verdicts = GradientDoctor.standard().diagnose(new RunView(contents.steps(), facts, autocorrelation,
                    TrainingProgress.constantBaseline(train), temporalRatio));
            Files.writeString(dir.resolve(DIAGNOSIS_FILE), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(verdicts));
            return new Finished(dir, contents, verdicts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish the run in " + dir + ": " + e.getMessage(), e);
        }
    }
}
