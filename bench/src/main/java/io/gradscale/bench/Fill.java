package io.gradscale.bench;

import io.gradscale.tensor.Rng;

/** Benchmark inputs from a seeded {@link Rng}, so every run measures the same data. */
final class Fill {
    private Fill() {
    }

    static float[] gaussian(Rng rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }
}
