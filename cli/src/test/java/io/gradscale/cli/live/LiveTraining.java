package io.gradscale.cli.live;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * A real, short run that explodes on purpose, for the live view's tests: a one-hidden-layer tanh network
 * regresses a noisy linear function by SGD whose learning rate warms up linearly to {@link #PEAK_LR}; once
 * it passes the stability limit (2 over the curvature of the output layer) the loss and the gradient norm
 * grow geometrically, and the trainer stops the run as diverged, around step 40.
 */
final class LiveTraining {
    /** Peak learning rate of the warm-up; far above the stability limit. */
    static final double PEAK_LR = 3.0;

    private LiveTraining() {
    }

    /** Writes the data and the configuration into {@code dir}; returns the configuration's path. */
    static Path write(Path dir) throws IOException {
        Rng rng = new Rng(11);
        StringBuilder csv = new StringBuilder("a,b,c,y\n");
        for (int i = 0; i < 400; i++) {
            double a = 2 * rng.nextDouble() - 1;
            double b = 2 * rng.nextDouble() - 1;
            double c = 2 * rng.nextDouble() - 1;
            csv.append(String.format(Locale.ROOT, "%.5f,%.5f,%.5f,%.5f%n", a, b, c, 2 * a - b + 0.5 * c + 0.1 * (rng.nextDouble() - 0.5)));
        }
        Files.writeString(dir.resolve("linear.csv"), csv);
        Path config = dir.resolve("explode.yaml");
        Files.writeString(config, """
                name: live-explode
                seed: 3
                data: {source: csv, path: linear.csv, label: y, task: regression, validation: 0.25}
                model: {type: mlp, hidden: [16], activation: tanh}
                optimizer: {type: sgd, lr: %s}
                schedule: {type: warmup_cosine, warmup: 200, total: 100000}
                monitor: {every: 2}
                training: {mode: mini_batch, batch_size: 10, epochs: 20}
                """.formatted(PEAK_LR));
        return config;
    }

    static RunSpec spec(Path config, Engine engine) {
        return RunSpec.build(RunSpec.read(config), config.getParent(), engine, config.toString());
    }

    static Trainer trainer(RunSpec spec, Engine engine) {
        return new Trainer(spec.model().model(), spec.objective(), spec.optimizer().factory(), engine, spec.settings());
    }

    /** Collects the step records. */
    static final class Steps implements TrainingListener {
        final List<StepRecord> steps = new ArrayList<>();

        @Override
        public void onStep(StepRecord r) {
            steps.add(r);
        }
    }

    /**
     * Holds the training thread at the given steps and at the end until the test lets it go, so that the
     * test can look at the page at known points of the run. (Only the test pauses training; the live view
     * never does.)
     */
    static final class Gate implements TrainingListener {
        final Semaphore arrived = new Semaphore(0);
        final Semaphore proceed = new Semaphore(0);
        private final Set<Long> at;
        volatile long heldAt = -2;

        Gate(Set<Long> at) {
            this.at = at;
        }

        @Override
        public void onStep(StepRecord r) {
            if (at.contains(r.step())) {
                hold(r.step());
            }
        }

        @Override
        public void onEnd() {
            hold(-1);
        }

        private void hold(long step) {
            heldAt = step;
            arrived.release();
            proceed.acquireUninterruptibly();
        }
    }
}
