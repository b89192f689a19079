package io.gradscale.transform;

import java.util.function.Predicate;

/**
 * Weight decay: {@code u <- u + lambda * w}.
 *
 * <p>Where it sits in the chain decides which weight decay it is. Before an adaptive scaling
 * ({@code chain(weightDecay, scaleByAdam, scaleByLearningRate)}) it is coupled L2 regularization, as
 * PyTorch's {@code weight_decay} argument of SGD and Adam ({@code grad.add(param, alpha=wd)}). After it
 * ({@code chain(scaleByAdam, weightDecay, scaleByLearningRate)}) it is decoupled weight decay,
 * Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW): the step becomes
 * {@code w <- w - lr (adam + lambda w)}, PyTorch's {@code w * (1 - lr lambda) - lr adam} up to rounding.
 *
 * <p>Non-finite values propagate (a NaN weight gives a NaN update). Metrics: none.
 */
public final class WeightDecay implements StatelessTransform, TensorwiseTransform<EmptyState> {
    private final float lambda;
    private final Predicate<ParamRef> exclude;

    public WeightDecay(double lambda, Predicate<ParamRef> exclude) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("weight decay must be finite and non-negative, got " + lambda);
        }
        this.lambda = (float) lambda;
        this.exclude = exclude == null ? r -> false : exclude;
    }

    @Override
    public String name() {
        return "weight_decay";
    }

    @Override
    public StagedUpdate<EmptyState> stage(Updates u, EmptyState state, ParameterSet params) {
        if (lambda == 0f) {
            return StagedUpdate.done(state);
        }
        return StagedUpdate.of(state, i -> {
            if (!exclude.test(params.get(i))) {
                u.engine().axpyInPlace(lambda, params.parameter(i).value(), u.get(i));
            }
        });
    }
}
