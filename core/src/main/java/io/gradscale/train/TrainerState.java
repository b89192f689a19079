package io.gradscale.train;

import java.util.Map;

/**
 * The trainer's own position, saved in checkpoints so that a resumed run continues bit for bit.
 *
 * @param step global steps taken
 * @param epoch the current epoch
 * @param batchInEpoch batches of the current epoch already taken
 * @param epochShuffleState the shuffling generator's state at the start of the current epoch (its permutation is re-derived)
 * @param shuffleState the shuffling generator's state now
 * @param referenceLoss mean loss of the first steps (divergence reference), NaN until known
 * @param referenceCount steps in {@code referenceLoss} so far
 * @param bestValLoss best validation loss so far (early stopping)
 * @param epochsWithoutImprovement epochs since the best validation loss
 * @param lrMultiplier learning-rate multiplier after rollbacks (1 when none)
 * @param rollbacks rollbacks so far
 * @param epochLossSum sum of the current epoch's batch losses
 * @param epochLossCount number of batch losses in {@code epochLossSum}
 * @param moduleRngs states of the model's random generators (dropout), by path
 */
public record TrainerState(long step, int epoch, int batchInEpoch, long epochShuffleState, long shuffleState,
                           double referenceLoss, int referenceCount, double bestValLoss, int epochsWithoutImprovement,
                           double lrMultiplier, int rollbacks, double epochLossSum, int epochLossCount,
                           Map<String, Long> moduleRngs) {
    public TrainerState {
        moduleRngs = Map.copyOf(moduleRngs);
    }
}
