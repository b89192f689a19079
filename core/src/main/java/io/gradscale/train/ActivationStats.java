package io.gradscale.train;

/**
 * Statistics of one activation layer's output on a sampled step.
 *
 * @param kind the activation ("relu", "tanh", "sigmoid", ...)
 * @param mean mean of the outputs
 * @param std standard deviation of the outputs
 * @param deadFraction share of units (columns) that were zero for every example of the batch (ReLU family);
 *     NaN when the batch was too small to judge (fewer than 8 examples) or an output was not finite
 * @param saturatedFraction share of outputs in the flat tails: |y| > 0.99 for tanh, y < 0.01 or y > 0.99 for sigmoid;
 *     NaN when an output was not finite
 */
public record ActivationStats(String kind, double mean, double std, double deadFraction, double saturatedFraction)
        implements java.io.Serializable {
}
