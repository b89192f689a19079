package io.gradscale.train;

/**
 * Validation metrics at the end of an epoch.
 *
 * @param step the global step at which validation ran
 * @param epoch the epoch that just ended
 * @param trainLoss mean training loss over the epoch
 * @param valLoss mean validation loss ({@code NaN} without a validation split)
 * @param valAccuracy validation accuracy for classification tasks, else {@code NaN}
 */
public record EvalRecord(long step, int epoch, double trainLoss, double valLoss, double valAccuracy) {
}
