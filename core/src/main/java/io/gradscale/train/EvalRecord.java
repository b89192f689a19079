package io.gradscale.train;

/**
 * Validation metrics at the end of an epoch.
 *
 * @param step the global step at which validation ran
 * @param epoch the epoch that just ended
 * @param trainLoss mean training loss over the epoch
 * @param valLoss mean validation loss ({@code NaN} without a validation set)
 * @param valAccuracy validation accuracy for classification tasks, else {@code NaN}
 * @param valExamples the number of validation examples evaluated; 0 means the run has no validation
 *     set, and the metrics log then writes no validation fields at all
 */
public record EvalRecord(long step, int epoch, double trainLoss, double valLoss, double valAccuracy, int valExamples) {
    /** True when a validation set was evaluated. */
    public boolean validated() {
        return valExamples > 0;
    }
}
