package io.gradscale.train;

/**
 * The three modes of gradient descent, by how many examples each step's gradient averages over.
 *
 * <ul>
 *   <li>{@link Mode#BATCH}: the whole training set per step, the exact gradient of the empirical loss
 *       (one step per epoch; smooth, but each step costs a full pass);</li>
 *   <li>{@link Mode#STOCHASTIC}: one example per step (Robbins and Monro 1951): cheap, noisy steps;</li>
 *   <li>{@link Mode#MINI_BATCH}: {@code k} examples per step, the usual compromise between the two.</li>
 * </ul>
 *
 * @param mode which of the three
 * @param batchSize examples per step for {@code MINI_BATCH}; 1 for {@code STOCHASTIC}; 0 (= all) for {@code BATCH}
 */
public record GradientDescent(Mode mode, int batchSize) {
    /** The kinds of gradient descent. */
    public enum Mode { BATCH, STOCHASTIC, MINI_BATCH }

    /** The mini-batch size used when none is given. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    public GradientDescent {
        if (mode == null) {
            throw new IllegalArgumentException("gradient descent mode is required (batch, stochastic or mini_batch)");
        }
        switch (mode) {
            case BATCH -> {
                if (batchSize != 0) {
                    throw new IllegalArgumentException("batch gradient descent uses the whole data set; batch_size must be unset, got " + batchSize);
                }
            }
            case STOCHASTIC -> {
                if (batchSize != 1) {
                    throw new IllegalArgumentException("stochastic gradient descent uses one example per step; batch_size must be 1, got " + batchSize);
                }
            }
            case MINI_BATCH -> {
                if (batchSize < 1) {
                    throw new IllegalArgumentException("mini-batch gradient descent needs batch_size >= 1, got " + batchSize);
                }
            }
        }
    }

    public static GradientDescent batch() {
        return new GradientDescent(Mode.BATCH, 0);
    }

    public static GradientDescent stochastic() {
        return new GradientDescent(Mode.STOCHASTIC, 1);
    }

    public static GradientDescent miniBatch(int k) {
        return new GradientDescent(Mode.MINI_BATCH, k);
    }

    /** Examples per step for a training set of {@code n} examples. */
    public int stepSize(int n) {
        return mode == Mode.BATCH ? n : Math.min(batchSize, n);
    }

    /** Steps per epoch over {@code n} examples (the last batch may be smaller). */
    public int stepsPerEpoch(int n) {
        int b = stepSize(n);
        return b == 0 ? 0 : (n + b - 1) / b;
    }

    @Override
    public String toString() {
        return switch (mode) {
            case BATCH -> "batch";
            case STOCHASTIC -> "stochastic";
            case MINI_BATCH -> "mini-batch(" + batchSize + ")";
        };
    }
}
