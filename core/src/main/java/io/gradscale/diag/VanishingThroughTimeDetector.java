package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gradients vanishing through time in a recurrent network: the gradient of the last output reaches the first input
 * step at a small fraction of what reaches the last ({@link RunView#temporalRatio()}, measured by
 * {@link TemporalGradient}), so that what happened early in a sequence cannot be learned (Bengio, Simard and Frasconi
 * 1994; Hochreiter and Schmidhuber 1997). Judged on the trained model: a network that has learned to carry a
 * long-range dependency keeps the ratio up, one whose state Jacobians contract does not. Not judged on a run whose loss
 * diverged ({@link DoctorThresholds#LOSS_BLOWUP}): what the blow-up left passes no gradient for another reason.
 */
public final class VanishingThroughTimeDetector implements Detector {
    /** The verdict's name. */
    public static final String NAME = "vanishing_through_time";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        double r = run.temporalRatio();
        if (Double.isNaN(r) || !(TrainingProgress.lossRatio(run.steps()) < DoctorThresholds.LOSS_BLOWUP)) {
            // not measured; or the run diverged, and its final weights (tanh units pinned at +-1, ReLU units dead) pass no
            // gradient through time because of the blow-up, which the exploding and non-finite detectors judge
            return Optional.empty();
        }
        List<String> ev = List.of("gradient of the last output with respect to the input: at the first time step " + fmt(r)
                + " of that at the last step");
        if (r >= DoctorThresholds.TEMPORAL_VANISHING_WARN) {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "No vanishing through time: the first time step receives "
                    + fmt(r) + " of the last step's gradient", ev, List.of()));
        }
        List<String> rem = new ArrayList<>();
        if ("rnn".equals(run.facts().recurrent())) {
            rem.add("Use an LSTM or GRU cell instead of the Elman RNN: their additive, gated state carries gradients across"
                    + " long spans (Hochreiter and Schmidhuber 1997; Cho et al. 2014).");
            rem.add("Or initialize the recurrent weights orthogonally (Saxe et al. 2014), or as the identity with ReLU units"
                    + " (IRNN; Le, Jaitly and Hinton 2015), so that the state Jacobians start with norm 1.");
        } else {
            rem.add("Initialize the forget gate's bias to 1 so that the cell state is kept by default (Jozefowicz et al. 2015).");
        }
        rem.add("Shorten the sequences the gradient must cross (truncated windows, or summaries of the distant past).");
        return Optional.of(new Verdict(name(), r < DoctorThresholds.TEMPORAL_VANISHING_CRITICAL ? Verdict.Severity.CRITICAL
                : Verdict.Severity.WARNING, "Vanishing gradients through time: the first time step gets " + fmt(r)
                + " of the last step's gradient", ev, rem));
    }
}
