package io.gradscale.cli.config;

import java.util.Locale;

/**
 * Refuses, before anything is allocated, a data set or a model the JVM's heap cannot hold: a
 * configuration asking for ten million sequences of length 100 000, or hidden layers of 60 000 units,
 * gets an error naming the field and the memory it needs, not an {@link OutOfMemoryError} (or an
 * integer overflow) from deep inside the generator.
 *
 * <p>The estimate counts float32 elements: a data set's inputs and targets, held twice while the
 * validation split copies them; a model's parameters times {@link #TRAINING_COPIES} (weight, gradient,
 * update, and two optimizer moments). Either may take at most {@link #HEAP_SHARE} of the maximum heap.
 */
final class MemoryBudget {
    /** Share of the JVM's maximum heap that the data set, or the model's training state, may take. */
    static final double HEAP_SHARE = 0.5;
    /** Float arrays per parameter while training: weight, gradient, update, two moments (Adam). */
    static final int TRAINING_COPIES = 5;
    /** Copies of a data set while it is split into training and validation sets. */
    static final int DATA_COPIES = 2;

    private MemoryBudget() {
    }

    /** Checks a data set of {@code floats} elements described by {@code what}, configured at {@code field}. */
    static void data(String field, double floats, String what) {
        check(field, floats * DATA_COPIES, what);
    }

    /** Checks a model of {@code parameters} parameters. */
    static void model(String field, double parameters, String what) {
        check(field, parameters * TRAINING_COPIES, what + " (" + String.format(Locale.ROOT, "%.3g", parameters) + " parameters)");
    }

    private static void check(String field, double floats, String what) {
        double bytes = 4 * floats;
        long max = Runtime.getRuntime().maxMemory();
        if (!(bytes <= HEAP_SHARE * max)) {
            throw new ConfigException(field + ": " + what + " needs about " + mb(bytes) + " MB, more than "
                    + (int) (100 * HEAP_SHARE) + " % of the JVM's maximum heap (" + mb(max) + " MB); make it smaller, or give the JVM"
                    + " more memory (GRADSCALE_JAVA_OPTS=-Xmx...)");
        }
    }

    private static String mb(double bytes) {
        return String.format(Locale.ROOT, "%.0f", bytes / (1 << 20));
    }
}
