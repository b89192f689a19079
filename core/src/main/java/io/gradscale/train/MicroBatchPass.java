package io.gradscale.train;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.data.Batch;
import io.gradscale.nn.Module;
import io.gradscale.tensor.BufferArena;
import io.gradscale.tensor.Engine;
import io.gradscale.transform.ParameterSet;
import java.util.Map;

/**
 * The forward and backward pass of one micro-batch on a model, and the moves of its gradient in and out of the
 * model's parameters: the one leaf of the tree in {@link MicroBatches}, shared by {@link LocalGradients} and by
 * any cluster's workers, so that both compute each micro-batch's contribution with the same operations.
 */
public final class MicroBatchPass {
    private final Module model;
    private final ParameterSet params;
    private final Objective objective;
    private final Engine engine;
    /** The per-example record of the backward passes since the last {@link #take} (null without per-example clipping). */
    private PerExample perExample;
    /** The model's batch normalization layers, in path order (their statistics' layer index). */
    private final java.util.List<io.gradscale.nn.BatchNorm1d> norms = new java.util.ArrayList<>();
    private boolean deferring;
    /**
     * The buffers of the passes, reused pass after pass: each pass's tape begins a new step on it, so nothing a pass
     * leased (its values, the loss) is read after the next pass starts; gradients leave through the parameters.
     */
    private final BufferArena arena = new BufferArena();

    public MicroBatchPass(Module model, Objective objective, Engine engine) {
        this.model = model;
        this.params = ParameterSet.of(model);
        this.objective = objective;
        this.engine = engine;
        for (Module m : model.namedModules().values()) {
            if (m instanceof io.gradscale.nn.BatchNorm1d bn) {
                norms.add(bn);
            }
        }
    }

    /**
     * Makes the model's batch normalization layers keep each pass's batch statistics instead of moving their running
     * statistics ({@link io.gradscale.nn.BatchNorm1d#deferStatistics}); {@link #take} hands them over with the
     * gradient, and {@link #applyStatistics} on the driver's model applies them in micro-batch order: a worker's copy
     * of the model then changes nothing but its gradients.
     */
    public void deferStatistics() {
        deferring = true;
        for (io.gradscale.nn.BatchNorm1d bn : norms) {
            bn.deferStatistics(true);
        }
    }

    /** Applies statistics a worker's passes kept ({@link GradientSum#statistics}), in their order; null applies none. */
    public void applyStatistics(float[][] statistics) {
        if (statistics == null) {
            return;
        }
        for (float[] s : statistics) {
            int layer = Float.floatToRawIntBits(s[0]);
            if (layer < 0 || layer >= norms.size()) {
                throw new IllegalArgumentException("batch statistics for normalization layer " + layer + " of a model with "
                        + norms.size());
            }
            norms.get(layer).applyStatistics(java.util.Arrays.copyOfRange(s, 1, s.length));
        }
    }

    public Module model() {
        return model;
    }

    /** The trainable parameters, in the order of a {@link GradientSum}'s arrays. */
    public ParameterSet parameters() {
        return params;
    }

    /**
     * Records the micro-batch's forward pass and backpropagates {@code lossScale * (n / batchSize) * loss}, adding
     * into the parameters' gradients.
     *
     * @param batchSize the examples of the whole step's batch, of which this micro-batch has {@code micro.size()}
     * @return the micro-batch's mean loss weighted by its share {@code n / batchSize} of the batch
     */
    public double backward(Batch micro, int batchSize, double lossScale) {
        return backward(micro, batchSize, lossScale, null);
    }

    /**
     * As {@link #backward(Batch, int, double)}, with per-example clipping when {@code clipping} is not null: the
     * micro-batch's gradient is then {@code sum_i c_i g_i} over its examples, {@code g_i} example i's gradient of its
     * own loss (so the per-example scale is {@code batchSize}: the recorded loss is the example losses' sum over
     * {@code batchSize}), and {@link #perExample} holds their norms and weights until {@link #take}.
     */
    public double backward(Batch micro, int batchSize, double lossScale, PerExample.Clipping clipping) {
        if (clipping != null && lossScale != 1.0) {
            throw new IllegalStateException("per-example clipping with loss scaling is not supported: the per-example norms"
                    + " would be of the scaled loss");
        }
        if (clipping != null && perExample != null) {
            throw new IllegalStateException("the per-example gradients of the last micro-batch were not taken");
        }
        double share = (double) micro.size() / batchSize;
        PerExample pe = clipping == null ? null : new PerExample(micro.size(), batchSize, clipping);
        Tape tape = pe == null ? Tape.recording(engine, arena) : Tape.recording(engine, pe, arena);
        Var out = model.forward(tape.constant(micro.inputs()));
        Var loss = objective.loss(out, micro);
        float factor = (float) (lossScale * share);
        tape.backward(factor == 1f ? loss : loss.mul(factor));
        perExample = pe;
        return loss.item() * share;
    }

    /**
     * The per-example norms and weights of the last backward pass, whose gradient stays in the model (a step of one
     * micro-batch); null without clipping. Taken: the next pass records its own.
     */
    public PerExample takePerExample() {
        PerExample pe = perExample;
        perExample = null;
        return pe;
    }

    /** The gradients as they are now (copied), with {@code loss}; the model's gradients are zeroed. */
    public GradientSum take(double loss) {
        float[][] g = new float[params.size()][];
        for (int i = 0; i < g.length; i++) {
            Parameter p = params.parameter(i);
            g[i] = p.hasGrad() ? p.grad().data().clone() : null;
        }
        model.zeroGrad();
        PerExample pe = perExample;
        perExample = null;
        return new GradientSum(g, loss, pe == null ? null : pe.norms(), pe == null ? null : pe.weights(), takeStatistics());
    }

    /** The kept statistics, layer by layer (each layer's in pass order), each prefixed by its layer's index; null without. */
    private float[][] takeStatistics() {
        if (!deferring || norms.isEmpty()) {
            return null;
        }
        java.util.List<float[]> out = new java.util.ArrayList<>();
        for (int j = 0; j < norms.size(); j++) {
            for (float[] s : norms.get(j).takeStatistics()) {
                float[] t = new float[s.length + 1];
                t[0] = Float.intBitsToFloat(j);
                System.arraycopy(s, 0, t, 1, s.length);
                out.add(t);
            }
        }
        return out.toArray(new float[0][]);
    }

    /** Writes {@code sum} into the parameters' gradients (left untouched where it has none). */
    public void load(GradientSum sum) {
        if (sum.grads().length != params.size()) {
            throw new IllegalArgumentException("a gradient sum of " + sum.grads().length + " parameters for a model with "
                    + params.size() + " trainable parameters");
        }
        for (int i = 0; i < params.size(); i++) {
            float[] g = sum.grads()[i];
            if (g == null) {
                continue;
            }
            float[] dst = params.parameter(i).grad().data();
            if (dst.length != g.length) {
                throw new IllegalArgumentException("parameter '" + params.path(i) + "' has " + dst.length + " elements, its gradient "
                        + g.length);
            }
            System.arraycopy(g, 0, dst, 0, g.length);
        }
    }

    /** Statistics of the activation layers' outputs of the last forward pass. */
    public Map<String, ActivationStats> activations() {
        return ActivationProbe.collect(model, engine);
    }
}
