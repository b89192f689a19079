package io.gradscale.train;

import io.gradscale.autograd.Parameter;
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
        double share = (double) micro.size() / batchSize;
        Tape tape = Tape.recording(engine, arena);
        Var out = model.forward(tape.constant(micro.inputs()));
        Var loss = objective.loss(out, micro);
        float factor = (float) (lossScale * share);
        tape.backward(factor == 1f ? loss : loss.mul(factor));
        return loss.item() * share;
    }

    /** The gradients as they are now (copied), with {@code loss}; the model's gradients are zeroed. */
    public GradientSum take(double loss) {
        float[][] g = new float[params.size()][];
        for (int i = 0; i < g.length; i++) {
            Parameter p = params.parameter(i);
            g[i] = p.hasGrad() ? p.grad().data().clone() : null;
        }
        model.zeroGrad();
        return new GradientSum(g, loss);
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
