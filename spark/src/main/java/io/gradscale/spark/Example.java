package io.gradscale.spark;

import java.io.Serializable;

/**
 * One example of a distributed data set: its index in the data set (which fixes its place in every epoch's
 * permutation, wherever it lives), its features (row-major, the example's shape) and either float targets
 * (regression) or class labels.
 *
 * @param index the example's position in the data set, {@code 0..n-1}
 * @param features the features, flattened
 * @param targets the regression targets, flattened (null for classification)
 * @param labels the class labels (one, or one per step of a sequence; null for regression)
 */
public record Example(int index, float[] features, float[] targets, int[] labels) implements Serializable {
    /** The same example under another index (after a split or a subset). */
    public Example at(int newIndex) {
        return new Example(newIndex, features, targets, labels);
    }
}
