package io.gradscale.transform;

/**
 * Dynamic loss scaling with the semantics of PyTorch's {@code torch.cuda.amp.GradScaler}.
 *
 * <p>The trainer multiplies the loss by {@link GradientStep#lossScale()} before backpropagation, so the
 * gradients arrive multiplied by the scale {@code S}. Before any transform runs, {@link GradientStep}
 * multiplies every gradient by {@code 1/S} (as a float, as PyTorch does) and checks that all are finite:
 * <ul>
 *   <li>overflow (any NaN or infinity): the step is skipped, {@code S <- S * backoff}, the growth
 *       tracker resets;</li>
 *   <li>otherwise the chain runs, and after {@code growthInterval} consecutive clean steps
 *       {@code S <- S * growth}.</li>
 * </ul>
 * A loss scaler is not a {@link GradientTransform} and cannot be placed in a chain: it only exists
 * inside a {@link GradientStep}, which always unscales first. So no transform can ever see scaled
 * gradients, and clipping thresholds always apply to true gradients.
 *
 * <p>Metrics: {@code loss_scale.scale} (the scale the gradients carried), {@code loss_scale.overflow}.
 */
public final class LossScaler {
    /** PyTorch's {@code init_scale}: 2^16. */
    public static final double DEFAULT_INITIAL_SCALE = 65536.0;
    /** PyTorch's {@code growth_factor}. */
    public static final double DEFAULT_GROWTH = 2.0;
    /** PyTorch's {@code backoff_factor}. */
    public static final double DEFAULT_BACKOFF = 0.5;
    /** PyTorch's {@code growth_interval}. */
    public static final int DEFAULT_GROWTH_INTERVAL = 2000;

    /**
     * @param scale          the current scale
     * @param growthTracker  clean steps since the last growth or overflow
     * @param overflows      steps skipped for overflow since the start
     */
    public record State(double scale, int growthTracker, long overflows) {
    }

    private final double initialScale;
    private final double growth;
    private final double backoff;
    private final int growthInterval;

    public LossScaler(double initialScale, double growth, double backoff, int growthInterval) {
        if (!(initialScale > 0) || Double.isInfinite(initialScale)) {
            throw new IllegalArgumentException("loss scaler: initial scale must be positive and finite, got " + initialScale);
        }
        if (!(growth > 1)) {
            throw new IllegalArgumentException("loss scaler: growth factor must be above 1, got " + growth);
        }
        if (!(backoff > 0 && backoff < 1)) {
            throw new IllegalArgumentException("loss scaler: backoff factor must be in (0, 1), got " + backoff);
        }
        if (growthInterval < 1) {
            throw new IllegalArgumentException("loss scaler: growth interval must be at least 1, got " + growthInterval);
        }
        this.initialScale = initialScale;
        this.growth = growth;
        this.backoff = backoff;
        this.growthInterval = growthInterval;
    }

    /** PyTorch's defaults. */
    public static LossScaler defaults() {
        return new LossScaler(DEFAULT_INITIAL_SCALE, DEFAULT_GROWTH, DEFAULT_BACKOFF, DEFAULT_GROWTH_INTERVAL);
    }

    public State init() {
        return new State(initialScale, 0, 0);
    }

    /** Divides the updates by the scale, checks them, and returns the state for the next step. */
    State unscale(Updates u, State s) {
        float inv = (float) (1.0 / s.scale());
        boolean overflow = false;
        for (int i = 0; i < u.size(); i++) {
            Norms.scale(u.engine(), u.get(i), inv);
            if (!overflow && !Norms.allFinite(u.engine(), u.get(i))) {
                overflow = true;
            }
        }
        u.metrics().put("loss_scale.scale", s.scale());
        u.metrics().put("loss_scale.overflow", overflow ? 1 : 0);
        if (overflow) {
            u.skip("loss scale " + s.scale() + " overflowed");
            return new State(s.scale() * backoff, 0, s.overflows() + 1);
        }
        int tracker = s.growthTracker() + 1;
        if (tracker == growthInterval) {
            return new State(s.scale() * growth, 0, s.overflows());
        }
        return new State(s.scale(), tracker, s.overflows());
    }
}
