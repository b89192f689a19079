package io.gradscale.diag;

import java.util.List;

/**
 * What a detector concluded about a run, with the evidence and the remedy.
 *
 * @param detector the detector that produced it ("vanishing", "exploding", "non_finite", "shattered",
 *     "dead_units", "saturation")
 * @param severity how sure and how bad
 * @param title one line for people, e.g. "Vanishing gradients: early layers barely update"
 * @param evidence the measurements behind it, each one sentence with its numbers
 * @param remedies what the literature prescribes, made concrete for this network, most effective first
 */
public record Verdict(String detector, Severity severity, String title, List<String> evidence, List<String> remedies) {
    public Verdict {
        evidence = List.copyOf(evidence);
        remedies = List.copyOf(remedies);
    }

    /** Ordered from harmless to severe. */
    public enum Severity { OK, INFO, WARNING, CRITICAL }
}
