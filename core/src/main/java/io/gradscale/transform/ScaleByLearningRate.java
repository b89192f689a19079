package io.gradscale.transform;

/**
 * The last transform of an optimizer: {@code u <- -lr(t) * u}, where {@code t} counts the updates this
 * transform has scaled (skipped steps do not reach it and so do not count).
 *
 * <p>The product is deferred ({@link Updates#deferScale}): whoever reads the updates next sees them
 * scaled, and when that is the final {@code w += u} of a {@code GradientStep}, the scaling rides along
 * in that pass instead of costing one of its own.
 *
 * <p>Metrics: {@code lr} (the learning rate used).
 */
public final class ScaleByLearningRate implements TensorwiseTransform<ScaleByLearningRate.State> {
    /** @param count updates scaled so far */
    public record State(long count) {
    }

    private final Schedule schedule;

    public ScaleByLearningRate(Schedule schedule) {
        if (schedule == null) {
            throw new IllegalArgumentException("scaleByLearningRate: schedule must not be null");
        }
        this.schedule = schedule;
    }

    public Schedule schedule() {
        return schedule;
    }

    @Override
    public String name() {
        return "lr";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0);
    }

    @Override
    public StagedUpdate<State> stage(Updates u, State state, ParameterSet params) {
        double lr = schedule.at(state.count());
        float s = (float) -lr;
        u.metrics().put("lr", lr);
        return StagedUpdate.scale(new State(state.count() + 1), u, s);
    }
}
