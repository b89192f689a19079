package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/**
 * Huber loss (Huber, "Robust estimation of a location parameter", 1964), PyTorch's {@code nn.HuberLoss}:
 * with {@code d = x - t}, {@code l = d^2 / 2} for {@code |d| < delta}, else {@code delta (|d| - delta / 2)}.
 * Its gradient is {@code d} clipped to {@code [-delta, delta]}: a loss-side bound on exploding errors.
 *
 * <p>Computed as {@code q^2 / 2 + delta (|d| - q)} with {@code q = min(|d|, delta) = delta - relu(delta - |d|)}.
 */
public final class HuberLoss {
    /** PyTorch's default {@code delta}. */
    public static final float DEFAULT_DELTA = 1.0f;

    private final Reduction reduction;
    private final float delta;

    public HuberLoss() {
        this(Reduction.DEFAULT, DEFAULT_DELTA);
    }

    public HuberLoss(Reduction reduction, float delta) {
        if (!(delta > 0f)) {
            throw new IllegalArgumentException("HuberLoss: delta must be > 0, got " + delta);
        }
        this.reduction = reduction;
        this.delta = delta;
    }

    public Var apply(Var input, Var target) {
        if (!input.shape().equals(target.shape())) {
            throw new ShapeException("HuberLoss: input shape " + input.shape() + " differs from target shape " + target.shape());
        }
        Var a = input.sub(target).abs();
        Var q = a.neg().add(delta).relu().neg().add(delta);
        return reduction.apply(q.square().mul(0.5f).add(a.sub(q).mul(delta)));
    }
}
