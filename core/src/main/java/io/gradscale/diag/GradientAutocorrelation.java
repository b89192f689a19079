package io.gradscale.diag;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * The shattered-gradients probe of Balduzzi et al. (ICML 2017): follow a line of inputs through the
 * origin, {@code x_i = t_i d} with {@code d} a random unit direction and {@code t_i} evenly spaced in
 * {@code [-SPAN, SPAN]} (the paper uses 256 points over {@code [-2, 2]}), compute the directional
 * derivative {@code g_i = d . grad_x f_0(x_i)} of the first output, and return the lag-1 autocorrelation
 * {@code r = sum_i (g_i - mean)(g_{i+1} - mean) / sum_i (g_i - mean)^2}. Smooth gradients give r near 1,
 * white noise gives r near 0.
 *
 * <p>All points go through one batched forward and backward pass, in the model's current mode: in
 * training mode a batch-normalized model normalizes over the points of the line, as in the paper's
 * experiments (their feed-forward and residual networks use batch normalization).
 */
public final class GradientAutocorrelation {
    /** Points along the line, as in the paper's figures. */
    public static final int DEFAULT_POINTS = 256;
    /** Half-length of the line, as in the paper's figures. */
    public static final double SPAN = 2.0;

    private GradientAutocorrelation() {
    }

    /** The probe on a feed-forward model taking {@code [batch, inputs]}; the line's direction comes from {@code rng}. */
    public static double measure(Module model, int inputs, int points, Rng rng, Engine engine) {
        Tensor dir = Tensor.randn(rng, inputs);
        double norm = Math.sqrt(engine.sumSquares(dir));
        Tensor x = Tensor.zeros(points, inputs);
        for (int i = 0; i < points; i++) {
            double t = points == 1 ? 0 : SPAN * (-1.0 + 2.0 * i / (points - 1));
            for (int j = 0; j < inputs; j++) {
                x.data()[i * inputs + j] = (float) (t * dir.data()[j] / norm);
            }
        }
        {
            Tape tape = Tape.recording(engine);
            Var in = tape.variable(x);
            Var out = model.forward(in);
            Var first = out.reshape(points, -1).slice(1, 0, 1).sum();
            tape.backward(first);
            Tensor g = in.grad();
            double[] dd = new double[points];
            for (int i = 0; i < points; i++) {
                double s = 0;
                for (int j = 0; j < inputs; j++) {
                    s += g.data()[i * inputs + j] * dir.data()[j] / norm;
                }
                dd[i] = s;
            }
            return lag1(dd);
        }
    }

    /** Lag-1 autocorrelation of a series; 1 for a constant series (perfectly smooth). */
    public static double lag1(double[] g) {
        double mean = 0;
        for (double v : g) {
            mean += v;
        }
        mean /= g.length;
        double num = 0;
        double den = 0;
        for (int i = 0; i < g.length; i++) {
            double a = g[i] - mean;
            den += a * a;
            if (i + 1 < g.length) {
                num += a * (g[i + 1] - mean);
            }
        }
        return den == 0 ? 1.0 : num / den;
    }
}
