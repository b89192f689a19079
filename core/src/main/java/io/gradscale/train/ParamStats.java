package io.gradscale.train;

/**
 * Gradient statistics of one parameter tensor at one step (the layer-level view is {@link LayerStats}).
 *
 * @param gradNorm L2 norm of the parameter's gradient, before any transform
 * @param gradMax largest absolute gradient element
 * @param paramNorm L2 norm of the parameter before the update
 */
public record ParamStats(double gradNorm, double gradMax, double paramNorm) {
}
