package io.gradscale.train;

/**
 * What the trainer does when training diverges: the loss becomes non-finite, or exceeds
 * {@code explodeFactor} times the model's initial loss: the mean batch loss over the first steps that
 * together see {@link #REFERENCE_EXAMPLES} examples (one step of a mini-batch of 32 or more; 32 steps of
 * stochastic descent, whose single-example losses are too noisy to be a reference one by one). About
 * log C for a C-class classifier.
 *
 * @param action stop, or roll back to the last good snapshot with a lower learning rate
 * @param explodeFactor the loss is judged exploding above this multiple of its initial value
 * @param lrFactor on rollback, the learning rate is multiplied by this (0 &lt; f &lt; 1)
 * @param maxRollbacks after this many rollbacks the trainer stops
 */
public record DivergencePolicy(Action action, double explodeFactor, double lrFactor, int maxRollbacks) {
    /** The two actions. */
    public enum Action { STOP, ROLLBACK }

    /** A loss this many times its early mean counts as exploding. */
    public static final double DEFAULT_EXPLODE_FACTOR = 100.0;
    /** Examples the reference loss for "exploding" averages over (rounded up to whole steps). */
    public static final int REFERENCE_EXAMPLES = 32;

    /** Steps whose mean loss is the reference, for steps of {@code stepSize} examples. */
    public static int referenceSteps(int stepSize) {
        return Math.max(1, (REFERENCE_EXAMPLES + Math.max(1, stepSize) - 1) / Math.max(1, stepSize));
    }
    /** Learning-rate multiplier applied at each rollback. */
    public static final double DEFAULT_LR_FACTOR = 0.5;
    /** Rollbacks allowed before giving up. */
    public static final int DEFAULT_MAX_ROLLBACKS = 3;

    public DivergencePolicy {
        if (action == null) {
            throw new IllegalArgumentException("divergence action is required (stop or rollback)");
        }
        if (!(explodeFactor > 1)) {
            throw new IllegalArgumentException("divergence explode_factor must be > 1, got " + explodeFactor);
        }
        if (!(lrFactor > 0 && lrFactor < 1)) {
            throw new IllegalArgumentException("divergence lr_factor must be in (0, 1), got " + lrFactor);
        }
        if (maxRollbacks < 0) {
            throw new IllegalArgumentException("divergence max_rollbacks must be >= 0, got " + maxRollbacks);
        }
    }

    public static DivergencePolicy stop() {
        return new DivergencePolicy(Action.STOP, DEFAULT_EXPLODE_FACTOR, DEFAULT_LR_FACTOR, DEFAULT_MAX_ROLLBACKS);
    }

    public static DivergencePolicy rollback() {
        return new DivergencePolicy(Action.ROLLBACK, DEFAULT_EXPLODE_FACTOR, DEFAULT_LR_FACTOR, DEFAULT_MAX_ROLLBACKS);
    }
}
