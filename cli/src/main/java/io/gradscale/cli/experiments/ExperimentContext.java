package io.gradscale.cli.experiments;

import io.gradscale.tensor.Engine;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where and how an experiment runs.
 *
 * @param outDir the directory under which each experiment writes {@code <name>/<variant>/}
 * @param engine the tensor engine (its thread count is recorded in each run's provenance)
 * @param seed the base seed; every model, data set and shuffle of the experiment derives from it
 * @param quick a smaller budget (fewer steps, seeds and sizes), for tests; the effects stay visible
 * @param log where progress lines go
 */
public record ExperimentContext(Path outDir, Engine engine, long seed, boolean quick, PrintStream log) {
    /** The seed of the built-in experiments when none is given. */
    public static final long DEFAULT_SEED = 42;

    public ExperimentContext {
        Objects.requireNonNull(outDir, "experiment outDir is required");
        Objects.requireNonNull(engine, "experiment engine is required");
        Objects.requireNonNull(log, "experiment log stream is required");
    }

    /** The run directory of one variant: {@code outDir/experiment/variant}. */
    public Path runDir(String experiment, String variant) {
        return outDir.resolve(experiment).resolve(variant);
    }
}
