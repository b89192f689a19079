package io.gradscale.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics log of a run: JSON lines, opened by a header with the run's {@link Provenance}, then one
 * object per step (every {@code n}-th step), evaluation and event, each with a {@code "type"} field
 * ({@code header}, {@code step}, {@code eval}, {@code event}, {@code test}). An eval line of a run
 * without validation ({@link EvalRecord#validated()} false) carries no validation fields. Non-finite numbers are written as the
 * strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
 *
 * <p>Reports and {@code diagnose} read only this file, through {@link #read(Path)}.
 */
public final class MetricsLog implements TrainingListener, Closeable {
    /** The file name of the metrics log inside a run directory. */
    public static final String FILE_NAME = "metrics.jsonl";

    /**
     * Longest time buffered lines wait before they reach the file, so that a reader following the log while
     * the run trains ({@code gradscale watch}) lags by at most this much; flushing every step would cost a
     * system call per step.
     */
    public static final long FLUSH_INTERVAL_NANOS = 1_000_000_000L;

    private static final ObjectMapper JSON = Json.mapper();
    private static final String VAL_LOSS = "valLoss";
    private static final String VAL_ACCURACY = "valAccuracy";

    private final Path path;
    private final BufferedWriter out;
    private final int every;
    private long lastFlush = System.nanoTime();

    /** Opens (truncating) {@code path} and writes the header. Logs every {@code every}-th step (1 = all). */
    public MetricsLog(Path path, Provenance provenance, int every) throws IOException {
        if (every < 1) {
            throw new IllegalArgumentException("metrics log interval must be at least 1, got " + every);
        }
        this.path = path;
        this.every = every;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
        write("header", JSON.valueToTree(provenance));
    }

    private MetricsLog(Path path, int every, BufferedWriter out) {
        this.path = path;
        this.every = every;
        this.out = out;
    }

    /**
     * Reopens the log of a run resumed from a checkpoint: cuts {@code path} back to its first
     * {@code bytes} bytes (its length when the checkpoint was taken, so that the records of steps after
     * the checkpoint, which the resumed run takes again, are not there twice) and appends from there.
     */
    public static MetricsLog resume(Path path, long bytes, int every) throws IOException {
        if (every < 1) {
            throw new IllegalArgumentException("metrics log interval must be at least 1, got " + every);
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
            if (ch.size() < bytes) {
                throw new IOException("the metrics log " + path + " has " + ch.size() + " bytes, fewer than the " + bytes
                        + " it had when the checkpoint was taken: it was cut or replaced, and the run cannot be resumed exactly");
            }
            ch.truncate(bytes);
            ch.force(true);
        }
        return new MetricsLog(path, every, Files.newBufferedWriter(path, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND));
    }

    public Path path() {
        return path;
    }

    @Override
    public void onStep(StepRecord r) {
        if (logs(r, every)) {
            write("step", JSON.valueToTree(r));
            long now = System.nanoTime();
            if (now - lastFlush >= FLUSH_INTERVAL_NANOS) {
                flush();
            }
        }
    }

    /** True when a log that keeps every {@code every}-th step writes {@code r}: skipped and non-finite steps always are. */
    public static boolean logs(StepRecord r, int every) {
        return r.step() % every == 0 || r.skipped() || !Double.isFinite(r.loss());
    }

    @Override
    public void onEval(EvalRecord r) {
        ObjectNode o = JSON.valueToTree(r);
        if (!r.validated()) {
            o.remove(List.of(VAL_LOSS, VAL_ACCURACY)); // no validation set: nothing to write, rather than NaN
        }
        write("eval", o);
    }

    /** Writes the test set's metrics, measured once after training (see {@link TestRecord}). */
    public void onTest(TestRecord r) {
        write("test", JSON.valueToTree(r));
        flush();
    }

    @Override
    public void onEvent(EventRecord r) {
        write("event", JSON.valueToTree(r));
        flush();
    }

    private void write(String type, JsonNode body) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", type);
        o.setAll((ObjectNode) body);
        try {
            out.write(JSON.writeValueAsString(o));
            out.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics log " + path, e);
        }
    }

    /** Flushes buffered lines to the file. */
    public void flush() {
        lastFlush = System.nanoTime();
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics log " + path, e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** Everything a metrics log holds, in file order. */
    public record Contents(Provenance provenance, List<StepRecord> steps, List<EvalRecord> evals, List<EventRecord> events,
                           List<TestRecord> tests) {
        /** Contents without test metrics. */
        public Contents(Provenance provenance, List<StepRecord> steps, List<EvalRecord> evals, List<EventRecord> events) {
            this(provenance, steps, evals, events, List.of());
        }
    }

    /** Reads a metrics log; a malformed line fails with the file and line number. */
    public static Contents read(Path path) throws IOException {
        Provenance prov = null;
        List<StepRecord> steps = new ArrayList<>();
        List<EvalRecord> evals = new ArrayList<>();
        List<EventRecord> events = new ArrayList<>();
        List<TestRecord> tests = new ArrayList<>();
        try (java.io.BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    switch (parseLine(line)) {
                        case Provenance p -> prov = p;
                        case StepRecord r -> steps.add(r);
                        case EvalRecord r -> evals.add(r);
                        case TestRecord r -> tests.add(r);
                        case EventRecord r -> events.add(r);
                        default -> throw new IllegalStateException("parseLine returned an unexpected type");
                    }
                } catch (IOException e) {
                    throw new IOException(path + ", line " + lineNo + ": not a metrics record: " + e.getMessage(), e);
                }
            }
        }
        if (prov == null) {
            throw new IOException(path + ": no header line; is this a gradscale metrics log?");
        }
        return new Contents(prov, steps, evals, events, tests);
    }

    /** An eval line of a run without validation has no validation fields; in memory they are NaN. */
    private static ObjectNode withoutValidationAsNaN(ObjectNode o) {
        if (!o.has(VAL_LOSS)) {
            o.put(VAL_LOSS, "NaN");
        }
        if (!o.has(VAL_ACCURACY)) {
            o.put(VAL_ACCURACY, "NaN");
        }
        return o;
    }

    /**
     * One line of a metrics log as its record: a {@link Provenance} (the header), {@link StepRecord},
     * {@link EvalRecord}, {@link TestRecord} or {@link EventRecord}. For readers that follow a log as it grows.
     *
     * @throws IOException when the line is not JSON or not a known record type
     */
    public static Object parseLine(String line) throws IOException {
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(line);
            String type = o.path("type").asText("");
            o.remove("type");
            return switch (type) {
                case "header" -> JSON.treeToValue(o, Provenance.class);
                case "step" -> JSON.treeToValue(o, StepRecord.class);
                case "eval" -> JSON.treeToValue(withoutValidationAsNaN(o), EvalRecord.class);
                case "test" -> JSON.treeToValue(o, TestRecord.class);
                case "event" -> JSON.treeToValue(o, EventRecord.class);
                default -> throw new IOException("unknown record type '" + type + "'");
            };
        } catch (ClassCastException e) {
            throw new IOException("expected a JSON object, got: " + e.getMessage(), e);
        }
    }
}
