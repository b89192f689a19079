package io.gradscale.data;

/**
 * What a {@link Dataset}'s targets are, and so which loss fits them.
 *
 * <ul>
 *   <li>{@link Regression}: float targets {@code [n, ...]} (mean squared error);
 *   <li>{@link Classification}: one label in {@code [0, classes)} per example (cross-entropy);
 *   <li>{@link SequenceClassification}: one label per time step, {@code steps} labels per example,
 *       stored row-major as {@code [n, steps]} (per-step cross-entropy, as in the copy task).
 * </ul>
 */
public sealed interface Task {

    /** Float targets. */
    record Regression() implements Task {
        @Override
        public String toString() {
            return "regression";
        }
    }

    /** One class label per example. */
    record Classification(int classes) implements Task {
        public Classification {
            if (classes < 2) {
                throw new IllegalArgumentException("a classification task needs at least 2 classes, got " + classes);
            }
        }

        @Override
        public String toString() {
            return "classification (" + classes + " classes)";
        }
    }

    /** One class label per time step. */
    record SequenceClassification(int classes, int steps) implements Task {
        public SequenceClassification {
            if (classes < 2) {
                throw new IllegalArgumentException("a sequence classification task needs at least 2 classes, got " + classes);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("a sequence classification task needs at least 1 step, got " + steps);
            }
        }

        @Override
        public String toString() {
            return "sequence classification (" + classes + " classes, " + steps + " steps)";
        }
    }

    /** True when the targets are integer labels (either kind of classification). */
    default boolean hasLabels() {
        return !(this instanceof Regression);
    }

    /** Number of labels per example: 0 for regression, 1 for classification, {@code steps} for sequences. */
    default int labelsPerExample() {
        return switch (this) {
            case Regression r -> 0;
            case Classification c -> 1;
            case SequenceClassification s -> s.steps();
        };
    }

    /** Number of classes, or 0 for regression. */
    default int classes() {
        return switch (this) {
            case Regression r -> 0;
            case Classification c -> c.classes();
            case SequenceClassification s -> s.classes();
        };
    }
}
