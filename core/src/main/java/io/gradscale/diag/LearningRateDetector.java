package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A learning rate too low or too high, judged by what the steps do to the weights: the log10 ratio of
 * the applied update's norm to the parameters' norm per layer (the quantity Deeplearning4j's training
 * UI plots; about -3 is the rule of thumb, Karpathy's "ratio of updates to weights ~1e-3"), together with
 * whether the loss trained ({@link TrainingProgress#progress}).
 *
 * <p>Too low ({@code lr_too_low}): the loss does not train and no layer's median update ratio (over the run) reaches
 * {@link DoctorThresholds#LR_LOW_UPDATE_LOG10}: the gradients may be fine, the steps are too small to
 * matter. Too high ({@code lr_too_high}): the loss does not train (or diverges) while some layer's median
 * update ratio over the first sampled steps is above {@link DoctorThresholds#LR_HIGH_UPDATE_LOG10}: each step moves the weights by a large share of
 * their size, so the loss oscillates, plateaus high or diverges. Neither is judged when the loss is
 * undefined.
 */
public final class LearningRateDetector implements Detector {
    /** Which of the two conditions an instance judges. */
    public enum Kind { TOO_LOW, TOO_HIGH }

    private final Kind kind;

    public LearningRateDetector(Kind kind) {
        this.kind = kind;
    }

    /** The verdict name of a learning rate too low. */
    public static final String TOO_LOW_NAME = "lr_too_low";
    /** The verdict name of a learning rate too high. */
    public static final String TOO_HIGH_NAME = "lr_too_high";

    @Override
    public String name() {
        return kind == Kind.TOO_LOW ? TOO_LOW_NAME : TOO_HIGH_NAME;
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<String> layers = run.layers();
        if (layers.isEmpty() || run.layerSteps().isEmpty()) {
            return Optional.empty();
        }
        double lossRatio = TrainingProgress.progress(run);
        if (Double.isNaN(lossRatio) || lossRatio == Double.POSITIVE_INFINITY) {
            return Optional.empty(); // no loss to judge by, or a non-finite one (NonFiniteDetector's)
        }
        // too low: the run's typical step; too high: its first steps (a run that diverges leaves only those)
        double largest = Double.NEGATIVE_INFINITY;
        String largestLayer = "";
        for (String layer : layers) {
            double[] series = run.layerSeries(layer, LayerStats::updateRatioLog10);
            double m = kind == Kind.TOO_LOW ? Stats.median(series) : Stats.median(Arrays.copyOf(series,
                    Math.min(series.length, VanishingDetector.WINDOW)));
            if (m > largest) {
                largest = m;
                largestLayer = layer;
            }
        }
        if (!Double.isFinite(largest)) {
            return Optional.empty();
        }
        double lr = run.facts().learningRate();
        List<String> ev = new ArrayList<>();
        ev.add("largest median log10 update/parameter ratio" + (kind == Kind.TOO_LOW ? "" : " over the first sampled steps") + ": "
                + fmt(largest) + " (layer '" + largestLayer + "'; about -3 is healthy)");
        ev.add("training loss at the end is " + fmt(lossRatio) + " of its baseline (its start, or the best constant prediction's)");
        boolean trained = lossRatio < TrainingProgress.TRAINED_BELOW;
        if (kind == Kind.TOO_LOW) {
            if (trained || largest >= DoctorThresholds.LR_LOW_UPDATE_LOG10) {
                return Optional.of(new Verdict(name(), Verdict.Severity.OK, "The learning rate is not too low", ev, List.of()));
            }
            double factor = Math.pow(10, -3 - largest);
            return Optional.of(new Verdict(name(), Verdict.Severity.WARNING, "Learning rate too low: the loss barely moves and every"
                    + " step changes the weights by less than 10^" + fmt(DoctorThresholds.LR_LOW_UPDATE_LOG10) + " of their size", ev,
                    List.of("Raise the learning rate" + (Double.isFinite(lr) ? " from " + fmt(lr) + " to about " + fmt(lr * factor) : "")
                            + ", so that updates are about 1e-3 of the weights.")));
        }
        if (trained || largest <= DoctorThresholds.LR_HIGH_UPDATE_LOG10) {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "The learning rate is not too high", ev, List.of()));
        }
        double factor = Math.pow(10, largest + 3);
        return Optional.of(new Verdict(name(), Verdict.Severity.WARNING, "Learning rate too high: the loss does not fall while every"
                + " step changes the weights by " + fmt(Math.pow(10, largest)) + " of their size", ev,
                List.of("Lower the learning rate" + (Double.isFinite(lr) ? " from " + fmt(lr) + " to about " + fmt(lr / factor) : "")
                        + ", or add a warm-up.")));
    }
}
