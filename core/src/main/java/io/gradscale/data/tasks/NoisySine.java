package io.gradscale.data.tasks;

import io.gradscale.data.Dataset;
import io.gradscale.data.Windows;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * A noisy sine series to forecast: {@code s_t = sin(2 pi t / period) + noise * e_t},
 * {@code e_t ~ N(0, 1)} independent, {@code t = 0 .. length-1}, cut into windows by {@link Windows}
 * (inputs {@code [n, window, 1]}, target {@code s} at {@code horizon} steps after the window,
 * {@code [n, 1]}).
 *
 * <p>The smallest reachable mean squared error is about {@code noise^2} (the noise of the target
 * cannot be forecast), which gives a test a floor to compare a trained model's loss against.
 */
public final class NoisySine {
    private NoisySine() {}

    /** The series itself, {@code [length, 1]}. */
    public static Tensor series(int length, double period, double noise, Rng rng) {
        if (length < 1) {
            throw new IllegalArgumentException("length must be >= 1, got " + length);
        }
        if (!(period > 0) || Double.isInfinite(period) || !(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("period must be positive and noise non-negative (both finite), got "
                    + period + " and " + noise);
        }
        float[] s = new float[length];
        for (int t = 0; t < length; t++) {
            s[t] = (float) (Math.sin(2 * Math.PI * t / period) + noise * rng.nextGaussian());
        }
        return Tensor.wrap(s, length, 1);
    }

    /** Forecasting windows over a fresh series of {@code length} steps. */
    public static Dataset generate(int length, double period, double noise, int window, int horizon, Rng rng) {
        return Windows.of(series(length, period, noise, rng), window, horizon, 0);
    }
}
