package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.ActivationStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Dead and saturated units, from the activation statistics of the last sampled step.
 *
 * <p>A ReLU unit whose pre-activation is negative for every input passes no gradient and never recovers
 * ("dying ReLU"; Maas et al. 2013 introduce the leaky variant against it). A sigmoid or tanh unit in its
 * flat tails passes a gradient close to zero (LeCun et al. 1998, "Efficient BackProp").
 */
public final class UnitHealthDetector implements Detector {
    /** Share of dead ReLU units judged a warning. */
    public static final double DEAD_WARN = 0.4;
    /** Share of saturated outputs judged a warning. */
    public static final double SATURATED_WARN = 0.3;
    /** Either share above this is critical. */
    public static final double CRITICAL = 0.7;

    @Override
    public String name() {
        return "units";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        Map<String, ActivationStats> acts = run.lastActivations();
        if (acts.isEmpty()) {
            return Optional.empty();
        }
        List<String> ev = new ArrayList<>();
        double worstDead = 0;
        double worstSat = 0;
        for (Map.Entry<String, ActivationStats> e : acts.entrySet()) {
            ActivationStats a = e.getValue();
            boolean reluLike = a.kind().contains("relu") || a.kind().equals("elu") || a.kind().equals("gelu");
            if (reluLike) {
                if (Double.isNaN(a.deadFraction())) {
                    continue; // too few examples in the batch to judge (see ActivationStats)
                }
                worstDead = Math.max(worstDead, a.deadFraction());
                if (a.deadFraction() >= DEAD_WARN) {
                    ev.add(e.getKey() + " (" + a.kind() + "): " + fmt(100 * a.deadFraction()) + "% of units dead");
                }
            } else if (a.kind().equals("sigmoid") || a.kind().equals("tanh")) {
                worstSat = Math.max(worstSat, a.saturatedFraction());
                if (a.saturatedFraction() >= SATURATED_WARN) {
                    ev.add(e.getKey() + " (" + a.kind() + "): " + fmt(100 * a.saturatedFraction()) + "% of outputs saturated");
                }
            }
        }
        if (ev.isEmpty()) {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "Units are alive: at most " + fmt(100 * worstDead)
                    + "% dead and " + fmt(100 * worstSat) + "% saturated", List.of(), List.of()));
        }
        List<String> rem = new ArrayList<>();
        if (worstDead >= DEAD_WARN) {
            rem.add("Use Leaky ReLU (slope 0.01) or PReLU so that negative inputs still pass a gradient (Maas et al. 2013; He et al. 2015).");
            rem.add("Lower the learning rate: large steps push biases negative and kill units.");
        }
        if (worstSat >= SATURATED_WARN) {
            rem.add("Replace sigmoid/tanh with ReLU-family activations, or normalize pre-activations with batch normalization.");
            rem.add("Standardize the inputs and initialize with Glorot (tanh, sigmoid) so that pre-activations start near 0.");
        }
        double worst = Math.max(worstDead, worstSat);
        return Optional.of(new Verdict(name(), worst >= CRITICAL ? Verdict.Severity.CRITICAL : Verdict.Severity.WARNING,
                worstDead >= DEAD_WARN ? "Dead ReLU units" + (worstSat >= SATURATED_WARN ? " and saturated units" : "")
                        : "Saturated sigmoid/tanh units", ev, rem));
    }
}
