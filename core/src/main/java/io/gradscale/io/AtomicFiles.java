package io.gradscale.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that, whatever happens during the write (an exception, a killed process, a power
 * cut), the target afterwards holds either its previous contents or the complete new contents.
 *
 * <p>The recipe of POSIX {@code rename(2)}: write to a temporary file in the same directory (a rename
 * is atomic only within one file system), flush it to the device ({@link FileChannel#force}),
 * rename it over the target ({@link StandardCopyOption#ATOMIC_MOVE}), then flush the directory so
 * that the rename itself survives a power cut. If anything fails before the rename, the temporary
 * file is deleted and the target is untouched. A file system that cannot rename atomically is an
 * error, not a silent fallback to a copy.
 */
public final class AtomicFiles {
    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicFiles() {}

    /** Writes the contents of a file to a stream. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces {@code target} atomically with what {@code body} writes. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        // Not Files.createTempFile: it makes the file owner-only (0600), and a checkpoint should get
        // the permissions of any other file the user creates.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        boolean moved = false;
        try {
            writeDurably(ch, body);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + abs + " atomically: the file system does not support atomic rename", e);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Replaces {@code target} atomically with {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Writes {@code file} (created, or truncated if it exists) and forces its contents to the device before returning. */
    public static void writeDurably(Path file, Body body) throws IOException {
        writeDurably(FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING), body);
    }

    private static void writeDurably(FileChannel channel, Body body) throws IOException {
        try (FileChannel ch = channel) {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER_BYTES);
            body.writeTo(out);
            out.flush();
            ch.force(true);
        }
    }

    /**
     * Forces a directory's entries (new names, renames) to the device. Windows cannot open a directory
     * as a channel; there NTFS journals the rename itself, so the call is skipped.
     */
    public static void syncDirectory(Path dir) throws IOException {
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows")) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
