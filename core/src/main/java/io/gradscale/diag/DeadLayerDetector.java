package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Layers that receive no gradient at all: the trailing sampled steps of the run, up to its end, show an
 * exactly zero gradient norm for the layer (at least {@link DoctorThresholds#DEAD_LAYER_MIN_SAMPLES} of them,
 * and on {@link DoctorThresholds#DEAD_LAYER_SHARE} of the second half). This is what remains of a network
 * after an exploding step pushed every ReLU unit of a layer (or of a recurrent cell, which the activation
 * probe cannot see) into its dead region: the layer is frozen for good, and vanishing detectors, which
 * compare non-zero norms, miss it. A layer that died late in the run is caught by its zero tail.
 */
public final class DeadLayerDetector implements Detector {
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
            int tail = 0;
            for (int i = n - 1; i >= 0 && g[i] == 0.0; i--) {
                tail++;
            }
            boolean deadForGood = tail >= DoctorThresholds.DEAD_LAYER_MIN_SAMPLES
                    && (tail >= (n + 9) / 10 || (seen > 0 && zeros >= DoctorThresholds.DEAD_LAYER_SHARE * seen));
            if (deadForGood) {
                dead.add(layer + " (zero gradient on the last " + tail + " of " + n + " sampled steps)");
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
