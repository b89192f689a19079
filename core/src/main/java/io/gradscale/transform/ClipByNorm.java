package io.gradscale.transform;

/**
 * Clipping by p-norm, per tensor, per layer or over all gradients, as PyTorch's {@code clip_grad_norm_}.
 *
 * <p>For each group {@code G} of the {@link NormScope}: {@code n = ||G||_p} (the p-norm of the group's
 * elements, equal to the p-norm of the per-tensor norms), {@code c = maxNorm / (n + 1e-6)}, and when
 * {@code n > maxNorm (1 + 1e-6)} every tensor of the group is multiplied by {@code c < 1}. So it only
 * ever scales down, and after clipping {@code ||G|| = maxNorm n / (n + 1e-6)}, at most {@code maxNorm}
 * up to float rounding (so at most {@code maxNorm (1 + 1e-6)}).
 *
 * <p>One deliberate difference from PyTorch, which scales whenever {@code c < 1}: a group whose norm is
 * within {@link #BAND} (relative) of the threshold is left alone, where PyTorch shrinks it by a factor
 * within {@code 2e-6} of 1. This makes clipping idempotent: the norm of a clipped group lands inside the
 * band whatever the float rounding, so clipping it again changes nothing, whereas in PyTorch every
 * repetition shrinks it again by {@code 1e-6 / maxNorm}.
 *
 * <p>Non-finite norm (NaN or infinity in the group): PyTorch 1.13 multiplies by NaN or 0 and so turns
 * the whole group into NaN or zeros. Here the group is left unchanged, factor 1 is reported and
 * {@code .nonfinite} is 1, so that the guard (which a {@code GradientStep} puts first) decides.
 *
 * <p>Metrics with {@link NormScope#GLOBAL}: {@code clip_global_norm.norm} (before clipping),
 * {@code .factor}, {@code .clipped} (0 or 1), {@code .nonfinite}. With the other scopes:
 * {@code .max_norm} (the largest group norm before clipping), {@code .min_factor}, {@code .clipped}
 * (number of groups clipped), {@code .nonfinite} (number of groups with a non-finite norm).
 */
public final class ClipByNorm implements StatelessTransform {
    /** PyTorch's epsilon added to the norm in the clipping coefficient. */
    public static final double EPSILON = 1e-6;
    /** Relative band above the threshold in which a group is not clipped (see the class comment). */
    public static final double BAND = 1e-6;

    private final double maxNorm;
    private final double p;
    private final NormScope scope;
    private final String name;
    private final String mNorm;
    private final String mFactor;
    private final String mClipped;
    private final String mNonFinite;

    public ClipByNorm(double maxNorm, double p, NormScope scope) {
        String n = "clip_" + scope.label() + "_norm";
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException(n + ": maxNorm must be positive and finite, got " + maxNorm);
        }
        this.maxNorm = maxNorm;
        this.p = Norms.checkOrder(n, p);
        this.scope = scope;
        this.name = n;
        this.mNorm = n + (scope == NormScope.GLOBAL ? ".norm" : ".max_norm");
        this.mFactor = n + (scope == NormScope.GLOBAL ? ".factor" : ".min_factor");
        this.mClipped = n + ".clipped";
        this.mNonFinite = n + ".nonfinite";
    }

    @Override
    public String name() {
        return name;
    }

    /** The norm order p. */
    public double order() {
        return p;
    }

    @Override
    public EmptyState update(Updates u, EmptyState state, ParameterSet params) {
        double largest = 0;
        double minFactor = 1;
        int clipped = 0;
        int nonFinite = 0;
        for (int[] group : scope.groups(params)) {
            double n = Norms.groupNorm(u, group, p);
            if (!Double.isFinite(n)) {
                nonFinite++;
                largest = Double.isNaN(n) || Double.isNaN(largest) ? Double.NaN : Math.max(largest, n);
                continue;
            }
            largest = Double.isNaN(largest) ? largest : Math.max(largest, n);
            double c = n > maxNorm * (1 + BAND) ? clipFactor(n, maxNorm) : 1.0;
            if (c < 1.0) {
                clipped++;
                minFactor = Math.min(minFactor, c);
                float f = (float) c;
                for (int i : group) {
                    u.deferScale(i, f); // whoever reads the update next (or w += u) multiplies, in its own pass
                }
            }
        }
        u.metrics().put(mNorm, largest);
        u.metrics().put(mFactor, minFactor);
        u.metrics().put(mClipped, clipped);
        u.metrics().put(mNonFinite, nonFinite);
        return state;
    }

    /** PyTorch's coefficient {@code min(1, maxNorm / (norm + 1e-6))}, computed in float as PyTorch does. */
    static double clipFactor(double norm, double maxNorm) {
        float c = (float) (maxNorm / (double) ((float) norm + (float) EPSILON));
        return Math.min(1.0, c);
    }
}
