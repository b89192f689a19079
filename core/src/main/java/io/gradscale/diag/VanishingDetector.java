package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Vanishing gradients: per-layer gradient norms that fall geometrically from the output layer back to
 * the input layer, so that early layers barely update.
 *
 * <p>Backpropagation multiplies the gradient by one Jacobian per layer; when each has norm below 1
 * (saturating sigmoid/tanh with Glorot-scale weights: the sigmoid's derivative is at most 1/4) the
 * product shrinks exponentially with depth (Hochreiter 1991; Bengio, Simard and Frasconi 1994; Glorot and
 * Bengio 2010). Measured on the first sampled steps, where the effect is cleanest: the ratio of the
 * first layer's median gradient norm to the last's, its per-layer geometric factor, and the first
 * layer's update-to-parameter ratio.
 */
public final class VanishingDetector implements Detector {
    /** Number of sampled steps at the start of training that are examined. */
    public static final int WINDOW = 5;

    @Override
    public String name() {
        return "vanishing";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<String> layers = run.layers();
        if (layers.size() < 2 || run.layerSteps().isEmpty()) {
            return Optional.empty();
        }
        double[] norms = new double[layers.size()];
        for (int i = 0; i < norms.length; i++) {
            norms[i] = Stats.head(run.layerSeries(layers.get(i), LayerStats::gradNorm), WINDOW);
        }
        double first = norms[0];
        double last = norms[norms.length - 1];
        if (!(last > 0) || !(first > 0) || !Double.isFinite(first)) { // a zero gradient is a dead layer (DeadLayerDetector), not a vanishing one
            return Optional.empty();
        }
        double ratio = first / last;
        double perLayer = Math.pow(ratio, 1.0 / (layers.size() - 1));
        double firstUpdate = Stats.head(run.layerSeries(layers.get(0), LayerStats::updateRatioLog10), WINDOW);
        List<String> evidence = new ArrayList<>();
        evidence.add("gradient norm of the first layer '" + layers.get(0) + "' is " + fmt(first) + " against " + fmt(last)
                + " at the last layer '" + layers.get(layers.size() - 1) + "': a ratio of " + fmt(ratio) + " over "
                + layers.size() + " layers (x" + fmt(perLayer) + " per layer toward the input)");
        int shown = Math.min(layers.size(), 6);
        StringBuilder sb = new StringBuilder("median gradient norms over the first steps, input to output: ");
        for (int i = 0; i < layers.size(); i++) {
            if (i < shown - 1 || i == layers.size() - 1) {
                sb.append(layers.get(i)).append('=').append(fmt(norms[i])).append(i == layers.size() - 1 ? "" : ", ");
            } else if (i == shown - 1) {
                sb.append("..., ");
            }
        }
        evidence.add(sb.toString());
        if (Double.isFinite(firstUpdate)) {
            evidence.add("log10 update/parameter ratio of the first layer: " + fmt(firstUpdate)
                    + (firstUpdate < DoctorThresholds.STALLED_UPDATE_LOG10 ? " (it barely updates; about -3 is healthy)" : " (about -3 is healthy)"));
        }
        Verdict.Severity sev;
        if (ratio < DoctorThresholds.VANISHING_CRITICAL_RATIO || (ratio < DoctorThresholds.VANISHING_WARN_RATIO && firstUpdate < DoctorThresholds.STALLED_UPDATE_LOG10)) {
            sev = Verdict.Severity.CRITICAL;
        } else if (ratio < DoctorThresholds.VANISHING_WARN_RATIO) {
            sev = Verdict.Severity.WARNING;
        } else {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "No vanishing gradients: early layers receive "
                    + fmt(ratio) + " of the last layer's gradient norm", evidence, List.of()));
        }
        return Optional.of(new Verdict(name(), sev, "Vanishing gradients: the first layer gets " + fmt(ratio)
                + " of the last layer's gradient norm", evidence, remedies(run.facts())));
    }

    static List<String> remedies(ModelFacts f) {
        List<String> r = new ArrayList<>();
        long sat = f.count("sigmoid") + f.count("tanh");
        if (sat > 0) {
            r.add("Replace the " + sat + " saturating activation(s) (" + f.count("sigmoid") + " sigmoid, " + f.count("tanh")
                    + " tanh) with ReLU or Leaky ReLU (slope 0.01), and initialize the weights with He (Kaiming) normal,"
                    + " fan_in: the gradient then keeps its scale from layer to layer (Glorot and Bengio 2010; He et al. 2015).");
        } else if (!"he".equals(f.init())) {
            r.add("Initialize the weights with He (Kaiming) normal, fan_in, gain sqrt(2) for ReLU (He et al. 2015).");
        }
        if (!f.batchNorm()) {
            r.add("Insert batch normalization after each of the " + (f.depth() > 0 ? f.depth() - 1 + " hidden" : "hidden")
                    + " Linear layers, before the activation (Ioffe and Szegedy 2015).");
        }
        if (!f.residual() && f.depth() > 4) {
            r.add("Add residual connections x + f(x) around blocks of one or two layers, so that the gradient has an identity"
                    + " path to the early layers (He et al. 2016).");
        }
        if ("rnn".equals(f.recurrent())) {
            r.add("Use an LSTM or GRU cell instead of the Elman RNN: their additive cell state carries gradients across"
                    + " long spans (Hochreiter and Schmidhuber 1997; Cho et al. 2014).");
        }
        return r;
    }
}
