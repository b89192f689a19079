package io.gradscale.train;

import io.gradscale.transform.GradientStep;

/**
 * Makes the optimizer for a training run. The trainer calls it once at the start with multiplier 1,
 * and again after each rollback with the lowered learning-rate multiplier (restoring the optimizer's
 * state into the new instance), so the factory must scale the learning rate by {@code lrMultiplier}
 * and otherwise build the same chain.
 */
@FunctionalInterface
public interface OptimizerFactory {
    GradientStep create(double lrMultiplier);
}
