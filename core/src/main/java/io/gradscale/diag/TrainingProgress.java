package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.data.Dataset;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Whether the run trained at all: the training loss over the last tenth of the steps against its baseline,
 * the smaller of the loss before training ({@link #initialLoss}) and, when known, the loss of the best constant
 * prediction ({@link #progress}). A run whose loss did not fall below {@link #TRAINED_BELOW} of its baseline did not train; the doctor then never calls it plain healthy:
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

    /**
     * The loss at the end over the loss a run must beat: the smaller of its loss before training and the best constant
     * prediction's ({@link RunView#baselineLoss()}, when known). A model that only learns the targets' mean (an
     * adding-problem RNN that starts at 7x the baseline and ends at the baseline) has not trained. The loss before
     * training is the larger of the means over the first {@link DoctorThresholds#START_SHARE} of the steps and over the
     * first tenth ({@link #initialLoss}): a run that learns within its first tenth (a residual net on two spirals, from
     * 1.2x the constant prediction's loss to 0.08x of it in 10 of its 200 steps) has a first tenth already near its end,
     * and the first few steps of a stochastic run are a few examples' losses, which may all be easy ones. Without a known
     * baseline it is {@link #lossRatio}.
     */
    public static double progress(RunView run) {
        double ratio = lossRatio(run.steps());
        double b = run.baselineLoss();
        if (!Double.isFinite(ratio) || !(b > 0)) {
            return ratio;
        }
        double initial = initialLoss(run.steps());
        return endLoss(run.steps()) / (initial > 0 && initial < b ? initial : b);
    }

    /** True when {@link #progress} measures against the best constant prediction rather than the run's own start. */
    static boolean againstConstant(RunView run) {
        double initial = initialLoss(run.steps());
        return run.baselineLoss() > 0 && Double.isFinite(lossRatio(run.steps())) && !(initial > 0 && initial < run.baselineLoss());
    }

    /**
     * The larger of the mean losses over the first {@link DoctorThresholds#START_SHARE} of the steps (at least one) and over
     * the first tenth (at least one).
     */
    static double initialLoss(List<StepRecord> steps) {
        return Math.max(headMean(steps, Math.max(1, (int) (steps.size() * DoctorThresholds.START_SHARE))),
                headMean(steps, Math.max(1, steps.size() / 10)));
    }

    private static double headMean(List<StepRecord> steps, int k) {
        int m = Math.min(k, steps.size());
        double sum = 0;
        for (int i = 0; i < m; i++) {
            sum += steps.get(i).loss();
        }
        return sum / m;
    }

    private static double endLoss(List<StepRecord> steps) {
        int n = steps.size();
        int tenth = Math.max(1, n / 10);
        double sum = 0;
        for (int i = n - tenth; i < n; i++) {
            sum += steps.get(i).loss();
        }
        return sum / tenth;
    }

    /**
     * The training loss of the best constant prediction on {@code data}: for regression (mean squared error) the
     * mean over the target columns of their variance; for classification (cross-entropy) the entropy of the
     * labels' frequencies, in nats. NaN for an empty set.
     */
    public static double constantBaseline(Dataset data) {
        if (data.size() == 0) {
            return Double.NaN;
        }
        if (data.task().hasLabels()) {
            int[] labels = data.labels();
            long[] count = new long[data.task().classes()];
            for (int l : labels) {
                count[l]++;
            }
            double h = 0;
            for (long c : count) {
                if (c > 0) {
                    double p = (double) c / labels.length;
                    h -= p * Math.log(p);
                }
            }
            return h;
        }
        float[] t = data.targets().data();
        int cols = t.length / data.size();
        double total = 0;
        for (int j = 0; j < cols; j++) {
            double mean = 0;
            for (int i = 0; i < data.size(); i++) {
                mean += t[i * cols + j];
            }
            mean /= data.size();
            double var = 0;
            for (int i = 0; i < data.size(); i++) {
                double d = t[i * cols + j] - mean;
                var += d * d;
            }
            total += var / data.size();
        }
        return total / cols;
    }

    /** When the run did not train: a warning when no other verdict (WARNING or above) explains it, else information naming them. */
    static Optional<Verdict> examine(RunView run, List<Verdict> others) {
        double ratio = progress(run);
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
        ev.add("training loss at the end is " + fmt(ratio) + " of " + (againstConstant(run)
                ? "the best constant prediction's " + fmt(run.baselineLoss()) : "its start") + " (a run that trains ends below "
                + fmt(TRAINED_BELOW) + ")");
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
