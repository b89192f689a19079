package io.gradscale.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.config.ConfigException;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.data.DataFormatException;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz targets for what the command line reads: run configurations (YAML and JSON) through the same
 * validation as {@code train} and {@code diagnose}, and the metrics log as {@code report} and
 * {@code diagnose} read it.
 *
 * <p>The contract: a configuration either builds or fails with {@link ConfigException} (naming the
 * field, or the file, line and column of a syntax error); a data file it names may fail with the data
 * reader's {@link DataFormatException} or, when it cannot be read, an {@link UncheckedIOException}, wrapped (a file
 * of a test section that cannot be read stays an unwrapped {@link UncheckedIOException}). A metrics log either reads, and then the doctor
 * diagnoses it and the report renders it without error, or fails with an {@link IOException} naming
 * the file and line. Anything else is a finding.
 */
class CliFuzzTest {
    /** Data files a fuzzed configuration can name (relative paths resolve against the scratch directory). */
    static {
        SeedCorpus.writeDataFiles(Scratch.DIR);
    }

    /** A run configuration: JSON when its first non-blank character is '{', YAML otherwise. */
    @FuzzTest
    void config(byte[] input) {
        String text = new String(input, java.nio.charset.StandardCharsets.ISO_8859_1).stripLeading();
        Path file = Scratch.write(text.startsWith("{") ? "run.json" : "run.yaml", input);
        try {
            JsonNode root = RunSpec.read(file);
            RunSpec.build(root, Scratch.DIR, Engine.serial(), file.toString());
        } catch (ConfigException e) {
            Throwable cause = e.getCause();
            if (cause != null && !(cause instanceof DataFormatException || cause instanceof IllegalArgumentException
                    || cause instanceof UncheckedIOException)) {
                throw new AssertionError("a configuration error hides " + cause, cause);
            }
        } catch (UncheckedIOException expected) {
            // a data file the configuration names cannot be read: an I/O error, named
        }
    }

    /** A metrics log read as {@code report} reads it, diagnosed and rendered. */
    @FuzzTest
    void metricsLog(byte[] input) {
        Path file = Scratch.write(MetricsLog.FILE_NAME, input);
        MetricsLog.Contents log;
        try {
            log = MetricsLog.read(file);
        } catch (IOException expected) {
            return;
        }
        List<Verdict> verdicts = GradientDoctor.standard().diagnose(new RunView(log.steps(), ModelFacts.unknown(), Double.NaN));
        HtmlReport.render(log, verdicts, "fuzz");
    }
}
