package io.gradscale.transform;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.tensor.Engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One optimizer: a {@link ParameterSet}, a transform (usually a named chain from
 * {@code io.gradscale.optim.Optimizers}), its state, and optionally a {@link LossScaler}.
 *
 * <p>{@link #step()}: copy the gradients into the update buffers; unscale them when loss scaling is on
 * (always first); run the transform; unless the step was skipped, apply {@code w <- w + u} to every
 * parameter; return the metrics. Skipped steps change no weight and no state other than the skip
 * counters.
 *
 * <p>The transform runs {@linkplain GradientTransform#stage staged}: the per-tensor work its
 * {@link TensorwiseTransform}s leave (Adam, momentum, the learning rate, ...) runs tensor by tensor, each
 * tensor followed by its {@code w += u}, so that a tensor's update is written and read back while it is
 * in cache. When the only parts before that work are the guard and 2-norm clips (which take what they
 * need from the checked load), the load itself only reads the gradients, and each copy into its update
 * buffer happens in the same tensor-by-tensor pass. None of this changes a bit: each tensor sees the same
 * operations in the same order.
 *
 * <p>Non-finite gradients: unless the transform is, or starts with, a {@link NonFiniteGuard}, a
 * {@link NonFinitePolicy#SKIP} guard is put in front of it (with loss scaling the scaler's overflow
 * check plays that role). So a NaN or infinite gradient never reaches the weights unless the user put
 * {@code guard(ALLOW)} first.
 *
 * <p>{@link #state()} and {@link #restore} give checkpoints; {@link #writeState()} and
 * {@link #readState(String)} their JSON form.
 */
public final class GradientStep {
    /**
     * @param step      steps taken, skipped ones included
     * @param lossScale the loss scaler's state, or null without loss scaling
     * @param transform the transform's state
     */
    public record State(long step, LossScaler.State lossScale, Object transform) {
    }

    private final ParameterSet params;
    private final GradientTransform<Object> transform;
    private final LossScaler scaler;
    private final Updates updates;
    /** The chain starts with a guard that can take the finiteness found while loading (no loss scaling in between). */
    private final boolean checkOnLoad;
    /** The checked load also takes each tensor's sum of squares, for a 2-norm clip in the chain. */
    private final boolean sumSquaresOnLoad;
    /** The load only checks; the copies wait for the tensor-by-tensor pass (see the class comment). */
    private final boolean deferCopy;
    private long step;
    private LossScaler.State scaleState;
    private Object state;

    /** An optimizer without loss scaling. */
    public GradientStep(ParameterSet params, GradientTransform<?> transform, Engine engine) {
        this(params, transform, null, engine);
    }

    /** An optimizer with loss scaling when {@code scaler} is not null. */
    @SuppressWarnings("unchecked")
    public GradientStep(ParameterSet params, GradientTransform<?> transform, LossScaler scaler, Engine engine) {
        if (params == null || transform == null || engine == null) {
            throw new IllegalArgumentException("GradientStep needs parameters, a transform and an engine");
        }
        this.params = params;
        this.scaler = scaler;
        this.transform = (GradientTransform<Object>) (scaler != null || startsWithGuard(transform) ? transform
                : Transforms.chain(new NonFiniteGuard(NonFinitePolicy.SKIP), transform));
        this.updates = new Updates(params, engine);
        this.checkOnLoad = scaler == null;
        this.sumSquaresOnLoad = checkOnLoad && usesL2Clip(this.transform);
        this.deferCopy = checkOnLoad && readsOnlyLoadedFacts(this.transform);
        this.state = this.transform.init(params);
        this.scaleState = scaler == null ? null : scaler.init();
    }

    /** True when some part clips by a 2-norm: only then is a sum of squares taken while loading worth its work. */
    private static boolean usesL2Clip(GradientTransform<?> t) {
        if (t instanceof ClipByNorm c) {
            return c.order() == 2.0;
        }
        return t instanceof Chain c && c.parts().stream().anyMatch(GradientStep::usesL2Clip);
    }

    /**
     * True when every part that is not tensorwise is the guard or a 2-norm clip: those take finiteness and sums
     * of squares from the checked load and scale by a deferred factor, so no update is read before the
     * tensor-by-tensor pass, which then does each copy while the tensor is in cache.
     */
    private static boolean readsOnlyLoadedFacts(GradientTransform<?> t) {
        if (t instanceof Chain c) {
            return c.parts().stream().allMatch(GradientStep::readsOnlyLoadedFacts);
        }
        return t instanceof TensorwiseTransform<?> || t instanceof NonFiniteGuard
                || t instanceof ClipByNorm c && c.order() == 2.0;
    }

    private static boolean startsWithGuard(GradientTransform<?> t) {
        if (t instanceof NonFiniteGuard) {
            return true;
        }
        return t instanceof Chain c && !c.parts().isEmpty() && startsWithGuard(c.parts().get(0));
    }

    /**
     * The part of the chain that weighs per-example gradients ({@link PrivateAggregate}), or null when none does:
     * then the trainer records ordinary gradients; otherwise it records per-example ones with this policy.
     */
    public io.gradscale.autograd.PerExample.Clipping perExampleClipping() {
        return clippingIn(transform);
    }

    private static io.gradscale.autograd.PerExample.Clipping clippingIn(GradientTransform<?> t) {
        if (t instanceof io.gradscale.autograd.PerExample.Clipping c) {
            return c;
        }
        if (t instanceof Chain ch) {
            for (GradientTransform<?> p : ch.parts()) {
                io.gradscale.autograd.PerExample.Clipping c = clippingIn(p);
                if (c != null) {
                    return c;
                }
            }
        }
        return null;
    }

    /** The transform that runs, with the guard put in front when there was none. */
    public GradientTransform<?> transform() {
        return transform;
    }

    public ParameterSet parameters() {
        return params;
    }

    /** The factor the trainer multiplies the loss by: the loss scale, or 1 without loss scaling. */
    public double lossScale() {
        return scaleState == null ? 1.0 : scaleState.scale();
    }

    /** Steps taken so far, skipped ones included. */
    public long stepCount() {
        return step;
    }

    /**
     * The update buffers of the last step (after the transform, before application); after {@link #step()}, a
     * tensor the optimizer applied in the same pass as it computed it is not kept (reading it throws), after
     * {@link #step(boolean) step(true)} every one is.
     */
    public Updates updates() {
        return updates;
    }

    /**
     * Runs one step on the current gradients and returns this step's metrics (valid until the next step);
     * {@link #updates()} then need not hold the applied updates (see {@link #step(boolean)}).
     */
    public Metrics step() {
        return step(false);
    }

    /**
     * Runs one step; with {@code keepUpdates}, {@link #updates()} holds every applied update afterwards (a
     * monitor's update-to-weight ratios read them). Without, an update that the optimizer adds to its weights
     * in the same pass as it computes it (Adam, or plain SGD reading the gradient itself) is not written to
     * the update buffers, which saves a write and a read of every update; reading it then throws. The weights
     * and the optimizer state come out bit for bit the same either way.
     */
    public Metrics step(boolean keepUpdates) {
        return step(keepUpdates, null);
    }

    /**
     * Runs one step on gradients that a per-example backward pass formed ({@code perExample}, whose weights the
     * chain's {@link #perExampleClipping()} gave); a transform that needs them ({@link PrivateAggregate}) reads them
     * from {@link Updates#perExample()}. Null runs an ordinary step.
     */
    public Metrics step(boolean keepUpdates, io.gradscale.autograd.PerExample perExample) {
        updates.loadGradients(params, step, checkOnLoad, sumSquaresOnLoad, deferCopy);
        updates.setPerExample(perExample);
        try {
            if (scaler != null) {
                scaleState = scaler.unscale(updates, scaleState);
            }
            if (!updates.skipped()) {
                StagedUpdate<Object> staged = transform.stage(updates, state, params);
                if (!updates.skipped()) {
                    if (staged instanceof StagedUpdate.Applying<Object> fused) {
                        updates.forEachTensor(i -> fused.tensorInto(i, weights(i), 1f, keepUpdates));
                    } else {
                        updates.forEachTensor(i -> {
                            staged.tensor(i);
                            updates.addTo(i, weights(i), keepUpdates);
                        });
                    }
                }
                state = staged.finish();
            }
        } finally {
            // a skipped (or failed) step leaves its gradients in the updates, as a full load would
            updates.loadAll();
            updates.setPerExample(null);
        }
        updates.metrics().put("skipped", updates.skipped() ? 1 : 0);
        step++;
        return updates.metrics();
    }

    private float[] weights(int i) {
        return params.parameter(i).value().data();
    }

    /** A deep copy of the whole state, for a checkpoint. */
    public State state() {
        ObjectMapper m = StateJson.mapper();
        return readTree(m, m.valueToTree(new State(step, scaleState, state)));
    }

    /** Restores a state taken by {@link #state()} (deep-copied, so the checkpoint stays intact). */
    public void restore(State s) {
        if ((s.lossScale() == null) != (scaler == null)) {
            throw new IllegalArgumentException("restore: the state was taken " + (s.lossScale() == null ? "without" : "with")
                    + " loss scaling but this optimizer runs " + (scaler == null ? "without" : "with") + " it");
        }
        State copy = state(s);
        this.step = copy.step();
        this.scaleState = copy.lossScale();
        this.state = copy.transform();
    }

    private State state(State s) {
        ObjectMapper m = StateJson.mapper();
        return readTree(m, m.valueToTree(s));
    }

    /** The whole state as JSON. */
    public String writeState() {
        return StateJson.write(StateJson.mapper(), new State(step, scaleState, state));
    }

    /** Reads a state written by {@link #writeState()} for this optimizer's transform. */
    public State readState(String json) {
        ObjectMapper m = StateJson.mapper();
        try {
            return readTree(m, m.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("optimizer state is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private State readTree(ObjectMapper m, JsonNode n) {
        JsonNode stepNode = n.get("step");
        JsonNode t = n.get("transform");
        if (stepNode == null || t == null) {
            throw new IllegalArgumentException("optimizer state: expected fields \"step\" and \"transform\", got " + n);
        }
        LossScaler.State ls = null;
        JsonNode lsNode = n.get("lossScale");
        if (lsNode != null && !lsNode.isNull()) {
            try {
                ls = m.treeToValue(lsNode, LossScaler.State.class);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("optimizer state: bad lossScale: " + e.getOriginalMessage(), e);
            }
        }
        return new State(stepNode.asLong(), ls, transform.readState(t, m));
    }

    /** This step's metrics as a name-to-value map (a copy). */
    public Map<String, Double> metricsMap() {
        return updates.metrics().asMap();
    }

    /** The paths of the parameters this optimizer updates. */
    public List<String> paths() {
        return new ArrayList<>(params.paths());
    }
}
