package io.gradscale.nn;

/**
 * The nonlinearity that follows a layer, which decides the gain an initializer applies so that the
 * variance of activations (and of gradients) is preserved from layer to layer.
 *
 * <p>The gains are PyTorch's {@code torch.nn.init.calculate_gain}: 1 for linear and sigmoid, 5/3 for
 * tanh, {@code sqrt(2)} for ReLU (He et al., "Delving deep into rectifiers", ICCV 2015),
 * {@code sqrt(2 / (1 + slope^2))} for Leaky ReLU, 3/4 for SELU.
 */
public enum Nonlinearity {
    LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, SELU;

    /** PyTorch's default negative slope for {@link #LEAKY_RELU} when none is given: {@code 0.01}. */
    public static final double DEFAULT_LEAKY_SLOPE = 0.01;

    /** The gain; {@code slope} is the negative slope of {@link #LEAKY_RELU} and is ignored by the others. */
    public double gain(double slope) {
        return switch (this) {
            case LINEAR, SIGMOID -> 1.0;
            case TANH -> 5.0 / 3.0;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1.0 + slope * slope));
            case SELU -> 3.0 / 4.0;
        };
    }

    /** The gain with the default Leaky ReLU slope. */
    public double gain() {
        return gain(DEFAULT_LEAKY_SLOPE);
    }
}
