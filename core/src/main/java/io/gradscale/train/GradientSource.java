package io.gradscale.train;

import io.gradscale.autograd.PerExample;
import java.util.Map;

/**
 * Where a training step's gradient comes from: the forward and backward passes over the step's micro-batches,
 * their gradient sums added in the fixed tree of {@link MicroBatches} and left in the model's parameter
 * gradients. {@link LocalGradients} runs them in this JVM; a cluster runs them on its workers and adds their
 * pieces in the same tree, so the trainer, the transform chain and everything after them run once, on the
 * driver, on the aggregated gradient.
 */
public interface GradientSource {
    /** Examples in the training set. */
    int size();

    /**
     * Computes one step's gradient into the model's parameter gradients (which are zero on entry).
     *
     * @return the step's loss and, when asked, the activation statistics of its last micro-batch
     */
    StepResult compute(StepBatch batch);

    /**
     * One step's share of the epoch.
     *
     * @param step the global step number
     * @param permutation the epoch's order of the training set (shared: do not modify)
     * @param from first position of the step's batch in the permutation
     * @param to end (exclusive) of the step's batch in the permutation
     * @param batchSize the epoch's batch size: batch {@code j} starts at {@code j * batchSize}; the last may be shorter
     * @param microBatches requested micro-batches per step ({@link MicroBatches#count})
     * @param lossScale the factor the loss is multiplied by before backpropagation
     * @param probeActivations whether to summarize the activations of the last micro-batch
     * @param clipping with per-example clipping (DP-SGD), the policy weighting each example's gradient, applied per
     *                 micro-batch; null for an ordinary step
     */
    record StepBatch(long step, int[] permutation, int from, int to, int batchSize, int microBatches, double lossScale,
                     boolean probeActivations, PerExample.Clipping clipping) {
        /** An ordinary step, without per-example clipping. */
        public StepBatch(long step, int[] permutation, int from, int to, int batchSize, int microBatches, double lossScale,
                         boolean probeActivations) {
            this(step, permutation, from, to, batchSize, microBatches, lossScale, probeActivations, null);
        }

        /** The examples of the batch. */
        public int size() {
            return to - from;
        }

        /** The number of micro-batches the batch is cut into. */
        public int count() {
            return MicroBatches.count(size(), microBatches);
        }
    }

    /**
     * What a step's passes yield besides the gradient.
     *
     * @param loss the mean loss over the batch (unscaled)
     * @param activations per activation layer, statistics of its output on the last micro-batch (empty unless asked)
     * @param perExample with per-example clipping, every example's norm and weight in batch order, gathered over the
     *                   micro-batches ({@link PerExample#gathered}; the policy is the step's own); else null
     */
    record StepResult(double loss, Map<String, ActivationStats> activations, PerExample perExample) {
        /** A step without per-example clipping. */
        public StepResult(double loss, Map<String, ActivationStats> activations) {
            this(loss, activations, null);
        }
    }
}
