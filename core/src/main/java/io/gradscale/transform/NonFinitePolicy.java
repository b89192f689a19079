package io.gradscale.transform;

/** What a {@link NonFiniteGuard} does when an update holds NaN or infinity. */
public enum NonFinitePolicy {
    /** Skip the whole step: no weight and no state changes; the skip is counted and reported. */
    SKIP,
    /** Replace every NaN and infinite element by zero and go on; the count is reported. */
    ZERO,
    /** Throw {@link NonFiniteGradientException} naming the first parameter with a non-finite value. */
    FAIL,
    /**
     * Let non-finite values through, as PyTorch does by default: the user asked for it. Counted and
     * reported all the same.
     */
    ALLOW
}
