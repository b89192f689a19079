package io.gradscale.transform;

import io.gradscale.autograd.Parameter;

import java.util.Objects;

/**
 * One trainable parameter as a gradient transform sees it: its dotted path ({@code blocks.2.fc1.weight}),
 * the path of the layer that owns it ({@code blocks.2.fc1}; empty for the root module's own parameters),
 * and the parameter itself.
 *
 * <p>Per-layer transforms (clipping or normalizing "the parameters of one module together") group
 * parameters by {@link #layer()}.
 */
public record ParamRef(String path, String layer, Parameter parameter) {
    public ParamRef {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(parameter, "parameter of " + path);
    }

    /** The layer path of a dotted parameter path: everything before the last dot, or "" at the root. */
    public static String layerOf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }
}
