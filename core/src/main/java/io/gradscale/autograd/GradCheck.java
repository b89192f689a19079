package io.gradscale.autograd;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Compares backpropagated gradients with central finite differences.
 *
 * <p>The function's output {@code y} is reduced to the scalar {@code L = sum_i w_i y_i} with fixed
 * random weights {@code w}, so that every output element is checked with a distinct weight (a
 * transposed or permuted gradient cannot cancel out). Each input element {@code x_j} is perturbed by
 * {@code +-h}; {@code (L(x + h e_j) - L(x - h e_j)) / 2h} is accumulated in double from the float32
 * forward values and compared with the analytic {@code dL/dx_j}. An element passes when
 * {@code |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)}.
 *
 * <p>The tensors are float32, so the forward values carry float rounding; the default step and
 * tolerances are set for that (they still fail a gradient off by a factor of 1.1 or transposed, as the
 * tests demonstrate). Inputs should keep a distance larger than {@code h} from kinks (ReLU at 0, ties of max).
 */
public final class GradCheck {
    private final double h;
    private final double rtol;
    private final double atol;
    private final Engine engine;

    public GradCheck(double h, double rtol, double atol, Engine engine) {
        this.h = h;
        this.rtol = rtol;
        this.atol = atol;
        this.engine = engine;
    }

    /** Step 3e-3, rtol 1e-2, atol 1e-3, on the serial engine: tight enough to catch a wrong factor. */
    public static GradCheck defaults() {
        return new GradCheck(3e-3, 1e-2, 1e-3, Engine.serial());
    }

    /** The worst element of a check: where it was, and both gradients. */
    public record Result(boolean passed, int input, int element, double analytic, double numeric, double worstExcess,
                         int checked) {
        @Override
        public String toString() {
            return (passed ? "passed" : "FAILED") + " over " + checked + " elements; worst at input " + input + " element "
                    + element + ": analytic " + analytic + " vs numeric " + numeric;
        }
    }

    /** Checks {@code f} at {@code inputs} (which are not modified). */
    public Result check(Function<List<Var>, Var> f, Tensor... inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = inputs[i].copy();
        }
        Tape tape = Tape.recording(engine);
        List<Var> vars = new ArrayList<>();
        for (Tensor x : xs) {
            vars.add(tape.variable(x));
        }
        Var out = f.apply(vars);
        Rng rng = new Rng(0x5EEDL);
        Tensor w = Tensor.uniform(rng, 0.5f, 1.5f, out.shape().dims());
        for (int i = 0; i < w.size(); i++) {
            if (rng.nextFloat() < 0.5f) {
                w.data()[i] = -w.data()[i];
            }
        }
        tape.backward(out, w);
        int worstIn = -1;
        int worstEl = -1;
        double worstA = 0;
        double worstN = 0;
        double worstExcess = Double.NEGATIVE_INFINITY;
        int checked = 0;
        for (int in = 0; in < xs.length; in++) {
            Tensor grad = vars.get(in).grad();
            float[] d = xs[in].data();
            for (int j = 0; j < d.length; j++) {
                float orig = d[j];
                d[j] = (float) (orig + h);
                double lp = weighted(f, xs, w);
                d[j] = (float) (orig - h);
                double lm = weighted(f, xs, w);
                d[j] = orig;
                double step = ((double) (float) (orig + h)) - ((double) (float) (orig - h));
                double numeric = (lp - lm) / step;
                double analytic = grad == null ? 0.0 : grad.data()[j];
                double excess = Math.abs(analytic - numeric) - (atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric)));
                checked++;
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worstIn = in;
                    worstEl = j;
                    worstA = analytic;
                    worstN = numeric;
                }
            }
        }
        return new Result(worstExcess <= 0, worstIn, worstEl, worstA, worstN, worstExcess, checked);
    }

    private double weighted(Function<List<Var>, Var> f, Tensor[] xs, Tensor w) {
        Tape t = Tape.noGrad(engine);
        List<Var> vars = new ArrayList<>();
        for (Tensor x : xs) {
            vars.add(t.constant(x));
        }
        float[] y = f.apply(vars).value().data();
        float[] wd = w.data();
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) wd[i] * y[i];
        }
        return s;
    }
}
