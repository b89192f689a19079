package io.gradscale.transform;

import io.gradscale.autograd.Parameter;
import io.gradscale.nn.Module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ordered trainable parameters a transform chain works on, with their paths and layer groups.
 *
 * <p>Built from {@link Module#namedParameters()} or from a plain map of paths to parameters, in the
 * map's order. Frozen parameters are left out: they receive no gradient and no update. Index {@code i}
 * here is index {@code i} of every per-parameter state tensor and of {@link Updates#get(int)}.
 */
public final class ParameterSet {
    private final List<ParamRef> refs;
    private final List<String> layers;
    private final int[][] layerMembers;
    private final int[][] tensorGroups;
    private final int[][] globalGroup;

    private ParameterSet(List<ParamRef> refs) {
        this.refs = List.copyOf(refs);
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < refs.size(); i++) {
            groups.computeIfAbsent(refs.get(i).layer(), k -> new ArrayList<>()).add(i);
        }
        this.layers = List.copyOf(groups.keySet());
        this.layerMembers = new int[layers.size()][];
        int g = 0;
        for (List<Integer> members : groups.values()) {
            layerMembers[g++] = members.stream().mapToInt(Integer::intValue).toArray();
        }
        this.tensorGroups = new int[refs.size()][];
        int[] all = new int[refs.size()];
        for (int i = 0; i < refs.size(); i++) {
            tensorGroups[i] = new int[] {i};
            all[i] = i;
        }
        this.globalGroup = new int[][] {all};
    }

    /** The groups of parameter indices under {@code scope} (shared arrays: do not modify). */
    int[][] groups(NormScope scope) {
        return switch (scope) {
            case TENSOR -> tensorGroups;
            case LAYER -> layerMembers;
            case GLOBAL -> globalGroup;
        };
    }

    /** The trainable parameters of {@code module}, in path order; layer = path without its last segment. */
    public static ParameterSet of(Module module) {
        return of(module.namedParameters());
    }

    /** The trainable parameters of a path-to-parameter map, in the map's iteration order. */
    public static ParameterSet of(Map<String, Parameter> named) {
        List<ParamRef> refs = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : named.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' is null");
            }
            if (!e.getValue().frozen()) {
                refs.add(new ParamRef(e.getKey(), ParamRef.layerOf(e.getKey()), e.getValue()));
            }
        }
        return new ParameterSet(refs);
    }

    /** A set of explicit references (paths must be unique); frozen parameters are left out. */
    public static ParameterSet ofRefs(List<ParamRef> refs) {
        Map<String, Boolean> seen = new LinkedHashMap<>();
        List<ParamRef> kept = new ArrayList<>();
        for (ParamRef r : refs) {
            if (seen.put(r.path(), Boolean.TRUE) != null) {
                throw new IllegalArgumentException("parameter path '" + r.path() + "' appears twice");
            }
            if (!r.parameter().frozen()) {
                kept.add(r);
            }
        }
        return new ParameterSet(kept);
    }

    public int size() {
        return refs.size();
    }

    public ParamRef get(int i) {
        return refs.get(i);
    }

    public Parameter parameter(int i) {
        return refs.get(i).parameter();
    }

    public String path(int i) {
        return refs.get(i).path();
    }

    public List<ParamRef> refs() {
        return refs;
    }

    /** Layer paths in order of first appearance. */
    public List<String> layers() {
        return layers;
    }

    /** Indices of the parameters of layer number {@code g} (in {@link #layers()} order). */
    public int[] layerMembers(int g) {
        return layerMembers[g];
    }

    /** Total number of scalars. */
    public long elementCount() {
        long n = 0;
        for (ParamRef r : refs) {
            n += r.parameter().size();
        }
        return n;
    }

    /** Paths in order, for error messages and state checks. */
    public List<String> paths() {
        List<String> out = new ArrayList<>(refs.size());
        for (ParamRef r : refs) {
            out.add(r.path());
        }
        return Collections.unmodifiableList(out);
    }
}
