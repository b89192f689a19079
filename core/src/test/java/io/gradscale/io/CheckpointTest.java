package io.gradscale.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints round-trip, verify their checksums, and survive failures and kills during a write. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertStep(Checkpoint.Contents c, int step) {
        assertEquals(step, c.state().get("step").asInt());
        assertTrue(CheckpointWriterProcess.tensorsFor(step).get("0.weight").bitEquals(c.tensors().get("0.weight")));
        assertTrue(CheckpointWriterProcess.tensorsFor(step).get("0.bias").bitEquals(c.tensors().get("0.bias")));
        assertEquals(CheckpointWriterProcess.stateFor(step), c.state());
    }

    @Test
    void roundTripKeepsOnlyTheCommittedGeneration() throws IOException {
        ObjectNode state = CheckpointWriterProcess.stateFor(1);
        state.put("lr", 0.1f * 3);
        state.put("betas", 0.999);
        Map<String, Tensor> tensors = CheckpointWriterProcess.tensorsFor(1);
        assertEquals(1, Checkpoint.write(dir, tensors, state));
        Checkpoint.Contents c = Checkpoint.read(dir);
        assertEquals(1, c.generation());
        assertEquals(state.toString(), c.state().toString(), "a float node reads back as a double node with the same text");
        assertEquals(0.1f * 3, c.state().get("lr").floatValue(), "floats survive JSON exactly");
        assertEquals(List.of("0.weight", "0.bias"), List.copyOf(c.tensors().keySet()));

        assertEquals(2, Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(2), CheckpointWriterProcess.stateFor(2)));
        assertStep(Checkpoint.read(dir), 2);
        assertEquals(List.of("gen-000001", "gen-000002", "manifest.json"), names(dir), "the previous generation stays for readers");
        assertEquals(List.of("model.safetensors", "state.json"), names(dir.resolve("gen-000002")));
        Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(3), CheckpointWriterProcess.stateFor(3));
        assertEquals(List.of("gen-000002", "gen-000003", "manifest.json"), names(dir));
        assertEquals(Map.of("format", "pt"), Safetensors.read(dir.resolve("gen-000003/model.safetensors")).metadata());
    }

    /** A state whose serialisation throws after the weights and part of the state are written. */
    private static JsonNode failingState() {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("step", 99);
        s.putPOJO("optimizer", new Object() {
            @SuppressWarnings("unused")
            public String getMoments() {
                throw new IllegalStateException("simulated crash while writing state.json");
            }
        });
        return s;
    }

    @Test
    void aWriteThatFailsHalfwayLeavesThePreviousCheckpointIntact() throws IOException {
        Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(1), CheckpointWriterProcess.stateFor(1));
        byte[] manifestBefore = Files.readAllBytes(dir.resolve(Checkpoint.MANIFEST));
        IOException e = assertThrows(IOException.class,
                () -> Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(2), failingState()));
        assertTrue(e.getMessage().contains("simulated crash"), e.getMessage());
        assertArrayEquals(manifestBefore, Files.readAllBytes(dir.resolve(Checkpoint.MANIFEST)));
        assertEquals(List.of("gen-000001", "manifest.json"), names(dir), "the half-written generation is removed");
        assertStep(Checkpoint.read(dir), 1);
    }

    @Test
    void leftoversOfAKilledWriterAreIgnoredThenCleanedUp() throws IOException {
        Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(1), CheckpointWriterProcess.stateFor(1));
        Path orphan = Files.createDirectory(dir.resolve("gen-000005"));
        Files.write(orphan.resolve(Checkpoint.MODEL), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve(".manifest.json.123.tmp"), "{\"format\":");
        assertStep(Checkpoint.read(dir), 1);
        assertEquals(6, Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(3), CheckpointWriterProcess.stateFor(3)));
        assertEquals(List.of("gen-000001", "gen-000006", "manifest.json"), names(dir), "the unfinished generation 5 is gone");
        assertStep(Checkpoint.read(dir), 3);
    }

    @Test
    void corruptionNamesTheFile() throws IOException {
        Checkpoint.write(dir, CheckpointWriterProcess.tensorsFor(4), CheckpointWriterProcess.stateFor(4));
        Path model = dir.resolve("gen-000001").resolve(Checkpoint.MODEL);
        Path state = dir.resolve("gen-000001").resolve(Checkpoint.STATE);
        byte[] good = Files.readAllBytes(model);
        for (int at : new int[] {0, 9, good.length / 2, good.length - 1}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Files.write(model, bad);
            FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(dir));
            assertTrue(e.getMessage().contains(model.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
        }
        Files.write(model, good);
        String json = Files.readString(state, StandardCharsets.UTF_8);
        Files.writeString(state, json.substring(0, json.length() - 3), StandardCharsets.UTF_8);
        FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        Files.delete(state);
        e = assertThrows(FileFormatException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains(state.toString()) && e.getMessage().contains("missing"), e.getMessage());

        Files.writeString(dir.resolve(Checkpoint.MANIFEST), "{\"format\":\"other\",\"version\":1}");
        e = assertThrows(FileFormatException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains("expected format 'gradscale-checkpoint'"), e.getMessage());
        Files.delete(dir.resolve(Checkpoint.MANIFEST));
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> Checkpoint.read(dir));
        assertTrue(missing.getMessage().contains("no checkpoint in"), missing.getMessage());
    }

    @Test
    void atomicWriteThatThrowsLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("f.bin");
        AtomicFiles.write(target, "old".getBytes(StandardCharsets.UTF_8));
        assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]);
            throw new UncheckedIOException(new IOException("disk full"));
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("f.bin"), names(dir));
        AtomicFiles.write(target, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("f.bin"), names(dir));
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target),
                    "same permissions as any new file (the umask), not owner-only");
        }
    }

    /**
     * A writer process killed with SIGKILL at arbitrary moments: what it leaves must always read back
     * as one complete step, never a mixture of two.
     */
    @Test
    void aKilledWriterLeavesAConsistentCheckpoint() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 0; round < 3; round++) {
            Path d = dir.resolve("run" + round);
            Path log = dir.resolve("log" + round);
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    CheckpointWriterProcess.class.getName(), d.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(d.resolve(Checkpoint.MANIFEST)) || Checkpoint.read(d).generation() < 2 + round) {
                    assertTrue(p.isAlive(), () -> "the writer died: " + readLog(log));
                    assertTrue(System.nanoTime() < deadline, "the writer made no progress in 60 s");
                    Thread.sleep(5 + 7 * round);
                }
            } finally {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            assertFalse(p.isAlive());
            Checkpoint.Contents c = Checkpoint.read(d);
            assertStep(c, c.state().get("step").asInt());
            assertEquals(c.generation(), c.state().get("step").asLong());
        }
    }

    private static String readLog(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
