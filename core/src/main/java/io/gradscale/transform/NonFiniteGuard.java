package io.gradscale.transform;

/**
 * Guard against NaN and infinity in the updates, with a {@link NonFinitePolicy}: skip the step, zero
 * the non-finite values, fail naming the parameter, or (explicitly) allow them.
 *
 * <p>Finiteness is checked with one read-only pass ({@code max |u|} is finite iff every element is). At
 * the head of a {@code GradientStep}'s chain even that pass is saved: the step checks while it copies the
 * gradients, and the guard takes the answer when every value was finite.
 * A {@code GradientStep} puts a {@link NonFinitePolicy#SKIP} guard at the head of any chain that does
 * not start with a guard, so a non-finite gradient never reaches the weights unless the user chose
 * {@link NonFinitePolicy#ALLOW}.
 *
 * <p>State: the number of steps skipped and the number of elements zeroed so far; a skip changes only
 * that counter. Metrics: {@code guard.nonfinite} (elements this step), {@code guard.skipped} (0 or 1),
 * {@code guard.skipped_total}, {@code guard.zeroed_total}.
 */
public final class NonFiniteGuard implements GradientTransform<NonFiniteGuard.State> {
    /** Steps skipped and elements zeroed since the start. */
    public record State(long skippedSteps, long zeroedElements) {
    }

    private final NonFinitePolicy policy;

    public NonFiniteGuard(NonFinitePolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("guard: policy must not be null");
        }
        this.policy = policy;
    }

    public NonFinitePolicy policy() {
        return policy;
    }

    @Override
    public String name() {
        return "guard";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        return new State(0, 0);
    }

    @Override
    public State update(Updates u, State state, ParameterSet params) {
        int bad = 0;
        int firstBad = -1;
        for (int i = u.takeLoadedFinite() ? u.size() : 0; i < u.size(); i++) {
            if (!Norms.allFinite(u.engine(), u.get(i))) {
                int c = Norms.countNonFinite(u.get(i));
                bad += c;
                if (firstBad < 0) {
                    firstBad = i;
                }
            }
        }
        State next = state;
        boolean skip = false;
        if (bad > 0) {
            switch (policy) {
                case SKIP -> {
                    skip = true;
                    next = new State(state.skippedSteps() + 1, state.zeroedElements());
                    u.skip("non-finite gradient in '" + params.path(firstBad) + "'");
                }
                case ZERO -> {
                    for (int i = firstBad; i < u.size(); i++) {
                        float[] d = u.get(i).data();
                        for (int j = 0; j < d.length; j++) {
                            if (!Float.isFinite(d[j])) {
                                d[j] = 0f;
                            }
                        }
                    }
                    next = new State(state.skippedSteps(), state.zeroedElements() + bad);
                }
                case FAIL -> throw new NonFiniteGradientException(params.path(firstBad), u.step(),
                        Norms.countNonFinite(u.get(firstBad)), u.get(firstBad).size());
                case ALLOW -> {
                }
            }
        }
        u.metrics().put("guard.nonfinite", bad);
        u.metrics().put("guard.skipped", skip ? 1 : 0);
        u.metrics().put("guard.skipped_total", next.skippedSteps());
        u.metrics().put("guard.zeroed_total", next.zeroedElements());
        return next;
    }
}
