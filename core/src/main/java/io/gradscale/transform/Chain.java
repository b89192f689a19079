package io.gradscale.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Transforms applied one after the other: {@code chain(a, b, c)} runs {@code a}, then {@code b}, then
 * {@code c} on the same updates, and stops at the first one that marks the step skipped (the states of
 * the transforms after it are returned unchanged). Its state is the list of its parts' states.
 *
 * <p>Consecutive {@link TensorwiseTransform}s run tensor by tensor ({@link #stage}): for tensor {@code i}, the
 * first one's work, then the second one's, and so on, while the tensor is in cache. The bits are those of
 * running each part whole, one after the other.
 */
public final class Chain implements GradientTransform<Chain.State> {
    /** The states of the parts, in chain order. */
    public record State(List<Object> parts) {
        public State {
            parts = List.copyOf(parts);
        }
    }

    private final List<GradientTransform<?>> parts;
    /** For each part, whether staging it reads no update (see {@link #readsNoUpdateWhenStaged}), found once. */
    private final boolean[] blind;

    Chain(List<GradientTransform<?>> parts) {
        List<GradientTransform<?>> flat = new ArrayList<>();
        for (GradientTransform<?> t : parts) {
            if (t == null) {
                throw new IllegalArgumentException("chain: transform number " + flat.size() + " is null");
            }
            flat.add(t);
        }
        this.parts = List.copyOf(flat);
        this.blind = new boolean[this.parts.size()];
        for (int i = 0; i < blind.length; i++) {
            blind[i] = readsNoUpdateWhenStaged(this.parts.get(i));
        }
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

    /** The whole update: {@link #stage}, then whatever per-tensor work it left, tensor by tensor. */
    @Override
    public State update(Updates updates, State state, ParameterSet params) {
        StagedUpdate<State> staged = stage(updates, state, params);
        updates.forEachTensor(staged::tensor);
        return staged.finish();
    }

    /**
     * Runs the parts in order, but leaves the per-tensor work of {@link TensorwiseTransform}s for the returned
     * {@link StagedUpdate}, so that consecutive ones run tensor by tensor: the pending per-tensor work is run
     * (over all tensors) only before a part that may read the updates, and otherwise handed to the caller. A
     * skip stops the chain; the parts after it keep their states.
     */
    @Override
    public StagedUpdate<State> stage(Updates updates, State state, ParameterSet params) {
        if (state.parts().size() != parts.size()) {
            throw new IllegalArgumentException("chain of " + parts.size() + " transforms got a state of "
                    + state.parts().size() + " parts");
        }
        Object[] next = state.parts().toArray();
        List<StagedUpdate<?>> staged = new ArrayList<>(parts.size());
        List<StagedUpdate<?>> pending = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size() && !updates.skipped(); i++) {
            GradientTransform<?> t = parts.get(i);
            if (!pending.isEmpty() && !blind[i]) {
                StagedUpdate<?>[] run = pending.toArray(new StagedUpdate<?>[0]);
                updates.forEachTensor(k -> runTensor(run, k));
                pending.clear();
            }
            StagedUpdate<?> s = stagePart(t, updates, next[i], params);
            staged.add(s);
            if (!(s instanceof StagedUpdate.Done<?>)) {
                pending.add(s);
            }
        }
        StagedUpdate<?>[] rest = pending.toArray(new StagedUpdate<?>[0]);
        return new StagedUpdate<>() {
            @Override
            public void tensor(int k) {
                runTensor(rest, k);
            }

            @Override
            public State finish() {
                boolean changed = false;
                for (int i = 0; i < staged.size(); i++) {
                    Object s = staged.get(i).finish();
                    changed |= s != next[i];
                    next[i] = s;
                }
                return changed ? new State(List.of(next)) : state;
            }
        };
    }

    private static void runTensor(StagedUpdate<?>[] run, int k) {
        for (StagedUpdate<?> s : run) {
            s.tensor(k);
        }
    }

    /** True when staging {@code t} reads no update tensor, so work left pending before it may wait. */
    static boolean readsNoUpdateWhenStaged(GradientTransform<?> t) {
        return t instanceof TensorwiseTransform<?>
                || t instanceof Chain c && allTrue(c.blind);
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean f : flags) {
            if (!f) {
                return false;
            }
        }
        return true;
    }

    private static <S> StagedUpdate<S> stagePart(GradientTransform<S> t, Updates u, Object state, ParameterSet params) {
        if (!t.stateClass().isInstance(state)) {
            throw new IllegalArgumentException("transform '" + t.name() + "' expects a state of type "
                    + t.stateClass().getSimpleName() + ", got " + (state == null ? "null" : state.getClass().getSimpleName()));
        }
        return t.stage(u, t.stateClass().cast(state), params);
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
