package io.gradscale.train;

/**
 * Something that happened during training besides a step: divergence, a rollback, early stopping,
 * a checkpoint written.
 *
 * @param step the global step it happened at
 * @param kind a short machine-readable kind ("diverged", "rollback", "early_stop", "checkpoint", ...)
 * @param message a sentence for people
 */
public record EventRecord(long step, String kind, String message) {
}
