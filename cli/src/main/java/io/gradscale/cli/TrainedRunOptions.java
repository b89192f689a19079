package io.gradscale.cli;

import io.gradscale.tensor.Engine;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The arguments every command that applies a trained run takes ({@code evaluate}, {@code predict}): the run's
 * directory as the first parameter, which of its weights, and the compute threads. A picocli mixin, so each is
 * declared and described once.
 */
final class TrainedRunOptions {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run directory written by `gradscale train`.")
    Path runDir;

    @Option(names = "--threads", defaultValue = "1", description = "Compute threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--weights", paramLabel = "last|best", description = TrainedModel.WEIGHTS_DESCRIPTION)
    String weights;

    /** What a command does with the loaded model, on the engine it was loaded for. */
    @FunctionalInterface
    interface Use {
        int apply(TrainedModel model, Engine engine) throws IOException;
    }

    /** Loads the run's model with the chosen weights on an engine of {@link #threads}, applies {@code use}, and closes the engine. */
    int withModel(Use use) throws IOException {
        Engine engine = Engine.withThreads(threads);
        try {
            return use.apply(TrainedModel.load(runDir, engine, weights), engine);
        } finally {
            engine.parallel().close();
        }
    }
}
