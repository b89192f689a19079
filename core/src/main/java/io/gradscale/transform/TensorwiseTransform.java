package io.gradscale.transform;

/**
 * A transform whose update is per-step work that reads no update tensor (checks of the state, bias
 * corrections, the learning rate, metrics), then work on each tensor that touches only that tensor of the
 * updates, of the state and of the parameters: Adam, momentum, weight decay, the learning rate.
 *
 * <p>{@link #stage} does the per-step part and returns the per-tensor part. {@link #update} is the two run
 * back to back over all tensors; a {@link Chain} instead runs consecutive tensorwise transforms tensor by
 * tensor, and {@link GradientStep} follows each tensor with its {@code w += u}. The bits are the same either
 * way: tensor {@code i} sees the same operations in the same order.
 *
 * <p>Contract, on top of {@link GradientTransform}'s: {@code stage} must not read or write an update tensor,
 * and neither part may mark the step skipped.
 *
 * @param <S> the state type
 */
public interface TensorwiseTransform<S> extends GradientTransform<S> {
    /** The per-step part of the update; the returned per-tensor part must run for every tensor. */
    @Override
    StagedUpdate<S> stage(Updates updates, S state, ParameterSet params);

    /** The whole update: {@link #stage}, then the per-tensor part of every tensor, then the next state. */
    @Override
    default S update(Updates updates, S state, ParameterSet params) {
        StagedUpdate<S> staged = stage(updates, state, params);
        updates.forEachTensor(staged::tensor);
        return staged.finish();
    }
}
