package io.gradscale.transform;

/**
 * A transform that keeps no state between steps (clipping, normalization, weight decay): its state is
 * always {@link EmptyState#INSTANCE}, so only {@link #update} is left to write.
 */
public interface StatelessTransform extends GradientTransform<EmptyState> {
    @Override
    default Class<EmptyState> stateClass() {
        return EmptyState.class;
    }

    @Override
    default EmptyState init(ParameterSet params) {
        return EmptyState.INSTANCE;
    }
}
