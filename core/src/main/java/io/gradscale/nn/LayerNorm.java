package io.gradscale.nn;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;
import java.util.Arrays;

/**
 * Layer normalization (Ba, Kiros and Hinton, "Layer normalization", 2016), PyTorch's {@code nn.LayerNorm}:
 * each sample is normalized over its trailing {@code normalizedShape} dimensions,
 * {@code y = (x - mu) / sqrt(var + eps) * gamma + beta} with the biased variance; the same in training and
 * evaluation. Default initialization: {@code gamma = 1}, {@code beta = 0}.
 *
 * <p>Per-example gradients ({@link PerExample}): each sample is normalized on its own, so
 * {@code d gamma_i = sum over example i's rows of g xhat} and {@code d beta_i = sum of its g}, materialized.
 */
public final class LayerNorm extends Module {
    /** PyTorch's default {@code eps}. */
    public static final float DEFAULT_EPS = 1e-5f;

    private final int[] normalizedShape;
    private final int width;
    private final float eps;
    private final Parameter weight; // normalizedShape, or null
    private final Parameter bias;   // normalizedShape, or null

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, DEFAULT_EPS, true);
    }

    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: normalizedShape must have at least one dimension");
        }
        int w = 1;
        for (int d : normalizedShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("LayerNorm: normalizedShape must be positive, got " + Arrays.toString(normalizedShape));
            }
            w *= d;
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("LayerNorm: eps must be > 0, got " + eps);
        }
        this.normalizedShape = normalizedShape.clone();
        this.width = w;
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", new Parameter(Tensor.ones(normalizedShape))) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", new Parameter(Tensor.zeros(normalizedShape))) : null;
    }

    @Override
    public Var forward(Var x) {
        int[] dims = x.shape().dims();
        int k = normalizedShape.length;
        boolean ok = dims.length > k;
        for (int i = 0; ok && i < k; i++) {
            ok = dims[dims.length - k + i] == normalizedShape[i];
        }
        if (!ok) {
            String shape = Arrays.toString(normalizedShape);
            throw new ShapeException(where() + ": expected input of shape [*, " + shape.substring(1, shape.length() - 1)
                    + "], got " + x.shape());
        }
        Var rows = x.reshape(-1, width);
        Var xc = rows.sub(rows.mean(1, true));
        Var var = xc.square().mean(1, true);
        Var y = xc.div(var.add(eps).sqrt()).reshape(dims);
        if (weight == null) {
            return y;
        }
        PerExample pe = x.tape().perExample();
        if (pe == null) {
            return y.mul(x.tape().param(weight)).add(x.tape().param(bias));
        }
        Tensor xhat = y.value();
        Var out = y.mul(x.tape().constant(weight.value())).add(x.tape().constant(bias.value()));
        return pe.dense(out, g -> {
            // per example: d gamma_i = sum over its rows of g * xhat, d beta_i = sum over its rows of g
            var kern = x.tape().engine().kernels();
            int n = xhat.size() / width;
            float[] gx = new float[xhat.size()];
            kern.mul(g.data(), 0, xhat.data(), 0, gx, 0, gx.length);
            pe.addDense(weight, pe.sumPerExample(kern, gx, n, width));
            pe.addDense(bias, pe.sumPerExample(kern, g.data(), n, width));
        });
    }
}
