package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Whether the run trained at all: the training loss over the last tenth of the steps against the loss
 * over the first tenth (the run's own baseline). A run whose loss did not fall below
 * {@link #TRAINED_BELOW} of its baseline did not train; the doctor then never calls it plain healthy:
 * it says so, as a warning when none of the other verdicts explains it, and as information naming them
 * when some do.
 *
 * <p>It is not a condition of its own (no remedy is known without a cause); it is run by
 * {@link GradientDoctor} after the other detectors, because it reports on their verdicts.
 */
public final class TrainingProgress {
    /** The loss must end below this fraction of its start for the run to count as trained. */
    public static final double TRAINED_BELOW = DoctorThresholds.TRAINED_BELOW;
    /** The verdict's detector name. */
    public static final String NAME = "not_training";

    private TrainingProgress() {
    }

    /**
     * Mean finite loss over the last tenth of the steps over the mean over the first tenth; +infinity when the
     * run ended on a non-finite loss (a non-finite loss on a step a guard skipped does not count).
     */
    public static double lossRatio(List<StepRecord> steps) {
        int n = steps.size();
        if (n < 2) {
            return Double.NaN;
        }
        if (!Double.isFinite(steps.get(n - 1).loss())) {
            return Double.POSITIVE_INFINITY;
        }
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            loss[i] = steps.get(i).loss();
        }
        int tenth = Math.max(1, n / 10);
        double start = Stats.mean(Arrays.copyOf(loss, tenth));
        double end = Stats.mean(Arrays.copyOfRange(loss, n - tenth, n));
        if (Double.isNaN(start) || Double.isNaN(end)) {
            return Double.NaN;
        }
        return start > 0 ? end / start : end <= start ? 0.0 : Double.POSITIVE_INFINITY;
    }

    /** When the run did not train: a warning when no other verdict (WARNING or above) explains it, else information naming them. */
    static Optional<Verdict> examine(RunView run, List<Verdict> others) {
        double ratio = lossRatio(run.steps());
        if (Double.isNaN(ratio) || ratio < TRAINED_BELOW) {
            return Optional.empty();
        }
        List<String> causes = new ArrayList<>();
        for (Verdict v : others) {
            if (v.severity().compareTo(Verdict.Severity.WARNING) >= 0) {
                causes.add(v.detector());
            }
        }
        List<String> ev = new ArrayList<>();
        ev.add("training loss at the end is " + fmt(ratio) + " of its start (a run that trains ends below " + fmt(TRAINED_BELOW) + ")");
        if (causes.isEmpty()) {
            ev.add("no gradient pathology the doctor knows explains it: gradients are finite, neither vanishing nor exploding,"
                    + " units are alive; it cannot tell whether the task is too hard for the model, the probe too short, or the data"
                    + " uninformative");
            return Optional.of(new Verdict(NAME, Verdict.Severity.WARNING, "The loss is not falling, and the doctor cannot explain why",
                    ev, List.of("Train longer, or check the data (labels shuffled against inputs?) and the model's capacity.")));
        }
        ev.add("explained by: " + String.join(", ", causes));
        return Optional.of(new Verdict(NAME, Verdict.Severity.INFO, "The loss is not falling (see " + String.join(", ", causes) + ")",
                ev, List.of()));
    }
}
