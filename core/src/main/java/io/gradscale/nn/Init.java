package io.gradscale.nn;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;

/**
 * Weight initializers with the formulas and gains of PyTorch's {@code torch.nn.init}; each fills a
 * tensor in place from an explicit {@link Rng} and returns it.
 *
 * <p>Fans follow PyTorch: for a weight of shape {@code [out, in, k...]} the receptive field is
 * {@code prod(k...)}, {@code fan_in = in * receptive} and {@code fan_out = out * receptive}; tensors of
 * rank below 2 have no fans.
 * <ul>
 *   <li>Glorot/Xavier (Glorot and Bengio, "Understanding the difficulty of training deep feedforward
 *       neural networks", AISTATS 2010): {@code std = gain * sqrt(2 / (fan_in + fan_out))}; uniform on
 *       {@code [-sqrt(3) std, sqrt(3) std]} or normal.</li>
 *   <li>He/Kaiming (He et al., "Delving deep into rectifiers", ICCV 2015):
 *       {@code std = gain / sqrt(fan)}, gain from {@link Nonlinearity#gain(double)}; uniform or normal.</li>
 *   <li>LeCun (LeCun et al., "Efficient BackProp", 1998): {@code std = 1 / sqrt(fan_in)}; PyTorch has no
 *       LeCun initializer, so this is He with gain 1 and fan_in (a plain normal, not Keras' truncated one).</li>
 *   <li>Orthogonal (Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep linear
 *       neural networks", ICLR 2014): the Q factor of a Gaussian matrix with the signs fixed so that
 *       R has a positive diagonal (a Haar-distributed orthogonal matrix), times {@code gain}.</li>
 * </ul>
 */
public final class Init {
    private Init() {
    }

    /** PyTorch's default {@code a} of {@code kaiming_uniform_}/{@code kaiming_normal_}: 0 (plain ReLU gain). */
    public static final double DEFAULT_KAIMING_SLOPE = 0.0;

    /** The {@code a = sqrt(5)} PyTorch's {@code nn.Linear} passes to {@code kaiming_uniform_}, making the bound {@code 1/sqrt(fan_in)}. */
    public static final double LINEAR_DEFAULT_SLOPE = Math.sqrt(5.0);

    /** {@code fan_in} as PyTorch computes it. */
    public static int fanIn(Shape s) {
        requireRank2(s, "fan_in");
        return s.dim(1) * receptive(s);
    }

    /** {@code fan_out} as PyTorch computes it. */
    public static int fanOut(Shape s) {
        requireRank2(s, "fan_out");
        return s.dim(0) * receptive(s);
    }

    private static int receptive(Shape s) {
        int r = 1;
        for (int k = 2; k < s.rank(); k++) {
            r *= s.dim(k);
        }
        return r;
    }

    private static void requireRank2(Shape s, String what) {
        if (s.rank() < 2) {
            throw new IllegalArgumentException(what + " needs a tensor of rank 2 or more, got shape " + s);
        }
    }

    public static Tensor zeros(Tensor t) {
        t.fill(0f);
        return t;
    }

    public static Tensor constant(Tensor t, float value) {
        t.fill(value);
        return t;
    }

    /** {@code U(lo, hi)}. */
    public static Tensor uniform(Tensor t, double lo, double hi, Rng rng) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException("uniform: lo must be <= hi, got lo=" + lo + ", hi=" + hi);
        }
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return t;
    }

    /** {@code N(mean, std^2)}. */
    public static Tensor normal(Tensor t, double mean, double std, Rng rng) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        }
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (mean + std * rng.nextGaussian());
        }
        return t;
    }

    public static Tensor xavierUniform(Tensor t, double gain, Rng rng) {
        double a = Math.sqrt(3.0) * xavierStd(t.shape(), gain);
        return uniform(t, -a, a, rng);
    }

    public static Tensor xavierNormal(Tensor t, double gain, Rng rng) {
        return normal(t, 0.0, xavierStd(t.shape(), gain), rng);
    }

    private static double xavierStd(Shape s, double gain) {
        return gain * Math.sqrt(2.0 / (fanIn(s) + fanOut(s)));
    }

    /** The standard deviation of He initialization: {@code gain(nonlinearity, slope) / sqrt(fan)}. */
    public static double kaimingStd(Shape s, double slope, FanMode mode, Nonlinearity nonlinearity) {
        int fan = mode == FanMode.FAN_IN ? fanIn(s) : fanOut(s);
        if (fan == 0) {
            throw new IllegalArgumentException("kaiming init of a tensor of shape " + s + " with a zero " + mode);
        }
        return nonlinearity.gain(slope) / Math.sqrt(fan);
    }

    /** He uniform: {@code U(-b, b)}, {@code b = sqrt(3) * gain / sqrt(fan)}; {@code slope} is Leaky ReLU's. */
    public static Tensor kaimingUniform(Tensor t, double slope, FanMode mode, Nonlinearity nonlinearity, Rng rng) {
        double b = Math.sqrt(3.0) * kaimingStd(t.shape(), slope, mode, nonlinearity);
        return uniform(t, -b, b, rng);
    }

    /** He normal: {@code N(0, (gain / sqrt(fan))^2)}. */
    public static Tensor kaimingNormal(Tensor t, double slope, FanMode mode, Nonlinearity nonlinearity, Rng rng) {
        return normal(t, 0.0, kaimingStd(t.shape(), slope, mode, nonlinearity), rng);
    }

    /** LeCun uniform: {@code U(-sqrt(3 / fan_in), sqrt(3 / fan_in))}. */
    public static Tensor lecunUniform(Tensor t, Rng rng) {
        return kaimingUniform(t, 0.0, FanMode.FAN_IN, Nonlinearity.LINEAR, rng);
    }

    /** LeCun normal: {@code N(0, 1 / fan_in)}. */
    public static Tensor lecunNormal(Tensor t, Rng rng) {
        return kaimingNormal(t, 0.0, FanMode.FAN_IN, Nonlinearity.LINEAR, rng);
    }

    /**
     * A (semi-)orthogonal matrix times {@code gain}: viewing {@code t} as {@code [rows, cols]} with
     * {@code cols = size / rows}, the rows are orthonormal when {@code rows <= cols}, else the columns.
     * Computed, as in PyTorch, from the QR factorization of a standard normal matrix (here by modified
     * Gram-Schmidt applied twice, in double, which yields R with a positive diagonal directly).
     */
    public static Tensor orthogonal(Tensor t, double gain, Rng rng) {
        requireRank2(t.shape(), "orthogonal");
        int rows = t.dim(0);
        int cols = t.size() / Math.max(1, rows);
        if (t.size() == 0) {
            return t;
        }
        // Work on the tall orientation [n, m] with n >= m: orthonormalize its m columns.
        boolean wide = rows < cols;
        int n = wide ? cols : rows;
        int m = wide ? rows : cols;
        double[][] q = new double[m][n]; // column j of the tall matrix is q[j]
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                q[j][i] = rng.nextGaussian();
            }
        }
        for (int j = 0; j < m; j++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < n; i++) {
                        dot += q[p][i] * q[j][i];
                    }
                    for (int i = 0; i < n; i++) {
                        q[j][i] -= dot * q[p][i];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm += q[j][i] * q[j][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                q[j][i] /= norm;
            }
        }
        float[] d = t.data();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                d[r * cols + c] = (float) (gain * (wide ? q[r][c] : q[c][r]));
            }
        }
        return t;
    }
}
