package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs, same bits: one configuration trained through the command line on 1, 2 and 3 threads and
 * on 1 thread again gives the same final weights and buffers, optimizer and trainer state, metrics log
 * (step times aside), diagnosis and configuration, and the same provenance but for its time stamp and
 * the thread count it records. The models are large enough that products and loops really are split
 * over the threads (products of 2^20 multiply-adds and more go to the pool).
 */
class SameBitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String MLP = """
            name: same-bits-mlp
            seed: 21
            data: {source: two_spirals, size: 320, validation: 0.2}
            model: {type: mlp, hidden: [256, 256], activation: relu, init: he, batch_norm: true, dropout: 0.1}
            transforms: [{type: clip_global_norm, max_norm: 1.0}]
            optimizer: {type: adam, lr: 0.003}
            training: {mode: mini_batch, batch_size: 64, epochs: 1}
            monitor: {every: 3}
            """;

    private static final String LSTM = """
            name: same-bits-lstm
            seed: 22
            data: {source: adding, size: 160, length: 10, validation: 0.2}
            model: {type: lstm, hidden: [128]}
            transforms: [{type: clip_global_norm, max_norm: 1.0}]
            optimizer: {type: adam, lr: 0.003}
            training: {mode: mini_batch, batch_size: 32, epochs: 1}
            monitor: {every: 2}
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lstm"})
    void oneTwoAndThreeThreadsAndARepeatGiveTheSameBits(String model) throws IOException {
        Path config = dir.resolve(model + ".yaml");
        Files.writeString(config, model.equals("mlp") ? MLP : LSTM);
        Path first = train(config, 1, "t1");
        for (String[] run : new String[][] {{"2", "t2"}, {"3", "t3"}, {"1", "t1-again"}}) {
            int threads = Integer.parseInt(run[0]);
            Path other = train(config, threads, run[1]);
            List<String> diffs = KillHarness.compare(first, other, List.of("startedAt", "threads"));
            assertTrue(diffs.isEmpty(), model + " on " + threads + " thread(s), run " + run[1] + ": " + diffs);
            assertEquals(Files.readString(first.resolve("config.json")), Files.readString(other.resolve("config.json")));
            JsonNode a = header(first);
            JsonNode b = header(other);
            assertEquals(1, a.get("threads").asInt());
            assertEquals(threads, b.get("threads").asInt());
            for (JsonNode h : List.of(a, b)) {
                ((ObjectNode) h).remove(List.of("startedAt", "threads"));
            }
            assertEquals(a, b, "provenance, time stamp and thread count aside");
        }
    }

    private Path train(Path config, int threads, String name) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), "train", config.toString(), "--threads", "" + threads,
                "--out", dir.resolve(name).toString());
        assertEquals(0, code, err.toString());
        Matcher m = Pattern.compile("run directory: (.*)").matcher(out.toString());
        assertTrue(m.find(), out.toString());
        return Path.of(m.group(1).strip());
    }

    private static JsonNode header(Path runDir) throws IOException {
        return JSON.readTree(Files.readAllLines(runDir.resolve(MetricsLog.FILE_NAME)).get(0));
    }
}
