package io.gradscale.transform;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Writing transform states to JSON and reading them back through the transform that made them.
 *
 * <p>Every call to {@link #mapper()} builds a new mapper: there is no shared mutable instance.
 */
public final class StateJson {
    private StateJson() {
    }

    /** A mapper that knows tensors ({@link TensorJson}). */
    public static ObjectMapper mapper() {
        return new ObjectMapper().registerModule(TensorJson.module());
    }

    /** The state as a JSON tree. */
    public static JsonNode toTree(ObjectMapper mapper, Object state) {
        return mapper.valueToTree(state);
    }

    /** The state as JSON text. */
    public static String write(ObjectMapper mapper, Object state) {
        try {
            return mapper.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write state " + state.getClass().getSimpleName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /** Reads JSON text written by {@link #write} as a state of {@code transform}. */
    public static <S> S read(ObjectMapper mapper, GradientTransform<S> transform, String json) {
        try {
            return transform.readState(mapper.readTree(json), mapper);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("state of transform '" + transform.name() + "' is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** A deep copy of {@code state}, made by writing it to a tree and reading it back. */
    public static <S> S copy(ObjectMapper mapper, GradientTransform<S> transform, S state) {
        return transform.readState(toTree(mapper, state), mapper);
    }
}
