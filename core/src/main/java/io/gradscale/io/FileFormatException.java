package io.gradscale.io;

/**
 * A file that does not follow its format, or whose contents do not match their checksum. The
 * message names the file, what was expected and what was found.
 */
public final class FileFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FileFormatException(String message) {
        super(message);
    }

    public FileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
