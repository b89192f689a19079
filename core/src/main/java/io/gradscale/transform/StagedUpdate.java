package io.gradscale.transform;

/**
 * A transform's update, begun by {@link GradientTransform#stage} with its per-tensor work still to do:
 * {@link #tensor(int)} does that work for one tensor, and {@link #finish()} gives the next state once every
 * tensor has had its turn.
 *
 * <p>This is how {@link GradientStep} runs an optimizer tensor by tensor: the transforms' work on tensor
 * {@code i} and the final {@code w_i += u_i} follow one another while tensor {@code i} is in cache, instead
 * of each transform sweeping all tensors in turn. Tensor {@code i}'s work touches only tensor {@code i} of
 * the updates, of the state and of the parameters, so the order of tensors (and the thread a tensor runs on)
 * changes no bit.
 *
 * @param <S> the state type of the transform
 */
public interface StagedUpdate<S> {
    /** The per-tensor work on tensor {@code i}: called once per tensor, for every tensor, before {@link #finish}. */
    void tensor(int i);

    /** The next state; called once, after every tensor's {@link #tensor(int)} (or after a skip, without them). */
    S finish();

    /** Per-tensor work {@code perTensor}, then {@code next} as the next state. */
    static <S> StagedUpdate<S> of(S next, java.util.function.IntConsumer perTensor) {
        return new StagedUpdate<>() {
            @Override
            public void tensor(int i) {
                perTensor.accept(i);
            }

            @Override
            public S finish() {
                return next;
            }
        };
    }

    /** An update already done whole: no per-tensor work left, and {@code next} as the next state. */
    static <S> StagedUpdate<S> done(S next) {
        return new Done<>(next);
    }

    /** See {@link #done}. */
    record Done<S>(S next) implements StagedUpdate<S> {
        @Override
        public void tensor(int i) {
        }

        @Override
        public S finish() {
            return next;
        }
    }
}
