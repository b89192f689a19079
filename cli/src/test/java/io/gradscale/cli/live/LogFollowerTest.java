package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.diag.ModelFacts;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code watch} follows a metrics log that grows, cut anywhere, replaced, and then finished. */
class LogFollowerTest {
    @TempDir
    Path dir;

    private static final Provenance PROV = new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now");

    private static StepRecord step(long i) {
        return new StepRecord(i, 0, 1.0 / (i + 1), 0.1, i, 1, false, Map.of(), Map.of(), Map.of());
    }

    /** The bytes of a log with a header and {@code steps} step records, as MetricsLog writes them. */
    private byte[] log(int steps) throws IOException {
        Path tmp = Files.createTempFile(dir, "log", ".jsonl");
        try (MetricsLog log = new MetricsLog(tmp, PROV, 1)) {
            for (int i = 0; i < steps; i++) {
                log.onStep(step(i));
            }
        }
        return Files.readAllBytes(tmp);
    }

    @Test
    void followsCompleteLinesWhereverTheWriterCut() throws IOException {
        byte[] whole = log(5);
        Path file = dir.resolve(MetricsLog.FILE_NAME);
        // every way of cutting the log into two writes yields the same records
        for (int cut = 0; cut <= whole.length; cut += 7) {
            Files.deleteIfExists(file);
            LiveRun run = new LiveRun(ModelFacts.unknown());
            LogFollower follower = new LogFollower(dir);
            assertFalse(follower.drainInto(run), "no log yet");
            Files.write(file, java.util.Arrays.copyOf(whole, cut));
            follower.drainInto(run);
            long complete = countSteps(new String(whole, 0, cut, StandardCharsets.UTF_8));
            assertEquals(complete, run.seenSteps(), "after " + cut + " bytes");
            Files.write(file, java.util.Arrays.copyOfRange(whole, cut, whole.length), StandardOpenOption.APPEND);
            follower.drainInto(run);
            assertEquals(5, run.seenSteps(), "after the rest, cut at " + cut);
            assertFalse(follower.drainInto(run), "nothing new");
            assertFalse(run.finished());
        }
    }

    private static long countSteps(String text) {
        int end = text.lastIndexOf('\n');
        return end < 0 ? 0 : text.substring(0, end).lines().filter(l -> l.contains("\"type\":\"step\"")).count();
    }

    @Test
    void aReplacedLogStartsOverAndDiagnosisFinishes() throws IOException {
        Path file = dir.resolve(MetricsLog.FILE_NAME);
        LiveRun run = new LiveRun(ModelFacts.unknown());
        LogFollower follower = new LogFollower(dir);
        Files.write(file, log(6));
        assertTrue(follower.drainInto(run));
        assertEquals(6, run.seenSteps());
        Files.write(file, log(2));
        assertTrue(follower.drainInto(run));
        assertEquals(2, run.seenSteps(), "a shorter log is a new run, read from its start");
        Path diagnosis = dir.resolve("diagnosis.json");
        Files.writeString(diagnosis, "[{\"detector\": \"expl");
        assertFalse(follower.drainInto(run), "a diagnosis still being written is waited for");
        assertFalse(run.finished());
        Files.setLastModifiedTime(diagnosis, java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - 2 * LogFollower.DIAGNOSIS_SETTLE_MILLIS));
        IOException e = assertThrows(IOException.class, () -> follower.drainInto(run), "one left broken is an error");
        assertTrue(e.getMessage().contains("diagnosis.json"), e.getMessage());
        Files.writeString(diagnosis, "[]");
        assertTrue(follower.drainInto(run));
        assertTrue(run.finished());
    }

    @Test
    void aMalformedLineNamesFileAndLine() throws IOException {
        Path file = dir.resolve(MetricsLog.FILE_NAME);
        Files.write(file, log(1));
        Files.writeString(file, "{\"type\":\"nonsense\"}\n", StandardOpenOption.APPEND);
        IOException e = assertThrows(IOException.class, () -> new LogFollower(dir).drainInto(new LiveRun(ModelFacts.unknown())));
        assertTrue(e.getMessage().contains(file + ", line 3") && e.getMessage().contains("nonsense"), e.getMessage());
    }
}
