package io.gradscale.data;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory data set: a features tensor {@code [n, ...]} and, per {@link Task}, float targets
 * {@code [n, ...]} or integer class labels ({@code n}, or {@code n * steps} row-major for
 * sequence classification).
 *
 * <p>A data set is immutable once built: {@link #batch}, {@link #subset} and {@link #split} copy rows
 * (one {@link System#arraycopy} per example) into new arrays. If the features were standardised,
 * the {@link Standardizer} used is kept, so that a validation or test set can be given the same
 * transform (statistics are fitted on training data only, never on the data they are evaluated on).
 */
public final class Dataset {
    private final Tensor features; // [n, ...]
    private final Tensor targets; // [n, ...], regression only
    private final int[] labels; // [n * labelsPerExample], classification only
    private final Task task;
    private final Standardizer standardizer;

    private Dataset(Tensor features, Tensor targets, int[] labels, Task task, Standardizer standardizer) {
        if (features.rank() < 1) {
            throw new IllegalArgumentException("features must have rank >= 1 with examples along axis 0, got shape " + features.shape());
        }
        int n = features.dim(0);
        if (task.hasLabels()) {
            long expected = (long) n * task.labelsPerExample();
            if (labels.length != expected) {
                throw new IllegalArgumentException("a " + task + " data set with " + n + " examples needs " + expected
                        + " labels, got " + labels.length);
            }
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= task.classes()) {
                    throw new IllegalArgumentException("label " + i + " is " + labels[i] + ", outside [0, " + task.classes() + ")");
                }
            }
        } else {
            if (targets.rank() < 1 || targets.dim(0) != n) {
                throw new IllegalArgumentException("targets must have " + n + " rows like the features " + features.shape()
                        + ", got shape " + targets.shape());
            }
        }
        this.features = features;
        this.targets = targets;
        this.labels = labels;
        this.task = task;
        this.standardizer = standardizer;
    }

    /** A regression data set; the tensors are used as given (not copied). */
    public static Dataset regression(Tensor features, Tensor targets) {
        return new Dataset(features, Objects.requireNonNull(targets, "targets"), null, new Task.Regression(), null);
    }

    /** A classification data set with one label in {@code [0, classes)} per example; labels are copied. */
    public static Dataset classification(Tensor features, int[] labels, int classes) {
        return new Dataset(features, null, labels.clone(), new Task.Classification(classes), null);
    }

    /** A sequence classification data set: {@code steps} labels per example, row-major; labels are copied. */
    public static Dataset sequenceClassification(Tensor features, int[] labels, int classes, int steps) {
        return new Dataset(features, null, labels.clone(), new Task.SequenceClassification(classes, steps), null);
    }

    /** Number of examples. */
    public int size() {
        return features.dim(0);
    }

    public Task task() {
        return task;
    }

    /** The features {@code [n, ...]} (shared: treat as read-only). */
    public Tensor features() {
        return features;
    }

    /** The shape of one example's features (the features shape without axis 0). */
    public Shape exampleShape() {
        return features.shape().without(0);
    }

    /** The float targets {@code [n, ...]} of a regression set (shared: treat as read-only). */
    public Tensor targets() {
        if (targets == null) {
            throw new IllegalStateException("this " + task + " data set holds class labels, not float targets; use labels()");
        }
        return targets;
    }

    /** A copy of the class labels of a classification set. */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("this regression data set holds float targets, not class labels; use targets()");
        }
        return labels.clone();
    }

    /** The transform applied to the features, if they were standardised. */
    public Optional<Standardizer> standardizer() {
        return Optional.ofNullable(standardizer);
    }

    /** The examples at {@code indices}, in that order, as a batch of fresh arrays. */
    public Batch batch(int[] indices) {
        Tensor x = gatherRows(features, indices);
        if (task.hasLabels()) {
            return new Batch(x, null, gatherLabels(indices));
        }
        return new Batch(x, gatherRows(targets, indices), null);
    }

    /** The examples {@code [from, to)} as a batch. */
    public Batch batch(int from, int to) {
        return batch(range(from, to));
    }

    /** The examples at {@code indices}, in that order, as a new data set (same task and standardiser). */
    public Dataset subset(int[] indices) {
        Tensor x = gatherRows(features, indices);
        if (task.hasLabels()) {
            return new Dataset(x, null, gatherLabels(indices), task, standardizer);
        }
        return new Dataset(x, gatherRows(targets, indices), null, task, standardizer);
    }

    /** A training set and a validation set that together hold every example once. */
    public record Split(Dataset train, Dataset validation) {}

    /**
     * Shuffles the examples with {@code rng} and holds out {@code round(validationFraction * n)} of them
     * for validation; both parts keep the shuffled order.
     */
    public Split split(double validationFraction, Rng rng) {
        int n = size();
        int nVal = validationCount(n, validationFraction);
        int[] order = splitOrder(n, rng);
        return new Split(subset(Arrays.copyOfRange(order, nVal, n)), subset(Arrays.copyOfRange(order, 0, nVal)));
    }

    /**
     * How many of {@code n} examples {@link #split} holds out: {@code round(validationFraction * n)}, which must leave
     * both parts non-empty.
     */
    public static int validationCount(int n, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
        }
        int nVal = (int) Math.round(validationFraction * n);
        if (nVal == 0 || nVal == n) {
            throw new IllegalArgumentException("validationFraction " + validationFraction + " of " + n
                    + " examples leaves " + (nVal == 0 ? "no validation" : "no training") + " examples");
        }
        return nVal;
    }

    /**
     * The order of {@link #split}: {@code 0..n-1} shuffled by {@code rng}; the first {@link #validationCount} are held
     * out for validation, the rest train, each part in this order. A reader that splits while it reads (so that the
     * whole set is never built) uses it to give the same parts, e.g. {@link IdxReader#readSplit}.
     */
    public static int[] splitOrder(int n, Rng rng) {
        int[] order = range(0, n);
        rng.shuffle(order);
        return order;
    }

    /** This data set with its features transformed by {@code s} (fitted elsewhere, usually on training data). */
    public Dataset standardize(Standardizer s) {
        if (standardizer != null) {
            throw new IllegalStateException("the features are already standardised; standardising twice would distort them");
        }
        return new Dataset(s.apply(features), targets, labels, task, s);
    }

    /** Fits a {@link Standardizer} on these features and applies it. */
    public Dataset standardize() {
        return standardize(Standardizer.fit(features));
    }

    private static int[] range(int from, int to) {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("bad example range [" + from + ", " + to + ")");
        }
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private Tensor gatherRows(Tensor t, int[] indices) {
        int n = t.dim(0);
        int row = n == 0 ? 0 : t.size() / n;
        float[] src = t.data();
        float[] dst = new float[Math.multiplyExact(indices.length, row)];
        for (int i = 0; i < indices.length; i++) {
            int k = indices[i];
            if (k < 0 || k >= n) {
                throw new IndexOutOfBoundsException("example index " + k + " (at position " + i + ") is outside [0, " + n + ")");
            }
            System.arraycopy(src, k * row, dst, i * row, row);
        }
        return Tensor.wrap(dst, t.shape().withDim(0, indices.length));
    }

    private int[] gatherLabels(int[] indices) {
        int per = task.labelsPerExample();
        int n = size();
        int[] dst = new int[indices.length * per];
        for (int i = 0; i < indices.length; i++) {
            int k = indices[i];
            if (k < 0 || k >= n) {
                throw new IndexOutOfBoundsException("example index " + k + " (at position " + i + ") is outside [0, " + n + ")");
            }
            System.arraycopy(labels, k * per, dst, i * per, per);
        }
        return dst;
    }

    @Override
    public String toString() {
        return "Dataset(" + size() + " examples of " + exampleShape() + ", " + task
                + (standardizer != null ? ", standardised" : "") + ")";
    }
}
