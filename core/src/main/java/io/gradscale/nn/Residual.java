package io.gradscale.nn;

import io.gradscale.autograd.Var;
import io.gradscale.tensor.ShapeException;

/**
 * A residual block {@code y = f(x) + x}, or {@code y = f(x) + P(x)} with a projection {@code P} when
 * {@code f} changes the shape (He et al., "Deep residual learning for image recognition", CVPR 2016).
 * The identity path gives every layer below a gradient term that does not pass through {@code f}:
 * {@code dL/dx = dL/dy (1 + df/dx)}. Children: {@code body} and, if given, {@code projection}.
 */
public final class Residual extends Module {
    private final Module body;
    private final Module projection;

    /** {@code f(x) + x}. */
    public Residual(Module body) {
        this(body, null);
    }

    /** {@code f(x) + P(x)}; {@code projection} may be null for the identity. */
    public Residual(Module body, Module projection) {
        this.body = registerModule("body", body);
        this.projection = projection == null ? null : registerModule("projection", projection);
    }

    @Override
    public Var forward(Var x) {
        Var fx = body.forward(x);
        Var skip = projection == null ? x : projection.forward(x);
        if (!fx.shape().equals(skip.shape())) {
            throw new ShapeException(where() + ": the body maps " + x.shape() + " to " + fx.shape() + " but the "
                    + (projection == null ? "identity shortcut keeps " + skip.shape() + "; add a projection"
                    : "projection gives " + skip.shape()));
        }
        return fx.add(skip);
    }
}
