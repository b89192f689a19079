/**
 * Gradient transforms in the shape of Optax: each has an explicit state ({@code init}) and an
 * {@code update} that rewrites the per-parameter update tensors in place; {@link
 * io.gradscale.transform.Transforms#chain} composes them; {@link io.gradscale.transform.GradientStep}
 * runs a chain over a {@link io.gradscale.transform.ParameterSet} and applies {@code w <- w + u}.
 *
 * <p>Every transform reports what it did (norm seen, factor applied, clipped, skipped) into
 * {@link io.gradscale.transform.Metrics} under its name, and every state is a record that round-trips
 * through JSON ({@link io.gradscale.transform.StateJson}, tensors by {@link io.gradscale.transform.TensorJson}).
 *
 * <h2>NaN and infinity</h2>
 * PyTorch lets them through (its {@code clip_grad_norm_} turns a whole model's gradients into NaN,
 * {@code error_if_nonfinite=False} by default), Keras and Optax each choose differently again. Here:
 * <ul>
 *   <li>{@link io.gradscale.transform.GradientStep} puts a SKIP {@link io.gradscale.transform.NonFiniteGuard}
 *       first unless the chain starts with a guard; with loss scaling the scaler's overflow check skips
 *       instead. A non-finite gradient reaches the weights only after an explicit
 *       {@code guard(ALLOW)}.</li>
 *   <li>Norm-based transforms (clip by norm, normalize, AGC, AutoClip, ZClip) leave a group whose norm
 *       is not finite unchanged, report it ({@code .nonfinite}), and keep it out of their statistics.</li>
 *   <li>Clip by value keeps NaN (as {@code clamp}) and maps infinity to the bound.</li>
 *   <li>Weight decay, learning-rate scaling and the optimizer statistics do plain float arithmetic:
 *       NaN propagates, which is why the guard runs first.</li>
 * </ul>
 */
package io.gradscale.transform;
