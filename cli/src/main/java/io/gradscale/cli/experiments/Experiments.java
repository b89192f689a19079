package io.gradscale.cli.experiments;

import java.util.List;

/**
 * The catalogue of built-in experiments, in the order {@code gradscale demo} runs them (issue 6). A new
 * list each call: nothing here is shared or mutable.
 */
public final class Experiments {
    private Experiments() {
    }

    /** Every built-in experiment. */
    public static List<Experiment> all() {
        return List.of(new ExplodingRnn(), new VanishingMlp(), new ShatteredGradients(), new ClippersCompared(), new DescentModes(),
                new PrivateDigits());
    }

    /** The names of the built-in experiments, in order. */
    public static List<String> names() {
        return all().stream().map(Experiment::name).toList();
    }

    /** The experiment called {@code name}; fails naming the valid names. */
    public static Experiment named(String name) {
        for (Experiment e : all()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown experiment '" + name + "'; expected one of " + String.join(", ", names()));
    }
}
