package io.gradscale.cli;

import io.gradscale.cli.config.ClusterSpec;
import io.gradscale.cli.config.ConfigNode;
import io.gradscale.cli.config.DataBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.tensor.Rng;
import io.gradscale.train.Trainer;
import java.nio.file.Path;

/**
 * Runs a configured training on a cluster instead of in this JVM. Found with {@link java.util.ServiceLoader}, so
 * the command line carries no cluster library: the {@code gradscale-spark} module provides one, and the launcher
 * puts it on the class path only when a run asks for Spark ({@code --spark MASTER} or a {@code spark:} section).
 *
 * <p>The order of calls: {@link #open}, {@link #load} (from {@link RunSpec#build}), {@link #train}, {@link #test} (when the
 * configuration has a test section), {@link #close}.
 */
public interface ClusterBackend extends AutoCloseable {
    /** Connects to the cluster the section describes. */
    void open(ClusterSpec spec);

    /**
     * Reads the {@code data} section so that the examples stay on the cluster, drawing from {@code rng} as
     * {@link DataBuilder#build} does (see {@link DataBuilder.Loader} for what the returned sets hold).
     */
    DataBuilder.Built load(ConfigNode data, ConfigNode root, Path baseDir, Rng rng);

    /** Examples in the training set on the cluster, after {@link #load}. */
    int trainSize();

    /** Trains until the configured end or {@code untilStep}, the trainer's chain running on this JVM, the passes on the cluster. */
    Trainer.Result train(Trainer trainer, RunSpec spec, long untilStep);

    /**
     * The test section of the data that stays on the cluster, scored with {@code trainer}'s model's current weights with
     * the bits of {@link Trainer#evaluate} in one JVM; null when the cluster holds no test set (a test set {@link #load}
     * returned whole is scored in this JVM).
     */
    Scored test(Trainer trainer);

    /** A held-out set scored on the cluster: its size and the model's loss and accuracy on it. */
    record Scored(int size, Trainer.Evaluation evaluation) {
    }

    /** One line on where the run goes ("Spark local[2], 2 partitions, fixed tree"). */
    String describe();

    /** Where the time of the steps went, after {@link #train}. */
    String timings();

    @Override
    void close();
}
