package io.gradscale.transform;

/**
 * Which parameters a norm is taken over: each tensor alone, the parameters of one layer (one module)
 * together, or all parameters together.
 */
public enum NormScope {
    TENSOR("tensor"),
    LAYER("layer"),
    GLOBAL("global");

    private final String label;

    NormScope(String label) {
        this.label = label;
    }

    /** Lower-case label used in metric names: {@code clip_layer_norm}. */
    public String label() {
        return label;
    }

    /** The groups of parameter indices of {@code params} under this scope. */
    public int[][] groups(ParameterSet params) {
        return params.groups(this);
    }
}
