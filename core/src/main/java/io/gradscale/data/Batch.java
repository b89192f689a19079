package io.gradscale.data;

import io.gradscale.tensor.Tensor;

/**
 * A mini-batch cut from a {@link Dataset}: inputs {@code [b, ...]} and either float targets
 * {@code [b, ...]} (regression) or integer labels ({@code b} of them, or {@code b * steps} row-major
 * for sequence classification).
 *
 * <p>The arrays are fresh copies owned by the batch.
 */
public final class Batch {
    private final Tensor inputs;
    private final Tensor targets;
    private final int[] labels;

    Batch(Tensor inputs, Tensor targets, int[] labels) {
        this.inputs = inputs;
        this.targets = targets;
        this.labels = labels;
    }

    /** The inputs, {@code [b, ...]}. */
    public Tensor inputs() {
        return inputs;
    }

    /** Number of examples. */
    public int size() {
        return inputs.dim(0);
    }

    /** True when the batch carries class labels rather than float targets. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** The float targets of a regression batch. */
    public Tensor targets() {
        if (targets == null) {
            throw new IllegalStateException("this batch holds class labels, not float targets; use labels()");
        }
        return targets;
    }

    /** The class labels of a classification batch (the array itself, owned by this batch). */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("this batch holds float regression targets, not class labels; use targets()");
        }
        return labels;
    }
}
