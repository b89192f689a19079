package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Layers that receive no gradient at all: every sampled step of the second half of the run shows an
 * exactly zero gradient norm for the layer while other layers still get one. This is what remains of
 * a network after an exploding step pushed every ReLU unit of a layer (or of a recurrent cell, which the
 * activation probe cannot see) into its dead region: the layer is frozen for good, and vanishing
 * detectors, which compare non-zero norms, miss it.
 */
public final class DeadLayerDetector implements Detector {
    /** Share of the examined steps on which the layer's gradient must be exactly zero. */
    public static final double DEAD_SHARE = 0.9;

    @Override
    public String name() {
        return "dead_layer";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<String> layers = run.layers();
        int n = run.layerSteps().size();
        if (layers.isEmpty() || n < 4) {
            return Optional.empty();
        }
        int from = n / 2;
        List<String> dead = new ArrayList<>();
        boolean anyAlive = false;
        for (String layer : layers) {
            double[] g = run.layerSeries(layer, LayerStats::gradNorm);
            int zeros = 0;
            int seen = 0;
            for (int i = from; i < n; i++) {
                if (!Double.isNaN(g[i])) {
                    seen++;
                    zeros += g[i] == 0.0 ? 1 : 0;
                }
            }
            if (seen > 0 && zeros >= DEAD_SHARE * seen) {
                dead.add(layer + " (zero gradient on " + zeros + " of the last " + seen + " sampled steps)");
            } else {
                anyAlive = true;
            }
        }
        if (dead.isEmpty()) {
            return Optional.empty();
        }
        List<String> rem = new ArrayList<>();
        rem.add("Clip the gradient by its global norm (e.g. at the median norm of the first steps) so that one exploding step"
                + " cannot push every unit of a layer into its dead region (Pascanu et al. 2013).");
        rem.add("Use Leaky ReLU (slope 0.01) or a tanh/LSTM/GRU cell instead of ReLU, so that units can recover.");
        if (Double.isFinite(run.facts().learningRate())) {
            rem.add("Lower the learning rate from " + fmt(run.facts().learningRate()) + ".");
        }
        return Optional.of(new Verdict(name(), Verdict.Severity.CRITICAL,
                (anyAlive ? "" : "Every layer is dead: ") + dead.size() + " layer(s) receive no gradient at all", dead, rem));
    }
}
