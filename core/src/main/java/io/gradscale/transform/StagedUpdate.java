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

    /**
     * A per-tensor update whose work can end in the parameter update itself: {@link #tensorInto} is
     * {@link #tensor(int)} followed by {@code w += f u_i}, in one pass over the tensor, and without storing
     * {@code u_i} unless asked to. {@link GradientStep} uses it when the chain's per-tensor work ends in such an
     * update (followed by at most one {@link Scale}, the learning rate), so that an Adam step reads the gradient,
     * the moments and the weights once and writes no update buffer.
     */
    interface Applying<S> extends StagedUpdate<S> {
        /**
         * Tensor {@code i}'s work, then {@code w += f u_i} rounded as {@code GradientStep} applies it ({@code w + u}
         * when {@code f == 1}, else {@code w + (u f + 0)}); {@code u_i} is written to the updates only when
         * {@code keep}, and otherwise {@linkplain Updates#discard discarded}.
         */
        void tensorInto(int i, float[] w, float f, boolean keep);
    }

    /** Per-tensor work that only multiplies each update by {@code factor}, deferred ({@link Updates#deferScale}). */
    static <S> StagedUpdate<S> scale(S next, Updates updates, float factor) {
        return new Scale<>(next, updates, factor);
    }

    /** See {@link #scale}. */
    record Scale<S>(S next, Updates updates, float factor) implements StagedUpdate<S> {
        @Override
        public void tensor(int i) {
            updates.deferScale(i, factor);
        }

        @Override
        public S finish() {
            return next;
        }
    }

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
