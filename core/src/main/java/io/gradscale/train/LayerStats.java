package io.gradscale.train;

/**
 * Gradient and update statistics of one layer (the parameters of one module together) at one step.
 *
 * @param gradNorm L2 norm of the layer's gradient (after backward, before any transform)
 * @param gradMax largest absolute gradient element
 * @param paramNorm L2 norm of the layer's parameters before the update
 * @param updateNorm L2 norm of the update actually applied (0 when the step was skipped)
 * @param updateRatioLog10 {@code log10(updateNorm / paramNorm)}, the quantity the DL4J training UI plots
 *     (around -3 is healthy); {@code NaN} when either norm is zero
 * @param nonFinite number of NaN or infinite gradient elements
 */
public record LayerStats(double gradNorm, double gradMax, double paramNorm, double updateNorm, double updateRatioLog10,
                         long nonFinite) {
}
