package io.gradscale.cli;

import io.gradscale.cli.report.RunStatus;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TrainingListener;
import java.lang.management.ManagementFactory;

/**
 * Times a run from its step records: the first step apart (the JIT's warm-up), the rest as throughput in
 * examples per second. A step's examples follow from its place in the epoch, the only thing that sets them:
 * step {@code s} takes batch {@code b = s mod stepsPerEpoch}, rows {@code [b * size, min(n, (b + 1) * size))}
 * (a rollback restores the step counter, so the rule holds across rollbacks).
 */
final class RunClock implements TrainingListener {
    private final int n;
    private final int batch;
    private final int stepsPerEpoch;
    private long steps;
    private long examples;
    private long firstExamples;
    private double firstMillis = Double.NaN;
    private double lastMillis;

    RunClock(GradientDescent descent, int trainingExamples) {
        this.n = trainingExamples;
        this.batch = descent.stepSize(trainingExamples);
        this.stepsPerEpoch = descent.stepsPerEpoch(trainingExamples);
    }

    @Override
    public void onStep(StepRecord r) {
        long b = r.step() % stepsPerEpoch;
        long size = Math.min(n, (b + 1) * batch) - b * batch;
        if (steps == 0) {
            firstMillis = r.elapsedMillis();
            firstExamples = size;
        }
        steps++;
        examples += size;
        lastMillis = r.elapsedMillis();
    }

    long steps() {
        return steps;
    }

    /** The run's status now, as {@code status} with {@code message}. */
    RunStatus status(String status, String message) {
        double after = (lastMillis - firstMillis) / 1000;
        double throughput = steps > 1 && after > 0 ? (examples - firstExamples) / after : Double.NaN;
        double process = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        return new RunStatus(status, message, steps, examples, lastMillis / 1000, firstMillis / 1000, throughput, process);
    }
}
