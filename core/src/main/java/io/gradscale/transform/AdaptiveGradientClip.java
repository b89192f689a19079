package io.gradscale.transform;

import io.gradscale.tensor.Kernels;

import java.util.function.Predicate;

/**
 * Adaptive gradient clipping (AGC), Brock, De, Smith and Simonyan, "High-Performance Large-Scale Image
 * Recognition Without Normalization", ICML 2021.
 *
 * <p>Unit-wise: a unit is one output row of a weight (a slice along dimension 0 of a tensor of rank
 * 2 or more: a row of a {@code [out, in]} matrix, one output filter of a convolution); a tensor of rank
 * 0 or 1 (a bias, a gain) is one unit. For each unit with gradient {@code G} and weight {@code W}:
 * <pre>
 *   maxNorm = clipping * max(||W||_2, eps)
 *   G <- G * maxNorm / max(||G||_2, 1e-6)     when ||G||_2 > maxNorm
 * </pre>
 * with {@code eps = 1e-3} as in the paper. The paper advises not to clip the final classifier layer:
 * pass a predicate that excludes it ({@code ref -> ref.layer().equals("head")}).
 *
 * <p>A unit whose gradient norm is not finite is left unchanged ({@code .nonfinite} counts them).
 *
 * <p>Metrics: {@code agc.clipped} (units clipped), {@code agc.max_ratio} (largest
 * {@code ||G|| / max(||W||, eps)} seen), {@code agc.nonfinite}.
 */
public final class AdaptiveGradientClip implements StatelessTransform {
    /** The paper's epsilon on the parameter norm. */
    public static final double DEFAULT_EPS = 1e-3;
    /** Floor on the gradient norm in the scaling factor, as in the reference implementation. */
    static final double GRAD_NORM_FLOOR = 1e-6;

    private final double clipping;
    private final double eps;
    private final Predicate<ParamRef> exclude;

    /**
     * @param clipping the ratio λ (the paper uses 0.01 to 0.16 depending on batch size)
     * @param eps      floor on the parameter norm
     * @param exclude  parameters left unclipped (the final classifier)
     */
    public AdaptiveGradientClip(double clipping, double eps, Predicate<ParamRef> exclude) {
        if (!(clipping > 0) || Double.isInfinite(clipping)) {
            throw new IllegalArgumentException("agc: clipping must be positive and finite, got " + clipping);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("agc: eps must be positive, got " + eps);
        }
        this.clipping = clipping;
        this.eps = eps;
        this.exclude = exclude == null ? r -> false : exclude;
    }

    @Override
    public String name() {
        return "agc";
    }

    @Override
    public EmptyState update(Updates u, EmptyState state, ParameterSet params) {
        Kernels k = u.engine().kernels();
        long clipped = 0;
        long nonFinite = 0;
        double maxRatio = 0;
        for (int t = 0; t < params.size(); t++) {
            if (exclude.test(params.get(t))) {
                continue;
            }
            float[] g = u.get(t).data();
            float[] w = params.parameter(t).value().data();
            int rank = u.get(t).rank();
            int units = rank <= 1 ? 1 : u.get(t).dim(0);
            int len = units == 0 ? 0 : g.length / units;
            for (int r = 0; r < units; r++) {
                int off = r * len;
                double gn = Math.sqrt(k.sumSquares(g, off, len));
                if (!Double.isFinite(gn)) {
                    nonFinite++;
                    continue;
                }
                double wn = Math.max(Math.sqrt(k.sumSquares(w, off, len)), eps);
                maxRatio = Math.max(maxRatio, gn / wn);
                double maxNorm = clipping * wn;
                if (gn > maxNorm) {
                    clipped++;
                    float s = (float) (maxNorm / Math.max(gn, GRAD_NORM_FLOOR));
                    k.scaleShift(g, off, s, 0f, g, off, len);
                }
            }
        }
        u.metrics().put("agc.clipped", clipped);
        u.metrics().put("agc.max_ratio", maxRatio);
        u.metrics().put("agc.nonfinite", nonFinite);
        return state;
    }
}
