package io.gradscale.cli;

import io.gradscale.cli.experiments.ExperimentContext;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options {@code experiment} and {@code demo} share (a picocli mixin). */
final class ExperimentOptions {
    @Option(names = "--out", defaultValue = "runs", description = "Directory for the runs (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "A smaller budget (seconds instead of tens of seconds).")
    boolean quick;

    @Option(names = "--seed", defaultValue = "" + ExperimentContext.DEFAULT_SEED, description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;
}
