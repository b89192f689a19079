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

    /** The state before the first step, with the shuffling generator at {@code shuffleState}. */
    public static TrainerState initial(long shuffleState) {
        return new TrainerState(0, 0, 0, shuffleState, shuffleState, Double.NaN, 0, Double.POSITIVE_INFINITY, 0, 1.0, 0, 0, 0,
                Map.of());
    }

    /** The start of the current epoch: its permutation is drawn from {@code shuffleState}. */
    public TrainerState startEpoch(long shuffleState) {
        return new TrainerState(step, epoch, 0, shuffleState, shuffleState, referenceLoss, referenceCount, bestValLoss,
                epochsWithoutImprovement, lrMultiplier, rollbacks, epochLossSum, epochLossCount, moduleRngs);
    }

    /** After one more step of this epoch whose batch was empty (Poisson sampling drew no example): no loss to count. */
    public TrainerState afterEmptyStep(long shuffleState) {
        return new TrainerState(step + 1, epoch, batchInEpoch + 1, epochShuffleState, shuffleState, referenceLoss,
                referenceCount, bestValLoss, epochsWithoutImprovement, lrMultiplier, rollbacks, epochLossSum,
                epochLossCount, moduleRngs);
    }

    /** After one more step of this epoch, whose batch loss was {@code loss}. */
    public TrainerState afterStep(long shuffleState, double loss) {
        return new TrainerState(step + 1, epoch, batchInEpoch + 1, epochShuffleState, shuffleState, referenceLoss,
                referenceCount, bestValLoss, epochsWithoutImprovement, lrMultiplier, rollbacks, epochLossSum + loss,
                epochLossCount + 1, moduleRngs);
    }

    /** With one more loss in the divergence reference (a running mean). */
    public TrainerState withReference(double loss) {
        double mean = referenceCount == 0 ? loss : (referenceLoss * referenceCount + loss) / (referenceCount + 1);
        return new TrainerState(step, epoch, batchInEpoch, epochShuffleState, shuffleState, mean, referenceCount + 1,
                bestValLoss, epochsWithoutImprovement, lrMultiplier, rollbacks, epochLossSum, epochLossCount, moduleRngs);
    }

    /** The next epoch, after validation gave {@code best} and {@code bad} epochs without improvement. */
    public TrainerState nextEpoch(long shuffleState, double best, int bad) {
        return new TrainerState(step, epoch + 1, 0, shuffleState, shuffleState, referenceLoss, referenceCount, best, bad,
                lrMultiplier, rollbacks, 0, 0, moduleRngs);
    }

    /** After rollback number {@code count}, training on at {@code multiplier} times the learning rate. */
    public TrainerState rolledBack(double multiplier, int count) {
        return new TrainerState(step, epoch, batchInEpoch, epochShuffleState, shuffleState, referenceLoss, referenceCount,
                bestValLoss, epochsWithoutImprovement, multiplier, count, epochLossSum, epochLossCount, moduleRngs);
    }

    /** This state with the shuffling generator at {@code shuffleState} and the model's generators at {@code rngs}. */
    public TrainerState withGenerators(long shuffleState, Map<String, Long> rngs) {
        return new TrainerState(step, epoch, batchInEpoch, epochShuffleState, shuffleState, referenceLoss, referenceCount,
                bestValLoss, epochsWithoutImprovement, lrMultiplier, rollbacks, epochLossSum, epochLossCount, rngs);
    }
}
