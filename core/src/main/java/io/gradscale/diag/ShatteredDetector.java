package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Shattered gradients (Balduzzi et al., "The shattered gradients problem: if resnets are the answer, then
 * what is the question?", ICML 2017): in deep feed-forward networks without skip connections, the
 * gradient of the output with respect to the input, followed along a line of inputs, decorrelates with
 * depth until it behaves like white noise; its lag-1 autocorrelation falls toward 0, whereas shallow
 * and residual networks keep it near 1. Judged from {@link RunView#autocorrelation()}, measured by
 * {@link GradientAutocorrelation}.
 */
public final class ShatteredDetector implements Detector {

    @Override
    public String name() {
        return "shattered";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        double r = run.autocorrelation();
        if (Double.isNaN(r)) {
            return Optional.empty();
        }
        List<String> ev = List.of("lag-1 autocorrelation of the input gradient along a line of inputs: " + fmt(r)
                + " (smooth as in a shallow network: near 1; white noise: 0)");
        if (r >= DoctorThresholds.SHATTERED_WARN) {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "Gradients are not shattered (autocorrelation "
                    + fmt(r) + ")", ev, List.of()));
        }
        ModelFacts f = run.facts();
        List<String> rem = new ArrayList<>();
        if (!f.residual()) {
            rem.add("Add residual connections x + f(x): Balduzzi et al. show their gradients decorrelate only sublinearly with depth.");
        }
        if (!f.batchNorm()) {
            rem.add("Combine them with batch normalization, which together with skip connections keeps the gradient's"
                    + " autocorrelation high.");
        }
        if (f.depth() > 0) {
            rem.add("Reduce the depth (" + f.depth() + " layers) or use a 'looks linear' initialization of ReLU layers.");
        }
        return Optional.of(new Verdict(name(), r < DoctorThresholds.SHATTERED_CRITICAL ? Verdict.Severity.CRITICAL : Verdict.Severity.WARNING,
                "Shattered gradients: the input gradient is close to white noise (autocorrelation " + fmt(r) + ")", ev, rem));
    }
}
