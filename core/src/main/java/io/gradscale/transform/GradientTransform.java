package io.gradscale.transform;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A gradient transformation in the shape of Optax's {@code GradientTransformation}: an explicit state
 * made by {@link #init}, and an {@link #update} that rewrites the update tensors and returns the next
 * state.
 *
 * <pre>
 *   state_0       = init(params)
 *   state_{t+1}   = update(u_t, state_t, params)      // u_t rewritten in place
 * </pre>
 *
 * <p>Transforms compose with {@link Transforms#chain}; optimizers are named chains (see
 * {@code io.gradscale.optim.Optimizers}). A new technique is a new transform.
 *
 * <p>Contract:
 * <ul>
 *   <li>State objects are records (or other Jackson-serializable values) of the class
 *       {@link #stateClass()}; tensors in them are serialized by {@link TensorJson}. The state passed
 *       in is owned by the caller's chain: an update may rewrite its tensors in place and return a
 *       record that shares them, so that a steady-state step allocates no tensor.</li>
 *   <li>An update reports what it did into {@link Updates#metrics()} under {@code name() + ".…"}.</li>
 *   <li>An update that marks the step skipped must return its state unchanged, except for counters
 *       whose purpose is to count skips.</li>
 *   <li>What an update does with NaN and infinity is stated in its Javadoc.</li>
 * </ul>
 *
 * @param <S> the state type
 */
public interface GradientTransform<S> {
    /** The prefix of this transform's metrics, e.g. {@code clip_global_norm}. */
    String name();

    /** The class of the state, for reading it back from JSON. */
    Class<S> stateClass();

    /** The initial state for {@code params}. */
    S init(ParameterSet params);

    /** Rewrites {@code updates} in place and returns the next state. */
    S update(Updates updates, S state, ParameterSet params);

    /**
     * The update with its per-tensor work left for the caller to run tensor by tensor (see
     * {@link StagedUpdate}). This default does the whole {@link #update} now and leaves none;
     * {@link TensorwiseTransform}s and {@link Chain}s leave theirs.
     */
    default StagedUpdate<S> stage(Updates updates, S state, ParameterSet params) {
        return StagedUpdate.done(update(updates, state, params));
    }

    /** Reads a state written by {@link StateJson#toTree}; chains override this to read their parts. */
    default S readState(JsonNode node, ObjectMapper mapper) {
        try {
            return mapper.treeToValue(node, stateClass());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read the state of transform '" + name() + "' as "
                    + stateClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
