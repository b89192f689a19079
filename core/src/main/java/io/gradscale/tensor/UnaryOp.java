package io.gradscale.tensor;

/**
 * Element-wise functions and their derivatives: the single scalar definition of each, which every
 * kernel (scalar or SIMD) is tested against.
 *
 * <p>{@link #apply} computes {@code y = f(x; p)}; {@link #derivative} computes {@code dy/dx} from the
 * input {@code x}, the output {@code y} and the parameter {@code p} (the slope of Leaky ReLU, the
 * alpha of ELU, the beta of softplus; ignored by the others).
 */
public enum UnaryOp {
    NEG, ABS, SQUARE, SQRT, RECIPROCAL, EXP, LOG, TANH, SIGMOID, RELU, LEAKY_RELU, ELU,
    /** The exact GELU, {@code x * Phi(x)}, as PyTorch's default {@code approximate='none'}. */
    GELU,
    /** {@code log(1 + exp(beta x)) / beta}, linear above {@code beta x > 20} as in PyTorch. */
    SOFTPLUS;

    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    /** {@code f(x; p)}, computed in double and rounded once. */
    public float apply(float xf, float p) {
        double x = xf;
        return switch (this) {
            case NEG -> -xf;
            case ABS -> Math.abs(xf);
            case SQUARE -> (float) (x * x);
            case SQRT -> (float) Math.sqrt(x);
            case RECIPROCAL -> (float) (1.0 / x);
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> (float) sigmoid(x);
            case RELU -> xf > 0f ? xf : 0f;
            case LEAKY_RELU -> xf > 0f ? xf : (float) (p * x);
            case ELU -> xf > 0f ? xf : (float) (p * Math.expm1(x));
            case GELU -> (float) (0.5 * x * (1.0 + Erf.erf(x * INV_SQRT2)));
            case SOFTPLUS -> p * x > 20.0 ? xf : (float) (Math.log1p(Math.exp(p * x)) / p);
        };
    }

    /** {@code f'(x)} given the input {@code x} and the output {@code y = f(x)}. */
    public float derivative(float xf, float yf, float p) {
        double x = xf;
        double y = yf;
        return switch (this) {
            case NEG -> -1f;
            case ABS -> xf > 0f ? 1f : (xf < 0f ? -1f : 0f);
            case SQUARE -> (float) (2.0 * x);
            case SQRT -> (float) (0.5 / y);
            case RECIPROCAL -> (float) (-y * y);
            case EXP -> yf;
            case LOG -> (float) (1.0 / x);
            case TANH -> (float) (1.0 - y * y);
            case SIGMOID -> (float) (y * (1.0 - y));
            case RELU -> xf > 0f ? 1f : 0f;
            case LEAKY_RELU -> xf > 0f ? 1f : p;
            case ELU -> xf > 0f ? 1f : (float) (y + p);
            case GELU -> (float) (0.5 * (1.0 + Erf.erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
            case SOFTPLUS -> p * x > 20.0 ? 1f : (float) sigmoid(p * x);
        };
    }

    /** True when the derivative needs the input (otherwise the output alone suffices). */
    public boolean derivativeUsesInput() {
        return switch (this) {
            case EXP, TANH, SIGMOID, SQRT, RECIPROCAL -> false;
            default -> true;
        };
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    }
}
