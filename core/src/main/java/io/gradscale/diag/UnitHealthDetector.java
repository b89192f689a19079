package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.ActivationStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Dead or saturated units, from the activation statistics of the sampled steps of the second half of
 * the run (the median share per layer over those steps, so that one unlucky batch decides nothing).
 *
 * <p>A ReLU unit whose pre-activation is negative for every input passes no gradient and never recovers
 * ("dying ReLU"; Maas et al. 2013 introduce the leaky variant against it): verdict {@code dead_units}. A
 * sigmoid or tanh unit in its flat tails passes a gradient close to zero (LeCun et al. 1998, "Efficient
 * BackProp"): verdict {@code saturated_units}. One instance judges one of the two.
 */
public final class UnitHealthDetector implements Detector {
    /** Which of the two conditions an instance judges. */
    public enum Kind {
        DEAD("dead_units"), SATURATED("saturated_units");

        private final String verdictName;

        Kind(String verdictName) {
            this.verdictName = verdictName;
        }
    }

    private final Kind kind;

    public UnitHealthDetector(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return kind.verdictName;
    }

    private boolean judged(String activation) {
        boolean reluLike = activation.contains("relu") || activation.equals("elu") || activation.equals("gelu");
        return kind == Kind.DEAD ? reluLike : activation.equals("sigmoid") || activation.equals("tanh");
    }

    private double share(ActivationStats a) {
        return kind == Kind.DEAD ? a.deadFraction() : a.saturatedFraction();
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<StepRecord> sampled = new ArrayList<>();
        for (StepRecord r : run.steps()) {
            if (!r.activations().isEmpty()) {
                sampled.add(r);
            }
        }
        if (sampled.isEmpty()) {
            return Optional.empty();
        }
        List<StepRecord> late = sampled.subList(sampled.size() / 2, sampled.size());
        List<String> ev = new ArrayList<>();
        double worst = 0;
        boolean any = false;
        for (Map.Entry<String, ActivationStats> e : sampled.get(sampled.size() - 1).activations().entrySet()) {
            if (!judged(e.getValue().kind())) {
                continue;
            }
            double[] shares = new double[late.size()];
            for (int i = 0; i < shares.length; i++) {
                ActivationStats a = late.get(i).activations().get(e.getKey());
                shares[i] = a == null ? Double.NaN : share(a);
            }
            double m = Stats.median(shares); // NaN when every batch was too small to judge (see ActivationStats)
            if (Double.isNaN(m)) {
                continue;
            }
            any = true;
            worst = Math.max(worst, m);
            if (m >= warnAt()) {
                ev.add(e.getKey() + " (" + e.getValue().kind() + "): " + fmt(100 * m) + "% of "
                        + (kind == Kind.DEAD ? "units dead" : "outputs saturated") + " (median over the last " + late.size()
                        + " sampled steps)");
            }
        }
        if (!any) {
            return Optional.empty();
        }
        if (ev.isEmpty()) {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, (kind == Kind.DEAD ? "Units are alive: at most "
                    : "Units are not saturated: at most ") + fmt(100 * worst) + (kind == Kind.DEAD ? "% dead" : "% saturated"),
                    List.of(), List.of()));
        }
        List<String> rem = new ArrayList<>();
        if (kind == Kind.DEAD) {
            rem.add("Use Leaky ReLU (slope 0.01) or PReLU so that negative inputs still pass a gradient (Maas et al. 2013; He et al. 2015).");
            rem.add("Lower the learning rate: large steps push biases negative and kill units.");
        } else {
            rem.add("Replace sigmoid/tanh with ReLU-family activations, or normalize pre-activations with batch normalization.");
            rem.add("Standardize the inputs and initialize with Glorot (tanh, sigmoid) so that pre-activations start near 0.");
        }
        return Optional.of(new Verdict(name(), worst >= DoctorThresholds.UNITS_CRITICAL ? Verdict.Severity.CRITICAL : Verdict.Severity.WARNING,
                kind == Kind.DEAD ? "Dead ReLU units" : "Saturated sigmoid/tanh units", ev, rem));
    }

    private double warnAt() {
        return kind == Kind.DEAD ? DoctorThresholds.DEAD_UNITS_WARN : DoctorThresholds.SATURATED_WARN;
    }
}
