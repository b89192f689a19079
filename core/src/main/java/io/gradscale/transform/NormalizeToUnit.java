package io.gradscale.transform;

/**
 * Gradient normalization: each group (tensor, layer or all, by {@link NormScope}) is divided by its
 * p-norm, so that it has unit norm: {@code G <- G / ||G||_p}.
 *
 * <p>A group of norm zero is left as it is (there is no direction to keep). A group with a non-finite
 * norm is left unchanged and counted in {@code .nonfinite}; the guard decides about it.
 *
 * <p>Metrics: {@code normalize_global.norm} (or {@code .max_norm} for the other scopes, the largest
 * norm before normalizing) and {@code .nonfinite}.
 */
public final class NormalizeToUnit implements StatelessTransform {
    private final double p;
    private final NormScope scope;
    private final String name;
    private final String mNorm;
    private final String mNonFinite;

    public NormalizeToUnit(double p, NormScope scope) {
        this.name = "normalize_" + scope.label();
        this.p = Norms.checkOrder(name, p);
        this.scope = scope;
        this.mNorm = name + (scope == NormScope.GLOBAL ? ".norm" : ".max_norm");
        this.mNonFinite = name + ".nonfinite";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public EmptyState update(Updates u, EmptyState state, ParameterSet params) {
        double largest = 0;
        int nonFinite = 0;
        for (int[] group : scope.groups(params)) {
            double n = Norms.groupNorm(u, group, p);
            if (!Double.isFinite(n)) {
                nonFinite++;
                largest = Double.NaN;
                continue;
            }
            largest = Double.isNaN(largest) ? largest : Math.max(largest, n);
            if (n > 0) {
                float s = (float) (1.0 / n);
                for (int i : group) {
                    Norms.scale(u.engine(), u.get(i), s);
                }
            }
        }
        u.metrics().put(mNorm, largest);
        u.metrics().put(mNonFinite, nonFinite);
        return state;
    }
}
