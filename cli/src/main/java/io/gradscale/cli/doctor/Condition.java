package io.gradscale.cli.doctor;

import io.gradscale.diag.Verdict;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A condition a training run can have, as the benchmark labels it, and the doctor's verdicts that
 * diagnose it. A run with no condition is healthy.
 */
public enum Condition {
    /** Across layers (deep nets), or through time (recurrent nets, {@code vanishing_through_time}). */
    VANISHING("vanishing", "vanishing", "vanishing_through_time"),
    EXPLODING("exploding", "exploding"),
    NON_FINITE("non_finite", "non_finite"),
    /** Dead ReLU units seen by the activation probe, or a layer (e.g. a ReLU RNN) that no longer gets any gradient. */
    DEAD_UNITS("dead_units", "dead_units", "dead_layer"),
    SATURATED_UNITS("saturated_units", "saturated_units"),
    SHATTERED("shattered", "shattered"),
    LR_TOO_HIGH("lr_too_high", "lr_too_high"),
    LR_TOO_LOW("lr_too_low", "lr_too_low");

    /** A verdict at or above this severity counts as a diagnosis; OK and INFO do not. */
    public static final Verdict.Severity DIAGNOSED_AT = Verdict.Severity.WARNING;

    private final String key;
    private final List<String> detectors;

    Condition(String key, String... detectors) {
        this.key = key;
        this.detectors = List.of(detectors);
    }

    /** The name in tables and labels. */
    public String key() {
        return key;
    }

    /** The conditions the verdicts diagnose (each verdict at or above {@link #DIAGNOSED_AT}). */
    public static Set<Condition> diagnosed(List<Verdict> verdicts) {
        Set<Condition> out = EnumSet.noneOf(Condition.class);
        for (Verdict v : verdicts) {
            if (v.severity().compareTo(DIAGNOSED_AT) >= 0) {
                for (Condition c : values()) {
                    if (c.detectors.contains(v.detector())) {
                        out.add(c);
                    }
                }
            }
        }
        return out;
    }
}
