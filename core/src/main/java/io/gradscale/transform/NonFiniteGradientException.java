package io.gradscale.transform;

/** A gradient held NaN or infinity and the guard's policy is {@link NonFinitePolicy#FAIL}. */
public final class NonFiniteGradientException extends RuntimeException {
    private final String path;

    public NonFiniteGradientException(String path, long step, int count, int size) {
        super("step " + step + ": the gradient of parameter '" + path + "' has " + count + " non-finite value(s) (NaN or infinity) among "
                + size + " elements");
        this.path = path;
    }

    /** The path of the first parameter found with a non-finite gradient. */
    public String path() {
        return path;
    }
}
