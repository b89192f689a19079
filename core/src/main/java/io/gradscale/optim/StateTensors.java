package io.gradscale.optim;

import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ParameterSet;

import java.util.ArrayList;
import java.util.List;

/** Per-parameter state tensors, shaped like the parameters. */
final class StateTensors {
    /** Elements per chunk of a parallel element-wise loop (results do not depend on it). */
    static final int CHUNK = 1 << 15;

    private StateTensors() {
    }

    /** One tensor per parameter, shaped like it, filled with {@code value}. */
    static List<Tensor> filled(ParameterSet params, float value) {
        List<Tensor> out = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            out.add(Tensor.full(params.parameter(i).value().shape(), value));
        }
        return out;
    }

    /** Checks that a state list matches the parameters, naming the transform and the first mismatch. */
    static void check(String transform, String field, List<Tensor> state, ParameterSet params) {
        if (state.size() != params.size()) {
            throw new IllegalArgumentException(transform + ": state '" + field + "' holds " + state.size()
                    + " tensors for " + params.size() + " parameters");
        }
        for (int i = 0; i < state.size(); i++) {
            if (!state.get(i).shape().equals(params.parameter(i).value().shape())) {
                throw new IllegalArgumentException(transform + ": state '" + field + "' of parameter '" + params.path(i)
                        + "' has shape " + state.get(i).shape() + ", the parameter " + params.parameter(i).value().shape());
            }
        }
    }

    /** Checks a hyper-parameter is finite and {@code >= 0}, with PyTorch's wording. */
    static double nonNegative(String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("Invalid " + what + " value: " + v + " (expected finite and >= 0)");
        }
        return v;
    }

    /** Checks a coefficient lies in {@code [0, 1)}, with PyTorch's wording. */
    static double unitInterval(String what, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException("Invalid " + what + ": " + v + " (expected 0 <= value < 1)");
        }
        return v;
    }
}
