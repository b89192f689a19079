package io.gradscale.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The scratch directory a fuzz target writes its input into, so that each reader is fuzzed through
 * the same {@code Path} entry point a user's file takes. One per JVM, under {@code /dev/shm} when
 * there is one (no disk traffic at tens of thousands of executions a second), deleted on exit.
 */
final class Scratch {
    static final Path DIR = create();

    private Scratch() {
    }

    private static Path create() {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "gradscale-fuzz-") : Files.createTempDirectory("gradscale-fuzz-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} as {@code name} in the scratch directory (replacing it) and returns its path. */
    static Path write(String name, byte[] bytes) {
        try {
            Path p = DIR.resolve(name);
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty directory {@code name} under the scratch directory. */
    static Path emptyDir(String name) {
        Path d = DIR.resolve(name);
        deleteTree(d);
        try {
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
