package io.gradscale.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.gradscale.train.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * How a training run stands, in {@value #FILE_NAME} next to its metrics log: written as {@code running} before
 * the first step, replaced by {@code completed} or {@code failed} (with the error) at the end. A run directory
 * whose status still says {@code running} after the process is gone was interrupted (killed, out of memory).
 *
 * @param status {@code running}, {@code completed} or {@code failed}
 * @param message why the run stopped (its stop reason, or the error of a failed run)
 * @param steps training steps taken
 * @param examples training examples the steps processed (an example seen in two epochs counts twice)
 * @param trainingSeconds time from the start of training to the end of the last step
 * @param firstStepSeconds the first step alone: mostly the JIT compiling the hot loops (warm-up)
 * @param examplesPerSecond throughput after the first step (its examples over its time), NaN with one step
 * @param processSeconds time from the start of the process (the JVM) to the end of training: reading the data,
 *     building the model and training
 */
public record RunStatus(String status, String message, long steps, long examples, double trainingSeconds,
                        double firstStepSeconds, double examplesPerSecond, double processSeconds) {
    /** The status file's name inside a run directory. */
    public static final String FILE_NAME = "run.json";
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /** The status of a run that is about to take its first step. */
    public static RunStatus running() {
        return new RunStatus(RUNNING, "", 0, 0, 0, Double.NaN, Double.NaN, Double.NaN);
    }

    /** True once the run ended in an error. */
    public boolean failed() {
        return FAILED.equals(status);
    }

    /** Writes {@code dir}/{@value #FILE_NAME}. */
    public void write(Path dir) throws IOException {
        Files.writeString(dir.resolve(FILE_NAME), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(this));
    }

    /** The status recorded in {@code dir}, empty for a run directory written before status files existed. */
    public static Optional<RunStatus> read(Path dir) throws IOException {
        Path f = dir.resolve(FILE_NAME);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readValue(f.toFile(), RunStatus.class));
        } catch (JsonProcessingException e) {
            throw new IOException(f + ": expected a run status (status, message, steps, ...): " + e.getOriginalMessage(), e);
        }
    }

    /** One line for the console: training time apart from the first step's warm-up, throughput, process time. */
    public String timeLine() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "time: training %.2f s", trainingSeconds));
        if (steps > 1) {
            b.append(String.format(Locale.ROOT, " (first step %.2f s of warm-up, then %d steps in %.2f s: %.0f examples/s)",
                    firstStepSeconds, steps - 1, trainingSeconds - firstStepSeconds, examplesPerSecond));
        }
        return b.append(String.format(Locale.ROOT, "; process %.2f s (reading data, building the model, training)", processSeconds))
                .toString();
    }
}
