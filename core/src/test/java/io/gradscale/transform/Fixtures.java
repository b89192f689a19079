package io.gradscale.transform;

import io.gradscale.autograd.Parameter;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** Small parameter sets with random values and gradients for transform tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** Three layers: {@code a.weight [4,3]}, {@code a.bias [4]}, {@code b.weight [2,4]}, {@code b.bias [2]}, {@code c.gain []}. */
    static ParameterSet params(long seed, float gradScale) {
        Rng rng = new Rng(seed);
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("a.weight", param(rng, gradScale, 4, 3));
        m.put("a.bias", param(rng, gradScale, 4));
        m.put("b.weight", param(rng, gradScale, 2, 4));
        m.put("b.bias", param(rng, gradScale, 2));
        m.put("c.gain", param(rng, gradScale));
        return ParameterSet.of(m);
    }

    static Parameter param(Rng rng, float gradScale, int... dims) {
        Parameter p = new Parameter(Tensor.randn(rng, dims));
        Tensor g = Tensor.randn(rng, dims);
        for (int i = 0; i < g.size(); i++) {
            g.data()[i] *= gradScale;
        }
        p.grad().copyFrom(g);
        return p;
    }

    /** Updates loaded from the gradients of {@code params}. */
    static Updates updates(ParameterSet params) {
        Updates u = new Updates(params, Engine.serial());
        u.loadGradients(params, 0);
        return u;
    }

    static Tensor[] copies(Updates u) {
        Tensor[] out = new Tensor[u.size()];
        for (int i = 0; i < u.size(); i++) {
            out[i] = u.get(i).copy();
        }
        return out;
    }

    /** Runs one update of {@code t} on {@code u}, from a fresh state. */
    static <S> S apply(GradientTransform<S> t, Updates u, ParameterSet params) {
        return t.update(u, t.init(params), params);
    }
}
