package io.gradscale.diag;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;

/**
 * The vanishing-through-time probe of a recurrent model: how much of the gradient of its last output reaches
 * each input time step.
 *
 * <p>In a recurrent network the gradient of the output at the last step {@code T} with respect to the input at
 * step {@code t} passes through the product of the state Jacobians {@code prod_{k=t+1..T} dh_k/dh_{k-1}}; when
 * their norms are below 1 it shrinks geometrically with {@code T - t} (Bengio, Simard and Frasconi 1994; Pascanu,
 * Mikolov and Bengio 2013, who measure exactly this ratio), so that the network cannot learn from what happened
 * long ago. The per-layer statistics of the gradient monitor cannot see it: the recurrent weight's gradient is one
 * sum over all steps, dominated by the recent ones. The probe runs a batch of training sequences through the model,
 * takes the sum of the last step's outputs, back-propagates, and returns the norm of the input gradient at every
 * time step, {@code ||d sum(y_T) / d x_t||} over the batch and the features: its first over its last element is
 * the share of the signal that survives the whole sequence.
 */
public final class TemporalGradient {
    /** Sequences of the training set the probe runs through the model. */
    public static final int DEFAULT_SEQUENCES = 64;

    private TemporalGradient() {
    }

    /**
     * The input-gradient norm per time step, input {@code [batch, steps]} (one feature) or {@code [batch, steps,
     * features]}; the model's output is {@code [batch, outputs]} (a read-out of the last step),
     * {@code [batch * steps, outputs]} or {@code [batch, steps, outputs]} (one per step, of which the last step's is taken).
     */
    public static double[] norms(Module model, Tensor inputs, Engine engine) {
        if (inputs.shape().rank() != 2 && inputs.shape().rank() != 3) {
            throw new IllegalArgumentException("temporal gradient probe: expected sequences [batch, steps(, features)], got "
                    + inputs.shape());
        }
        int batch = inputs.shape().dim(0);
        int steps = inputs.shape().dim(1);
        int features = inputs.shape().rank() == 3 ? inputs.shape().dim(2) : 1;
        Tape tape = Tape.recording(engine);
        Var in = tape.variable(inputs);
        Var out = model.forward(in);
        if (out.shape().rank() == 3) { // a bare recurrent layer: [batch, steps, hidden]
            out = out.slice(1, steps - 1, steps);
        } else if (out.dim(0) == batch * steps && steps > 1) {
            out = out.reshape(batch, steps, -1).slice(1, steps - 1, steps);
        }
        tape.backward(out.sum());
        float[] g = in.grad().data();
        double[] norms = new double[steps];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                for (int f = 0; f < features; f++) {
                    double v = g[(b * steps + t) * features + f];
                    norms[t] += v * v;
                }
            }
        }
        for (int t = 0; t < steps; t++) {
            norms[t] = Math.sqrt(norms[t]);
        }
        return norms;
    }

    /** The first time step's input-gradient norm over the last's ({@link #norms}); NaN when the last is zero or not finite. */
    public static double firstOverLast(double[] norms) {
        double last = norms[norms.length - 1];
        return last > 0 && Double.isFinite(last) && Double.isFinite(norms[0]) ? norms[0] / last : Double.NaN;
    }
}
