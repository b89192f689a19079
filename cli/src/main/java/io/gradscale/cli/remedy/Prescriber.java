package io.gradscale.cli.remedy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.diag.ClippingDetector;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.NonFiniteDetector;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the gradient doctor's verdicts into {@link Remedy remedies}: typed patches to the configuration that
 * was diagnosed, made concrete with what the run showed (its model, its learning rate, its gradient norms).
 *
 * <p>Detectors treated: vanishing, exploding, non_finite, clipping, dead_layer, dead_units and saturated_units (and units, their
 * older joint name), shattered, lr_too_high, lr_too_low; others (such as not_training, which only sums the others
 * up) have no configuration remedy. Only verdicts of severity {@code WARNING} or worse are treated. A remedy prescribed by several verdicts
 * is proposed once, listing all of them; remedies come in the order of the verdicts (most severe first), each
 * verdict's most effective remedy first. A remedy that the configuration already has (batch norm on a model
 * with batch norm) is not proposed. A non-finite verdict with the signature of the log of zero
 * ({@link NonFiniteDetector#logOfZero}) gets the loss computed from the logits, and nothing else. Prose remedies that are no configuration change (check the data for NaN)
 * stay in the verdict's text only.
 */
public final class Prescriber {
    /**
     * Quantile of the probe's global gradient norms that a proposed global-norm clip takes as its threshold: the
     * median. Pascanu, Mikolov and Bengio (2013, sec. 3.2) advise a threshold around the average norm over many
     * updates; the median is that average made robust to the very spikes the clip is meant for (an exploding run's
     * upper tail drags a mean up by orders of magnitude). Only finite, positive norms count: the zero norms of
     * dead layers and the non-finite ones say nothing of the scale. A lower quantile (AutoClip's 10th percentile,
     * Seetharaman et al. 2020) suits a threshold re-estimated as training goes; fixed from a short probe, it would
     * clip nine steps in ten for the whole run, turning SGD into normalized SGD.
     */
    public static final double CLIP_QUANTILE = 0.5;
    /**
     * Factor a learning-rate remedy lowers (or raises) the learning rate by: one decade. Learning rates are
     * searched on a log scale (Bengio 2012, "Practical recommendations for gradient-based training of deep
     * architectures", sec. 3.1.1), and an unstable or stalled run is rarely cured by less.
     */
    public static final double LR_FACTOR = 10.0;
    /** Depth (weight layers) above which residual connections are proposed against vanishing gradients. */
    public static final int RESIDUAL_DEPTH = 4;

    private Prescriber() {
    }

    /** The remedies for {@code verdicts} of {@code run}, whose configuration is {@code config}. */
    public static List<Remedy> prescribe(List<Verdict> verdicts, RunView run, JsonNode config) {
        Map<String, Remedy> out = new LinkedHashMap<>();
        ModelFacts f = run.facts();
        boolean mlp = f.recurrent().isEmpty();
        boolean elman = "rnn".equals(f.recurrent());
        String act = mlp ? config.path("model").path("activation").asText("relu") : config.path("model").path("nonlinearity").asText("tanh");
        for (Verdict v : verdicts) {
            if (v.severity().compareTo(Verdict.Severity.WARNING) < 0) {
                continue;
            }
            String d = v.detector();
            List<Remedy> rs = new ArrayList<>();
            switch (d) {
                case "vanishing" -> {
                    if (mlp) {
                        if (f.saturating()) {
                            rs.add(reluHe(d));
                        } else if (!"he".equals(f.init())) {
                            rs.add(new Remedy("he-init", List.of(d), "Initialize with He (Kaiming) normal",
                                    "He et al. 2015: variance 2/fan_in keeps the gradient's scale from layer to layer under ReLU.",
                                    List.of(ConfigEdit.ModelField.init("he"))));
                        }
                        batchNorm(rs, f, d);
                        if (!f.residual() && f.depth() > RESIDUAL_DEPTH) {
                            rs.add(residual(d));
                        }
                    } else if (elman) {
                        rs.add(cell("lstm", d));
                        rs.add(cell("gru", d));
                    }
                }
                case "exploding" -> {
                    clip(rs, run, d);
                    lowerLr(rs, f, d);
                    if (elman) {
                        rs.add(cell("lstm", d));
                    }
                }
                case "non_finite" -> {
                    if (NonFiniteDetector.logOfZero(run).isPresent()) {
                        // the cause is the loss's form, not the step: a smaller learning rate or a clip leaves log(0) as it is
                        rs.add(new Remedy("loss-from-logits", List.of(d), "Compute the loss from the logits (log-sum-exp)",
                                "log softmax(z)_y = z_y - max z - log sum exp(z - max z) is finite for any finite logits, where"
                                        + " -log(softmax(z)_y) written literally takes log(0) once a probability underflows"
                                        + " (Goodfellow, Bengio and Courville 2016, sec. 4.1).",
                                List.of(new ConfigEdit.ClassLoss("logits"))));
                    } else {
                        double t = clipThreshold(run);
                        List<ConfigEdit> edits = new ArrayList<>(List.of(new ConfigEdit.Guard()));
                        if (Double.isFinite(t)) {
                            edits.add(new ConfigEdit.ClipGlobalNorm(t, basis(run)));
                        }
                        rs.add(new Remedy("guard-clip", List.of(d), "Skip non-finite steps and clip the global norm",
                                "A guard keeps a NaN or infinite gradient out of the weights and the optimizer state; the clip bounds the"
                                        + " steps that overflow (Pascanu et al. 2013).", edits));
                        lowerLr(rs, f, d);
                    }
                }
                case "saturated_units" -> {
                    if (mlp && f.saturating()) {
                        rs.add(reluHe(d));
                    }
                    batchNorm(rs, f, d);
                }
                case "lr_too_high" -> lowerLr(rs, f, d);
                case "lr_too_low" -> {
                    if (Double.isFinite(f.learningRate()) && f.learningRate() > 0) {
                        double lr = Double.parseDouble(String.format(Locale.ROOT, "%.3g", f.learningRate() * LR_FACTOR));
                        rs.add(new Remedy("lr-up", List.of(d), "Raise the learning rate " + (int) LR_FACTOR + "x",
                                "The loss barely moves while the gradients are healthy: the steps are too short to make progress;"
                                        + " one decade, the grid step of learning-rate searches.",
                                List.of(new ConfigEdit.LearningRate(lr, LR_FACTOR))));
                    }
                }
                case "dead_layer", "dead_units", "units" -> {
                    boolean reluFamily = act.contains("relu") || act.equals("elu") || act.equals("gelu");
                    if (mlp && reluFamily && !act.equals("leaky_relu")) {
                        rs.add(new Remedy("leaky-relu", List.of(d), "Use Leaky ReLU (slope 0.01)",
                                "Maas et al. 2013: a leaky unit passes a gradient for negative inputs, so a unit pushed into the dead"
                                        + " region can recover.", List.of(ConfigEdit.ModelField.activation("leaky_relu"))));
                    } else if (elman && act.equals("relu")) {
                        rs.add(new Remedy("tanh", List.of(d), "Use tanh units in the RNN",
                                "A tanh unit saturates instead of dying: its gradient shrinks but never becomes exactly zero for good.",
                                List.of(ConfigEdit.ModelField.nonlinearity("tanh"))));
                    } else if (mlp && f.saturating()) {
                        rs.add(reluHe(d));
                        batchNorm(rs, f, d);
                    }
                    clip(rs, run, d);
                    lowerLr(rs, f, d);
                }
                case ClippingDetector.NAME -> clipSpikesOnly(rs, run, d);
                case "shattered" -> {
                    if (mlp && !f.residual()) {
                        rs.add(residual(d));
                    }
                    batchNorm(rs, f, d);
                }
                default -> {
                    // a detector without configuration remedies: its verdict's text says what to look at
                }
            }
            for (Remedy r : rs) {
                out.merge(r.id(), r, (a, b) -> a.alsoTreating(d));
            }
        }
        return List.copyOf(out.values());
    }

    /**
     * The {@link #CLIP_QUANTILE} of the run's finite, positive global gradient norms, to three significant digits;
     * {@code NaN} when there are none.
     */
    public static double clipThreshold(RunView run) {
        double[] norms = positiveNorms(run);
        if (norms.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(norms);
        double pos = CLIP_QUANTILE * (norms.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(norms.length - 1, lo + 1);
        double q = norms[lo] + (pos - lo) * (norms[hi] - norms[lo]);
        return Double.parseDouble(String.format(Locale.ROOT, "%.3g", q));
    }

    private static double[] positiveNorms(RunView run) {
        return run.steps().stream().mapToDouble(StepRecord::gradNorm).filter(x -> Double.isFinite(x) && x > 0).toArray();
    }

    private static String basis(RunView run) {
        return "the median of " + positiveNorms(run).length + " observed global norms";
    }

    private static void clip(List<Remedy> rs, RunView run, String d) {
        double t = clipThreshold(run);
        if (!Double.isFinite(t)) {
            return;
        }
        rs.add(new Remedy("clip-global-norm", List.of(d), "Clip the gradient by its global L2 norm at " + String.format(Locale.ROOT, "%.3g", t),
                "Pascanu, Mikolov and Bengio 2013: rescaling the gradient to a threshold around its typical norm keeps the"
                        + " step's direction and bounds its length, so one cliff cannot throw the weights away.",
                List.of(new ConfigEdit.ClipGlobalNorm(t, basis(run)))));
    }

    /**
     * Against a clipper that shapes nearly every step while the loss stalls: the clippers that dominated are removed and
     * the global norm is clipped at its median instead, so that the steps between spikes keep the optimizer's length and
     * direction. Rerun, it is the experiment that tells the clipper's part from the task's.
     */
    private static void clipSpikesOnly(List<Remedy> rs, RunView run, String d) {
        double t = clipThreshold(run);
        if (!Double.isFinite(t)) {
            return;
        }
        List<ConfigEdit> edits = new ArrayList<>();
        for (String name : ClippingDetector.dominating(run)) {
            if (!name.equals("clip_global_norm")) {
                edits.add(new ConfigEdit.RemoveTransform(name));
            }
        }
        edits.add(new ConfigEdit.ClipGlobalNorm(t, basis(run)));
        rs.add(new Remedy("clip-spikes-only", List.of(d), "Clip only the spikes: the global L2 norm at its median, "
                + String.format(Locale.ROOT, "%.3g", t), "Pascanu, Mikolov and Bengio 2013 set the threshold around the typical norm:"
                + " clipped there, only the spikes are rescaled, where a clipper that acts on every step replaces the optimizer's"
                + " step by a fixed-length one (by value: close to a sign step).", edits));
    }

    private static void lowerLr(List<Remedy> rs, ModelFacts f, String d) {
        if (Double.isFinite(f.learningRate()) && f.learningRate() > 0) {
            double lr = Double.parseDouble(String.format(Locale.ROOT, "%.3g", f.learningRate() / LR_FACTOR));
            rs.add(new Remedy("lr-down", List.of(d), "Lower the learning rate " + (int) LR_FACTOR + "x",
                    "A smaller step stays inside the region where the loss's local model holds; one decade, the grid step of"
                            + " learning-rate searches.", List.of(new ConfigEdit.LearningRate(lr, 1 / LR_FACTOR))));
        }
    }

    private static Remedy reluHe(String d) {
        return new Remedy("relu-he", List.of(d), "Use ReLU activations with He initialization",
                "Glorot and Bengio 2010: the sigmoid's derivative is at most 1/4, so the gradient shrinks at each layer;"
                        + " ReLU's is 1 where active, and He et al. 2015's variance 2/fan_in keeps the scale across layers.",
                List.of(ConfigEdit.ModelField.activation("relu"), ConfigEdit.ModelField.init("he")));
    }

    private static void batchNorm(List<Remedy> rs, ModelFacts f, String d) {
        if (f.recurrent().isEmpty() && !f.batchNorm()) {
            rs.add(new Remedy("batch-norm", List.of(d), "Add batch normalization after each hidden Linear layer",
                    "Ioffe and Szegedy 2015: normalized pre-activations stay in the non-saturated range and keep each layer's"
                            + " Jacobian near unit scale.", List.of(ConfigEdit.ModelField.batchNorm(true))));
        }
    }

    private static Remedy residual(String d) {
        return new Remedy("residual", List.of(d), "Add residual connections around each hidden block",
                "He et al. 2016: x + f(x) gives the gradient an identity path to the early layers; Balduzzi et al. 2017 show"
                        + " it also keeps the gradient from shattering.", List.of(ConfigEdit.ModelField.residual(true)));
    }

    private static Remedy cell(String type, String d) {
        return new Remedy(type, List.of(d), "Use " + (type.equals("lstm") ? "an LSTM" : "a GRU") + " cell instead of the Elman RNN",
                type.equals("lstm") ? "Hochreiter and Schmidhuber 1997: the additive cell state carries the gradient across long spans."
                        : "Cho et al. 2014: the update gate interpolates the state, so the gradient has a near-identity path through time.",
                List.of(new ConfigEdit.Cell(type)));
    }
}
