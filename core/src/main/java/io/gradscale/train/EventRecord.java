package io.gradscale.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.gradscale.diag.Verdict;

/**
 * Something that happened during training besides a step: divergence, a rollback, early stopping,
 * a checkpoint written, a condition the live gradient doctor saw begin or end.
 *
 * @param step the global step it happened at
 * @param kind a short machine-readable kind ("diverged", "rollback", "early_stop", "aborted",
 *     "condition_began", "condition_changed", "condition_ended", ...)
 * @param message a sentence for people
 * @param condition for condition events, the detector whose verdict it is (as in {@link Verdict#detector()}); else null
 * @param severity for condition events, the verdict's severity from then on ({@code OK} when it ended); else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventRecord(long step, String kind, String message, String condition, Verdict.Severity severity) {
    public EventRecord {
        // a metrics log line without them is refused on reading (naming file and line), not rendered as null
        java.util.Objects.requireNonNull(kind, "kind");
        java.util.Objects.requireNonNull(message, "message");
    }

    /** An event that is not about a condition. */
    public EventRecord(long step, String kind, String message) {
        this(step, kind, message, null, null);
    }
}
