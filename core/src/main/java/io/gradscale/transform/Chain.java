package io.gradscale.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

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
                updates.forEachTensor(k -> runTensor(run, 0, run.length, k));
                pending.clear();
            }
            StagedUpdate<?> s = stagePart(t, updates, next[i], params);
            staged.add(s);
            if (s instanceof Staged inner) {
                pending.addAll(List.of(inner.run)); // a nested chain's per-tensor work joins this chain's run
            } else if (!(s instanceof StagedUpdate.Done<?>)) {
                pending.add(s);
            }
        }
        StagedUpdate<?>[] rest = pending.toArray(new StagedUpdate<?>[0]);
        Supplier<State> finish = () -> {
            boolean changed = false;
            for (int i = 0; i < staged.size(); i++) {
                Object s = staged.get(i).finish();
                changed |= s != next[i];
                next[i] = s;
            }
            return changed ? new State(List.of(next)) : state;
        };
        int last = rest.length - 1;
        if (last >= 0 && rest[last] instanceof StagedUpdate.Scale<?>) {
            last--;
        }
        if (last >= 0 && rest[last] instanceof StagedUpdate.Applying<?>) {
            return new ApplyingRun(rest, last, finish);
        }
        return new Staged(rest, finish);
    }

    /** The per-tensor work a chain leaves: its parts' work on each tensor in chain order (nested chains opened). */
    private static class Staged implements StagedUpdate<State> {
        final StagedUpdate<?>[] run;
        private final Supplier<State> finish;

        Staged(StagedUpdate<?>[] run, Supplier<State> finish) {
            this.run = run;
            this.finish = finish;
        }

        @Override
        public void tensor(int k) {
            runTensor(run, 0, run.length, k);
        }

        @Override
        public State finish() {
            return finish.get();
        }
    }

    /**
     * A run whose last work can apply itself ({@link StagedUpdate.Applying}), followed by at most one deferred
     * scaling (the learning rate): that scaling becomes the factor of the fused {@code w += f u}, the bits of
     * deferring it and applying.
     */
    private static final class ApplyingRun extends Staged implements StagedUpdate.Applying<State> {
        private final int fused;
        private final StagedUpdate.Scale<?> scale;

        ApplyingRun(StagedUpdate<?>[] run, int fused, Supplier<State> finish) {
            super(run, finish);
            this.fused = fused;
            this.scale = fused + 1 < run.length ? (StagedUpdate.Scale<?>) run[fused + 1] : null;
        }

        @Override
        public void tensorInto(int k, float[] w, float f, boolean keep) {
            runTensor(run, 0, fused, k);
            StagedUpdate.Applying<?> last = (StagedUpdate.Applying<?>) run[fused];
            if (scale == null) {
                last.tensorInto(k, w, f, keep);
            } else if (f == 1f) {
                last.tensorInto(k, w, scale.factor(), keep);
                if (keep) {
                    scale.tensor(k); // the kept update reads back scaled, as if applied separately
                }
            } else { // two factors round twice: scale the kept update, then apply with the second
                last.tensor(k);
                scale.tensor(k);
                scale.updates().deferScale(k, f);
                scale.updates().addTo(k, w, true);
            }
        }
    }

    private static void runTensor(StagedUpdate<?>[] run, int from, int to, int k) {
        for (int i = from; i < to; i++) {
            run[i].tensor(k);
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
