package io.gradscale.diag;

import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Non-finite values: NaN or infinite gradients or losses. Reports where they first appeared, how many
 * steps were skipped by a guard, and whether any reached the weights (a non-finite loss after a step
 * that was not skipped).
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
        if (skipped == 0) {
            rem.add("Add a non-finite guard (skip_non_finite) first in the transform chain, so that a NaN gradient never reaches"
                    + " the weights or the optimizer state.");
        }
        rem.addAll(ExplodingDetector.remedies(run.facts(), Double.NaN));
        rem.add("Check the input data for NaN or infinite values, and losses for log(0) (use the with-logits losses).");
        return Optional.of(new Verdict(name(), sev, "Non-finite gradients or losses"
                + (reachedWeights ? " reached the weights" : skipped > 0 ? " (steps were skipped)" : ""), ev, rem));
    }
}
