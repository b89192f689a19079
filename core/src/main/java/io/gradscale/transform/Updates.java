package io.gradscale.transform;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;

/**
 * The per-parameter update tensors of one step, as they pass through a transform chain.
 *
 * <p>{@link #loadGradients} copies each parameter's gradient into a buffer owned by this object (the
 * buffers are allocated once, so a step allocates no tensor), and each transform rewrites the buffers in
 * place. Gradients themselves are left intact for monitors. A transform that decides the step must not
 * happen calls {@link #skip(String)}; the chain then stops, and no weight moves.
 *
 * <p>Also carried: the step index (0 for the first call, counting skipped steps), the {@link Engine}
 * whose kernels and threads transforms use, and the {@link Metrics} each transform reports into.
 */
public final class Updates {
    private final Engine engine;
    private final Tensor[] tensors;
    private final Metrics metrics = new Metrics();
    private long step;
    private boolean skipped;
    private String skipReason = "";

    /** Buffers shaped like the parameters of {@code params}, all zero. */
    public Updates(ParameterSet params, Engine engine) {
        this.engine = engine;
        this.tensors = new Tensor[params.size()];
        for (int i = 0; i < tensors.length; i++) {
            tensors[i] = Tensor.zeros(params.parameter(i).value().shape());
        }
    }

    /** Wraps given tensors (not copied), e.g. for tests and benchmarks that supply updates directly. */
    public Updates(Engine engine, Tensor... tensors) {
        this.engine = engine;
        this.tensors = tensors.clone();
    }

    /**
     * Starts step {@code step}: copies every gradient into its buffer (a parameter without a gradient
     * buffer contributes zeros), clears the skip flag and the metrics.
     */
    public void loadGradients(ParameterSet params, long step) {
        if (params.size() != tensors.length) {
            throw new IllegalArgumentException("updates hold " + tensors.length + " tensors but the parameter set has "
                    + params.size());
        }
        for (int i = 0; i < tensors.length; i++) {
            var p = params.parameter(i);
            if (!p.value().shape().equals(tensors[i].shape())) {
                throw new IllegalArgumentException("parameter '" + params.path(i) + "' has shape " + p.value().shape()
                        + " but its update buffer has shape " + tensors[i].shape());
            }
            if (p.hasGrad()) {
                tensors[i].copyFrom(p.grad());
            } else {
                tensors[i].fill(0f);
            }
        }
        begin(step);
    }

    /** Starts step {@code step} on the tensors as they are: clears the skip flag and the metrics. */
    public void begin(long step) {
        this.step = step;
        this.skipped = false;
        this.skipReason = "";
        metrics.clear();
    }

    public int size() {
        return tensors.length;
    }

    /** The update tensor of parameter {@code i}, rewritten in place by transforms. */
    public Tensor get(int i) {
        return tensors[i];
    }

    public Engine engine() {
        return engine;
    }

    public long step() {
        return step;
    }

    public boolean skipped() {
        return skipped;
    }

    /** Why the step was skipped, or "" when it was not. */
    public String skipReason() {
        return skipReason;
    }

    /** Marks this step skipped: the rest of the chain does not run and no weight changes. */
    public void skip(String reason) {
        skipped = true;
        skipReason = reason;
    }

    public Metrics metrics() {
        return metrics;
    }
}
