package io.gradscale.cli.experiments;

/**
 * A built-in experiment: trains real networks with the real trainer, gradient monitor and doctor, and
 * shows one gradient pathology next to its remedies with measured numbers.
 *
 * <p>Each variant of an experiment writes a run directory {@code <outDir>/<name>/<variant>/} holding the
 * metrics log ({@code metrics.jsonl}) and the doctor's verdicts ({@code diagnosis.json}); the result
 * summarizes the variants in one table.
 */
public interface Experiment {
    /** The kebab-case name used on the command line, e.g. {@code exploding-rnn}. */
    String name();

    /** One line for people. */
    String title();

    /** What the experiment shows, after which paper, and what it reports. */
    String description();

    /** Runs every variant into {@code ctx.outDir()}; fails with an unchecked exception when a run cannot be written. */
    ExperimentResult run(ExperimentContext ctx);
}
