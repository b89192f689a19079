package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

/**
 * Inverted dropout (Srivastava et al., "Dropout: a simple way to prevent neural networks from
 * overfitting", JMLR 2014), PyTorch's {@code nn.Dropout}: in training each element is zeroed with
 * probability {@code p} and the survivors are scaled by {@code 1 / (1 - p)}, so the expected output is
 * the input; in evaluation it is the identity. The masks come from the generator given at construction,
 * so a run is reproducible from its seed (the masks differ from PyTorch's, whose generator differs).
 */
public final class Dropout extends Module {
    /** PyTorch's default drop probability. */
    public static final float DEFAULT_P = 0.5f;

    private final float p;
    private final Rng rng;

    public Dropout(Rng rng) {
        this(DEFAULT_P, rng);
    }

    public Dropout(float p, Rng rng) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        }
        this.p = p;
        this.rng = registerRng("rng", rng);
    }

    public float p() {
        return p;
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        Tensor mask = Tensor.zeros(x.shape());
        float keep = p == 1f ? 0f : 1f / (1f - p);
        float[] m = mask.data();
        for (int i = 0; i < m.length; i++) {
            m[i] = rng.nextFloat() < p ? 0f : keep;
        }
        return x.mul(x.tape().constant(mask));
    }
}
