package io.gradscale.transform;

/**
 * Element-wise clipping: {@code u <- clamp(u, -c, c)}, as PyTorch's {@code clip_grad_value_}.
 *
 * <p>Non-finite values: NaN stays NaN (as in PyTorch's {@code clamp}); {@code +-inf} becomes {@code +-c}.
 * A default {@link GradientStep}-style guard at the head of the chain keeps NaN from arriving here.
 *
 * <p>Metrics: {@code clip_value.clipped}, the number of elements changed.
 */
public final class ClipByValue implements StatelessTransform {
    private final float clip;
    private final String clippedMetric;

    public ClipByValue(double clip) {
        if (!(clip > 0) || Double.isInfinite(clip)) {
            throw new IllegalArgumentException("clipByValue: the clip value must be positive and finite, got " + clip);
        }
        this.clip = (float) clip;
        this.clippedMetric = name() + ".clipped";
    }

    @Override
    public String name() {
        return "clip_value";
    }

    @Override
    public EmptyState update(Updates u, EmptyState state, ParameterSet params) {
        long clipped = 0;
        float hi = clip;
        float lo = -clip;
        for (int t = 0; t < u.size(); t++) {
            float[] d = u.get(t).data();
            for (int i = 0; i < d.length; i++) {
                float x = d[i];
                if (x > hi) {
                    d[i] = hi;
                    clipped++;
                } else if (x < lo) {
                    d[i] = lo;
                    clipped++;
                }
            }
        }
        u.metrics().put(clippedMetric, clipped);
        return state;
    }
}
