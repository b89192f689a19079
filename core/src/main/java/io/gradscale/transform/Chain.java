package io.gradscale.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Transforms applied one after the other: {@code chain(a, b, c)} runs {@code a}, then {@code b}, then
 * {@code c} on the same updates, and stops at the first one that marks the step skipped (the states of
 * the transforms after it are returned unchanged). Its state is the list of its parts' states.
 */
public final class Chain implements GradientTransform<Chain.State> {
    /** The states of the parts, in chain order. */
    public record State(List<Object> parts) {
        public State {
            parts = List.copyOf(parts);
        }
    }

    private final List<GradientTransform<?>> parts;

    Chain(List<GradientTransform<?>> parts) {
        List<GradientTransform<?>> flat = new ArrayList<>();
        for (GradientTransform<?> t : parts) {
            if (t == null) {
                throw new IllegalArgumentException("chain: transform number " + flat.size() + " is null");
            }
            flat.add(t);
        }
        this.parts = List.copyOf(flat);
    }

    /** The transforms in order. */
    public List<GradientTransform<?>> parts() {
        return parts;
    }

    @Override
    public String name() {
        return "chain";
    }

    @Override
    public Class<State> stateClass() {
        return State.class;
    }

    @Override
    public State init(ParameterSet params) {
        List<Object> states = new ArrayList<>(parts.size());
        for (GradientTransform<?> t : parts) {
            states.add(t.init(params));
        }
        return new State(states);
    }

    @Override
    public State update(Updates updates, State state, ParameterSet params) {
        if (state.parts().size() != parts.size()) {
            throw new IllegalArgumentException("chain of " + parts.size() + " transforms got a state of "
                    + state.parts().size() + " parts");
        }
        Object[] next = state.parts().toArray();
        boolean changed = false;
        for (int i = 0; i < parts.size() && !updates.skipped(); i++) {
            Object s = apply(parts.get(i), updates, next[i], params);
            changed |= s != next[i];
            next[i] = s;
        }
        return changed ? new State(List.of(next)) : state;
    }

    private static <S> Object apply(GradientTransform<S> t, Updates u, Object state, ParameterSet params) {
        if (!t.stateClass().isInstance(state)) {
            throw new IllegalArgumentException("transform '" + t.name() + "' expects a state of type "
                    + t.stateClass().getSimpleName() + ", got " + (state == null ? "null" : state.getClass().getSimpleName()));
        }
        return t.update(u, t.stateClass().cast(state), params);
    }

    @Override
    public State readState(JsonNode node, ObjectMapper mapper) {
        JsonNode arr = node.get("parts");
        if (arr == null || !arr.isArray() || arr.size() != parts.size()) {
            throw new IllegalArgumentException("chain of " + parts.size() + " transforms: expected a \"parts\" array of "
                    + parts.size() + " states, got " + arr);
        }
        List<Object> states = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            states.add(parts.get(i).readState(arr.get(i), mapper));
        }
        return new State(states);
    }
}
