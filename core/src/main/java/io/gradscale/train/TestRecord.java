package io.gradscale.train;

/**
 * The held-out test set's metrics, measured once when training has ended.
 *
 * @param step the global step the tested weights were taken at: the last step, or the end of the epoch
 *     with the lowest validation loss
 * @param weights which weights were tested: {@code "last"} or {@code "best"} (lowest validation loss)
 * @param examples the number of test examples
 * @param loss the mean test loss
 * @param accuracy the test accuracy for classification tasks, else {@code NaN}
 */
public record TestRecord(long step, String weights, int examples, double loss, double accuracy) {
}
