package io.gradscale.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Why a file could not be read or written, in words a user acts on. The JDK's file exceptions carry the
 * path as their message ({@code NoSuchFileException: data.csv}), so a message built as
 * {@code "cannot read " + file + ": " + e.getMessage()} repeats the path and never says why.
 */
public final class FileErrors {
    private FileErrors() {
    }

    /** The reason alone: "no such file", "permission denied", "is a directory", or the system's own reason. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "a path component is not a directory";
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
