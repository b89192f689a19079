package io.gradscale.data;

/**
 * Bad input data: the message names the file, and where it applies the 1-based line and the column,
 * what was expected and what was found.
 */
public final class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
