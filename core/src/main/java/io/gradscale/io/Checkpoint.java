package io.gradscale.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.tensor.Tensor;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A checksummed checkpoint directory: weights in safetensors under PyTorch names, everything else
 * (optimizer, transform and trainer state, random generator positions) as JSON.
 *
 * <p>Layout of a checkpoint directory {@code dir}:
 * <pre>
 * dir/manifest.json               the commit point: generation, files, their sizes and SHA-256
 * dir/gen-000007/model.safetensors  tensors ({@link Safetensors}; PyTorch's load_state_dict reads them)
 * dir/gen-000007/state.json         the JSON state
 * </pre>
 *
 * <p>{@link #write} puts a new generation in a fresh sub-directory, forces every file and the
 * sub-directory to the device, and only then replaces {@code manifest.json} atomically
 * ({@link AtomicFiles}). Until that rename the manifest names the previous generation, whose files
 * are untouched; afterwards it names the new one, complete and on disk. So a crash at any point
 * leaves a loadable checkpoint: the old one or the new one, never a mixture. After the commit,
 * unfinished generations and all but the previous committed one are deleted; the previous one is kept
 * so that a reader that read the old manifest just before the commit can still finish, and
 * {@link #read} starts over if the manifest changes while it reads. One writer at a time per
 * directory.
 *
 * <p>{@link #read} checks each file's size and SHA-256 against the manifest before parsing it, so a
 * corrupted byte fails with the file's name rather than loading wrong weights.
 */
public final class Checkpoint {
    /** Name of the commit file. */
    public static final String MANIFEST = "manifest.json";
    /** Name of the weights file inside a generation. */
    public static final String MODEL = "model.safetensors";
    /** Name of the JSON state file inside a generation. */
    public static final String STATE = "state.json";
    /** The manifest's {@code format} value. */
    public static final String FORMAT = "gradscale-checkpoint";
    /** The manifest version this code writes and reads. */
    public static final int VERSION = 1;

    /** How often {@link #read} starts over when a writer commits while it reads. */
    private static final int MAX_READ_ATTEMPTS = 3;

    private static final Pattern GENERATION = Pattern.compile("gen-(\\d{6,18})");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Checkpoint() {}

    /** What a checkpoint holds. */
    public record Contents(long generation, Map<String, Tensor> tensors, JsonNode state) {}

    /**
     * Writes a new generation of the checkpoint in {@code dir} (created if needed) and commits it.
     *
     * @param tensors weights and buffers under PyTorch-style names, written as F32 in map order
     * @param state   the rest of the training state
     * @return the generation number written
     */
    public static long write(Path dir, Map<String, Tensor> tensors, JsonNode state) throws IOException {
        return write(dir, tensors, state, WriteObserver.NONE);
    }

    /** The points of {@link #write} between which a crash leaves a generation that is not committed. */
    public enum Stage {
        /** The new generation's directory exists, empty. */
        GENERATION_CREATED,
        /** Its weights file is written and forced to the device. */
        MODEL_WRITTEN,
        /** Its state file too, and the directory: next comes the manifest's rename, the commit. */
        STATE_WRITTEN
    }

    /**
     * Hears {@link #write} reach each {@link Stage}, in order, before it goes on. For crash tests: the kill harness
     * pauses there (see {@code train}'s {@code GRADSCALE_TEST_CHECKPOINT_PAUSE_MS}) so that a kill can be aimed into
     * an uncommitted write. What it throws aborts the write as any failure does.
     */
    @FunctionalInterface
    public interface WriteObserver {
        /** Hears nothing: the default. */
        WriteObserver NONE = stage -> {
        };

        void reached(Stage stage) throws IOException;
    }

    /** As {@link #write(Path, Map, JsonNode)}, telling {@code observer} each stage reached before the commit. */
    public static long write(Path dir, Map<String, Tensor> tensors, JsonNode state, WriteObserver observer) throws IOException {
        Files.createDirectories(dir);
        long previous = committedGeneration(dir);
        long generation = nextGeneration(dir);
        Path gen = dir.resolve(generationName(generation));
        Files.createDirectory(gen);
        try {
            observer.reached(Stage.GENERATION_CREATED);
            ObjectNode files = JSON.createObjectNode();
            files.set(MODEL, writeHashed(gen.resolve(MODEL),
                    out -> Safetensors.write(out, tensors, Map.of("format", "pt"))));
            observer.reached(Stage.MODEL_WRITTEN);
            files.set(STATE, writeHashed(gen.resolve(STATE), out -> JSON.writeValue(nonClosing(out), state)));
            AtomicFiles.syncDirectory(gen);
            observer.reached(Stage.STATE_WRITTEN);
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            manifest.put("version", VERSION);
            manifest.put("generation", generation);
            manifest.put("directory", gen.getFileName().toString());
            manifest.set("files", files);
            AtomicFiles.write(dir.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
        } catch (IOException | RuntimeException | Error e) {
            try {
                deleteTree(gen);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        removeStale(dir, generation, previous);
        return generation;
    }

    /** Reads and verifies the committed generation of the checkpoint in {@code dir}. */
    public static Contents read(Path dir) throws IOException {
        for (int attempt = 1; ; attempt++) {
            byte[] manifest = readManifest(dir);
            try {
                return read(dir, manifest);
            } catch (FileFormatException | IOException e) {
                byte[] now;
                try {
                    now = readManifest(dir);
                } catch (IOException again) {
                    e.addSuppressed(again);
                    throw e;
                }
                if (Arrays.equals(manifest, now) || attempt == MAX_READ_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static byte[] readManifest(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        try {
            return Files.readAllBytes(manifestFile);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(manifestFile.toString(), null, "no checkpoint in " + dir + ": " + MANIFEST + " is missing");
        }
    }

    /** The generation the current manifest commits, or 0 if there is none or it cannot be read. */
    private static long committedGeneration(Path dir) {
        try {
            return JSON.readTree(Files.readAllBytes(dir.resolve(MANIFEST))).path("generation").asLong(0);
        } catch (IOException e) {
            return 0;
        }
    }

    private static Contents read(Path dir, byte[] manifestBytes) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestBytes);
        } catch (IOException e) {
            throw new FileFormatException("checkpoint manifest " + manifestFile + " is not valid JSON: " + e.getMessage(), e);
        }
        if (manifest == null || !FORMAT.equals(manifest.path("format").asText()) || manifest.path("version").asInt(-1) != VERSION) {
            throw new FileFormatException("checkpoint manifest " + manifestFile + ": expected format '" + FORMAT + "' version "
                    + VERSION + ", got format '" + (manifest == null ? null : manifest.path("format").asText()) + "' version "
                    + (manifest == null ? null : manifest.path("version")));
        }
        String genName = manifest.path("directory").asText();
        long generation = manifest.path("generation").asLong(-1);
        if (!genName.equals(generationName(generation))) {
            throw new FileFormatException("checkpoint manifest " + manifestFile + ": directory '" + genName
                    + "' does not match generation " + manifest.path("generation"));
        }
        Path gen = dir.resolve(genName);
        JsonNode files = manifest.path("files");
        for (String name : List.of(MODEL, STATE)) {
            verify(gen.resolve(name), files.path(name), manifestFile);
        }
        Safetensors.Contents model = Safetensors.read(gen.resolve(MODEL));
        JsonNode state;
        try {
            state = JSON.readTree(Files.readAllBytes(gen.resolve(STATE)));
        } catch (NoSuchFileException e) {
            throw new FileFormatException("checkpoint file " + gen.resolve(STATE) + " named by " + manifestFile + " is missing", e);
        } catch (IOException e) {
            throw new FileFormatException("checkpoint state " + gen.resolve(STATE) + " is not valid JSON: " + e.getMessage(), e);
        }
        return new Contents(generation, model.tensors(), state);
    }

    /** Writes a file durably and returns its {@code {"bytes": n, "sha256": hex}} entry. */
    private static ObjectNode writeHashed(Path file, AtomicFiles.Body body) throws IOException {
        MessageDigest sha = sha256();
        long[] count = {0};
        AtomicFiles.writeDurably(file, out -> body.writeTo(new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                sha.update((byte) b);
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                sha.update(b, off, len);
                count[0] += len;
            }
        }));
        ObjectNode entry = JSON.createObjectNode();
        entry.put("bytes", count[0]);
        entry.put("sha256", HexFormat.of().formatHex(sha.digest()));
        return entry;
    }

    private static void verify(Path file, JsonNode entry, Path manifestFile) throws IOException {
        String expectedHash = entry.path("sha256").asText();
        long expectedBytes = entry.path("bytes").asLong(-1);
        if (expectedHash.length() != 64 || expectedBytes < 0) {
            throw new FileFormatException("checkpoint manifest " + manifestFile + " has no valid size and SHA-256 for " + file.getFileName());
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new FileFormatException("checkpoint file " + file + " named by " + manifestFile + " is missing", e);
        }
        if (size != expectedBytes) {
            throw new FileFormatException("checkpoint file " + file + " has " + size + " bytes, the manifest records "
                    + expectedBytes + ": the file is truncated or corrupted");
        }
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                sha.update(buf, 0, r);
            }
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(expectedHash)) {
            throw new FileFormatException("checkpoint file " + file + " is corrupted: its SHA-256 is " + actual
                    + ", the manifest records " + expectedHash);
        }
    }

    private static long nextGeneration(Path dir) throws IOException {
        long max = 0;
        for (Path p : generationDirs(dir)) {
            max = Math.max(max, generationOf(p));
        }
        return max + 1;
    }

    /** Deletes every generation but these two, and temporary files a killed writer left behind. */
    private static void removeStale(Path dir, long keep, long previous) throws IOException {
        for (Path p : generationDirs(dir)) {
            long g = generationOf(p);
            if (g != keep && g != previous) {
                deleteTree(p);
            }
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "." + MANIFEST + ".*.tmp")) {
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<Path> generationDirs(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "gen-*")) {
            for (Path p : s) {
                if (Files.isDirectory(p) && GENERATION.matcher(p.getFileName().toString()).matches()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static long generationOf(Path p) {
        Matcher m = GENERATION.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a generation directory: " + p);
        }
        return Long.parseLong(m.group(1));
    }

    private static String generationName(long generation) {
        return String.format("gen-%06d", generation);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
