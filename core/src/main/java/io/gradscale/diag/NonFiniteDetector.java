package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Non-finite values: NaN or infinite gradients or losses. Reports where they first appeared, how many
 * steps were skipped by a guard, and whether any reached the weights (a non-finite loss after a step
 * that was not skipped).
 *
 * <p>It also names one cause by its signature, the <b>log of zero</b> ({@link #logOfZero}): a loss that takes the
 * logarithm of probabilities ({@code -log(softmax(z)_y)} written literally) turns a probability that underflowed to
 * 0 into {@code log(0) = -infinity}, and its backward pass into {@code 0 / 0 = NaN} even for the classes the loss
 * does not pick. Then the first non-finite value comes with finite weights and without any growth of the gradient
 * before it, which tells it from an explosion (where the norm grows by decades first), and the remedy is the
 * loss computed from the logits by the log-sum-exp, {@code log softmax(z)_y = z_y - max z - log sum exp(z - max z)},
 * finite for any finite logits (Goodfellow, Bengio and Courville 2016, sec. 4.1 and 6.2.2.3), not a smaller step.
 */
public final class NonFiniteDetector implements Detector {
    @Override
    public String name() {
        return "non_finite";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        long skipped = 0;
        long badGradSteps = 0;
        long badLossSteps = 0;
        String firstWhere = null;
        for (StepRecord r : run.steps()) {
            skipped += r.skipped() ? 1 : 0;
            badLossSteps += Double.isFinite(r.loss()) ? 0 : 1;
            boolean bad = !Double.isFinite(r.gradNorm());
            for (Map.Entry<String, LayerStats> e : r.layers().entrySet()) {
                if (e.getValue().nonFinite() > 0) {
                    bad = true;
                    if (firstWhere == null) {
                        firstWhere = "layer '" + e.getKey() + "' at step " + r.step() + " (" + e.getValue().nonFinite() + " elements)";
                    }
                }
            }
            if (bad) {
                badGradSteps++;
                if (firstWhere == null) {
                    firstWhere = "the global gradient norm at step " + r.step();
                }
            }
        }
        if (badGradSteps == 0 && badLossSteps == 0 && skipped == 0) {
            return run.steps().isEmpty() ? Optional.empty()
                    : Optional.of(new Verdict(name(), Verdict.Severity.OK, "No NaN or infinite values in " + run.steps().size()
                    + " logged steps", List.of(), List.of()));
        }
        List<String> ev = new ArrayList<>();
        ev.add(badGradSteps + " step(s) with non-finite gradients" + (firstWhere == null ? "" : ", first in " + firstWhere));
        ev.add(badLossSteps + " step(s) with a non-finite loss");
        ev.add(skipped + " step(s) skipped by a guard or the loss scaler");
        boolean reachedWeights = badLossSteps > 0 && skipped < badGradSteps;
        Verdict.Severity sev = reachedWeights || badLossSteps > 0 ? Verdict.Severity.CRITICAL : Verdict.Severity.WARNING;
        List<String> rem = new ArrayList<>();
        OptionalLong logZero = logOfZero(run);
        if (logZero.isPresent()) {
            ev.add("the loss takes the log of probabilities the model computed (-log(softmax(output)[label]), training.loss:"
                    + " probabilities), and the first non-finite value, at step " + logZero.getAsLong() + ", came with finite weights"
                    + " and no growth of the gradient norm before it (at most " + fmt(DoctorThresholds.GROWTH_WARN)
                    + "x its first value): a probability that underflowed to 0 gave log(0), not an explosion");
            rem.add("Compute the loss from the logits (training.loss: logits): the log-sum-exp form log softmax(z)_y = z_y - max z"
                    + " - log sum exp(z - max z) is finite for any finite logits; a smaller learning rate does not prevent the"
                    + " underflow.");
            return Optional.of(new Verdict(name(), sev, "Non-finite loss or gradients from the log of a zero probability", ev, rem));
        }
        if (skipped == 0) {
            rem.add("Add a non-finite guard (skip_non_finite) first in the transform chain, so that a NaN gradient never reaches"
                    + " the weights or the optimizer state.");
        }
        rem.addAll(ExplodingDetector.remedies(run.facts(), Double.NaN));
        rem.add("Check the input data for NaN or infinite values, and losses for log(0) (use the with-logits losses).");
        return Optional.of(new Verdict(name(), sev, "Non-finite gradients or losses"
                + (reachedWeights ? " reached the weights" : skipped > 0 ? " (steps were skipped)" : ""), ev, rem));
    }

    /**
     * The step of the first non-finite value when it has the signature of the log of zero, else empty: the loss takes the
     * log of probabilities ({@link ModelFacts#logOfProbabilities}), every logged weight norm up to that step is finite,
     * and no finite global gradient norm before it exceeds {@link DoctorThresholds#GROWTH_WARN} times the first one
     * (the growth the exploding detector calls persistent), so nothing blew up first.
     */
    public static OptionalLong logOfZero(RunView run) {
        if (!run.facts().logOfProbabilities()) {
            return OptionalLong.empty();
        }
        double first = Double.NaN;
        for (StepRecord r : run.steps()) {
            for (LayerStats l : r.layers().values()) {
                if (!Double.isFinite(l.paramNorm())) {
                    return OptionalLong.empty();
                }
            }
            boolean bad = !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())
                    || r.layers().values().stream().anyMatch(l -> l.nonFinite() > 0);
            if (bad) {
                return OptionalLong.of(r.step());
            }
            if (Double.isNaN(first) && r.gradNorm() > 0) {
                first = r.gradNorm();
            }
            if (r.gradNorm() > DoctorThresholds.GROWTH_WARN * first) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }
}
