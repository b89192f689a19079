package io.gradscale.nn;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a network of layers: parameters and child modules under stable names, and a forward pass.
 *
 * <p>Parameters and children are registered in the constructor, in order, so that
 * {@link #namedParameters()} lists them in a deterministic order with PyTorch-style dotted paths
 * ({@code blocks.2.fc1.weight}). A module is in training mode until {@link #eval()}; mode changes
 * apply to the whole sub-tree. {@link #freeze()} stops a whole sub-tree from training.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, io.gradscale.tensor.Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, io.gradscale.tensor.Rng> rngs = new LinkedHashMap<>();
    private boolean training = true;
    /** Dotted path from the root of the tree this module was last registered into; "" for a root. */
    private String path = "";

    /** The forward pass; the input's tape decides whether a graph is recorded. */
    public abstract Var forward(Var input);

    /** Registers a parameter under {@code name}; returns it. */
    protected final Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        params.put(name, p);
        return p;
    }

    /** Registers a child module under {@code name}; returns it. */
    protected final <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        children.put(name, m);
        ((Module) m).setPath(path.isEmpty() ? name : path + "." + name);
        return m;
    }

    /**
     * This module's dotted path in the tree it belongs to ({@code blocks.2.fc1}), or "" for a root.
     * Paths are kept up to date as modules are registered, so a layer can name itself in its errors
     * however deep it is nested; they equal the keys of the root's {@link #namedModules()}.
     */
    public final String path() {
        return path;
    }

    private void setPath(String p) {
        path = p;
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().setPath(p.isEmpty() ? e.getKey() : p + "." + e.getKey());
        }
    }

    /** How errors name this module: its type and its path, e.g. {@code Linear 'blocks.2.fc1'} or {@code Linear (root)}. */
    protected final String where() {
        return getClass().getSimpleName() + (path.isEmpty() ? " (root)" : " '" + path + "'");
    }

    /**
     * Registers a buffer: state that is saved with the model but not trained (BatchNorm's running
     * statistics). The tensor is updated in place by the module.
     */
    protected final io.gradscale.tensor.Tensor registerBuffer(String name, io.gradscale.tensor.Tensor t) {
        checkName(name);
        buffers.put(name, t);
        return t;
    }

    /**
     * Registers a random generator the module draws from while training (Dropout's masks), so that
     * checkpoints can save and restore its position for an exact resume.
     */
    protected final io.gradscale.tensor.Rng registerRng(String name, io.gradscale.tensor.Rng rng) {
        checkName(name);
        rngs.put(name, rng);
        return rng;
    }

    /** Every registered random generator of the sub-tree with its dotted path. */
    public final Map<String, io.gradscale.tensor.Rng> namedRngs() {
        Map<String, io.gradscale.tensor.Rng> out = new LinkedHashMap<>();
        collectTree("", m -> m.rngs, out);
        return out;
    }

    /** Every buffer of the sub-tree with its dotted path, in the order of {@link #namedParameters()}. */
    public final Map<String, io.gradscale.tensor.Tensor> namedBuffers() {
        Map<String, io.gradscale.tensor.Tensor> out = new LinkedHashMap<>();
        collectTree("", m -> m.buffers, out);
        return out;
    }

    /** Walks the sub-tree depth-first in registration order, adding each module's local entries under dotted paths. */
    private <T> void collectTree(String prefix, java.util.function.Function<Module, Map<String, T>> local, Map<String, T> out) {
        for (Map.Entry<String, T> e : local.apply(this).entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectTree(prefix + e.getKey() + ".", local, out);
        }
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a parameter or module name must be non-empty and contain no '.': '" + name + "'");
        }
        if (params.containsKey(name) || children.containsKey(name) || buffers.containsKey(name) || rngs.containsKey(name)) {
            throw new IllegalArgumentException("the name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** This module's own parameters (not its children's), by local name. */
    public final Map<String, Parameter> localParameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Direct children by local name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of the sub-tree with its dotted path, own parameters first, then children in order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectTree("", m -> m.params, out);
        return out;
    }

    /** Every module of the sub-tree with its dotted path (this one under ""), depth-first in registration order. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String path, Map<String, Module> out) {
        out.put(path, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
        }
    }

    /** The parameters in path order. */
    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Number of scalar parameters (trainable and frozen). */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.size();
        }
        return n;
    }

    /** Number of scalar parameters that train. */
    public final long trainableParameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            if (!p.frozen()) {
                n += p.size();
            }
        }
        return n;
    }

    /** Freezes every parameter of the sub-tree. */
    public final void freeze() {
        namedParameters().values().forEach(p -> p.setFrozen(true));
    }

    /** Unfreezes every parameter of the sub-tree. */
    public final void unfreeze() {
        namedParameters().values().forEach(p -> p.setFrozen(false));
    }

    /** Zeroes every parameter gradient of the sub-tree. */
    public final void zeroGrad() {
        namedParameters().values().forEach(Parameter::zeroGrad);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Training mode for the whole sub-tree (batch statistics, dropout on). */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode for the whole sub-tree (running statistics, dropout off). */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean t) {
        training = t;
        children.values().forEach(c -> c.setTraining(t));
    }
}
