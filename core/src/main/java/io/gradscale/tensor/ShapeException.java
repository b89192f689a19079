package io.gradscale.tensor;

/** An operation received operands whose shapes it cannot work with; the message names the operation and the shapes. */
public final class ShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ShapeException(String message) {
        super(message);
    }
}
