package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Exploding gradients, judged against the run's own scale and for their persistence, so that the
 * gradient noise of small batches is not mistaken for an explosion.
 *
 * <p>When the Jacobians of a deep or recurrent network have norms above 1, the gradient grows
 * exponentially with depth or sequence length (Bengio et al. 1994); in a recurrent network the loss
 * surface then has steep "cliffs" where one step throws the weights far away (Pascanu, Mikolov and
 * Bengio 2013). Five signs, any of which is a warning:
 * <ul>
 *   <li>persistent growth: the median global gradient norm of the last tenth of the run is more than
 *       {@link DoctorThresholds#GROWTH_WARN} times that of the first tenth (a mini-batch run's norm falls);</li>
 *   <li>growth toward the input: on the first sampled steps the first layer's gradient norm is more than
 *       {@link DoctorThresholds#LAYER_GROWTH_WARN} times the last layer's (the mirror of vanishing);</li>
 *   <li>cliffs: a step whose norm exceeds {@link DoctorThresholds#SPIKE_FACTOR} times the run's scale (the
 *       larger of the trailing window's 90th percentile, which a noisy run's own spread raises, and the first
 *       tenth's median: late in a converging run the median is small and noise spikes above it) after which
 *       the loss jumps by
 *       {@link DoctorThresholds#CLIFF_LOSS_JUMP} and back above {@link DoctorThresholds#CLIFF_LOSS_RETURN} of its
 *       start (a noise spike does not raise the loss for long, nor undo the training);</li>
 *   <li>exploding from the start: on the first sampled step some layer's gradient norm is more than
 *       {@link DoctorThresholds#GRAD_TO_PARAM_WARN} times its weights' norm (a large initialization makes
 *       the first step throw the weights away before any growth could be seen);</li>
 *   <li>divergence: the loss ends at least {@link DoctorThresholds#LOSS_BLOWUP} times its start (or not
 *       finite) after the norm rose above {@link DoctorThresholds#BLOWUP_NORM_GROWTH} times its start.</li>
 * </ul>
 * A spike that is none of these is reported as information. A non-finite loss alone is
 * {@link NonFiniteDetector}'s. The remedy, clipping the global norm at a threshold around the average norm
 * (Pascanu et al.), is proposed with the threshold computed from the norms this run observed.
 */
public final class ExplodingDetector implements Detector {
    @Override
    public String name() {
        return "exploding";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<StepRecord> steps = run.steps();
        double gradToParam = gradToParam(run);
        if (steps.size() < 3 && !(gradToParam > DoctorThresholds.GRAD_TO_PARAM_WARN)) {
            return Optional.empty(); // too short to judge, unless the first step already exploded
        }
        int n = steps.size();
        double[] norm = new double[n];
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            norm[i] = steps.get(i).gradNorm();
            loss[i] = steps.get(i).loss();
        }
        int tenth = Math.max(1, n / 10);
        double start = Stats.median(Arrays.copyOf(norm, tenth));
        double end = Stats.median(Arrays.copyOfRange(norm, n - tenth, n));
        double growth = end / start;
        double layerGrowth = layerGrowth(run);
        int w = DoctorThresholds.SPIKE_WINDOW;
        int lw = Math.max(w, n / DoctorThresholds.CLIFF_LOSS_WINDOW_DIVISOR); // long runs: single-example losses need more
        double lossStart = Stats.mean(Arrays.copyOf(loss, tenth));
        int spikes = 0;
        int cliffs = 0;
        long firstCliff = -1;
        double worstSpike = 0;
        SlidingOrderStatistic trailing = new SlidingOrderStatistic(w); // the last w norms before step i, kept as i advances
        for (int i = 0; i < Math.min(w, n); i++) {
            trailing.push(norm[i]);
        }
        for (int i = w; i < n; i++, trailing.push(norm[i - 1])) { // none when the run is shorter than the window
            double scale = Math.max(trailing.quantile(DoctorThresholds.SPIKE_REFERENCE_QUANTILE), start);
            if (scale > 0 && norm[i] > DoctorThresholds.SPIKE_FACTOR * scale) {
                spikes++;
                worstSpike = Math.max(worstSpike, norm[i] / scale);
                double before = Stats.median(Arrays.copyOfRange(loss, Math.max(0, i - lw), i));
                double after = Stats.median(Arrays.copyOfRange(loss, i + 1, Math.min(n, i + 1 + lw)));
                // a cliff throws the loss up for good, back toward where the run started; a hard example in a
                // stochastic or small-batch run raises the next few losses, not the run's level
                boolean jumped = i + 1 < n && (!Double.isFinite(after) || (after > DoctorThresholds.CLIFF_LOSS_JUMP * before
                        && after > DoctorThresholds.CLIFF_LOSS_RETURN * lossStart));
                if (jumped) {
                    cliffs++;
                    if (firstCliff < 0) {
                        firstCliff = steps.get(i).step();
                    }
                }
            }
        }
        double[] finite = Stats.finite(norm);
        double maxNorm = finite.length == 0 ? Double.NaN : Arrays.stream(finite).max().getAsDouble();
        double median = Stats.median(norm);
        List<String> ev = new ArrayList<>();
        ev.add("global gradient norm: median " + fmt(median) + ", largest " + fmt(maxNorm) + "; median of the first tenth of the run "
                + fmt(start) + ", of the last tenth " + fmt(end) + " (x" + fmt(growth) + ")");
        if (Double.isFinite(layerGrowth)) {
            ev.add("first over last layer gradient norm on the first sampled steps: " + fmt(layerGrowth));
        }
        if (spikes > 0) {
            ev.add(spikes + " step(s) above " + fmt(DoctorThresholds.SPIKE_FACTOR) + "x the run's scale, the worst x" + fmt(worstSpike)
                    + "; " + cliffs + " followed by a loss jump" + (cliffs > 0 ? " (the first at step " + firstCliff + ")" : ""));
        }
        double peak = 0;
        for (double v : norm) {
            peak = Double.isFinite(v) ? Math.max(peak, v) : peak;
        }
        double lossRatio = TrainingProgress.lossRatio(steps);
        boolean blewUp = !(lossRatio < DoctorThresholds.LOSS_BLOWUP) && !Double.isNaN(lossRatio)
                && peak > DoctorThresholds.BLOWUP_NORM_GROWTH * start;
        if (blewUp) {
            ev.add("the loss rose x" + fmt(lossRatio) + " while the gradient norm peaked at x" + fmt(peak / start) + " of its start");
        }
        if (Double.isFinite(gradToParam)) {
            ev.add("largest layer gradient norm over its parameter norm on the first sampled step: " + fmt(gradToParam));
        }
        boolean hugeAtStart = gradToParam > DoctorThresholds.GRAD_TO_PARAM_WARN;
        boolean grew = growth > DoctorThresholds.GROWTH_WARN;
        boolean towardInput = layerGrowth > DoctorThresholds.LAYER_GROWTH_WARN;
        if (!grew && !towardInput && cliffs == 0 && !blewUp && !hugeAtStart) {
            if (spikes > 0) {
                return Optional.of(new Verdict(name(), Verdict.Severity.INFO, "Occasional gradient-norm spikes (" + spikes
                        + ") that the loss shrugged off: gradient noise, no action needed", ev, List.of()));
            }
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "No exploding gradients: the norm ended at x"
                    + fmt(growth) + " of its start, with no cliffs", ev, List.of()));
        }
        Verdict.Severity sev = growth > DoctorThresholds.GROWTH_WARN * 10 || layerGrowth > DoctorThresholds.LAYER_GROWTH_WARN * 100
                || cliffs >= 3 || blewUp ? Verdict.Severity.CRITICAL : Verdict.Severity.WARNING;
        List<String> what = new ArrayList<>();
        if (grew) {
            what.add("the norm grew x" + fmt(growth));
        }
        if (towardInput) {
            what.add("the first layer gets x" + fmt(layerGrowth) + " the last layer's gradient");
        }
        if (hugeAtStart) {
            what.add("from the first step a layer's gradient is x" + fmt(gradToParam) + " its weights");
        }
        if (blewUp) {
            what.add("the loss diverged (x" + fmt(lossRatio) + ") as the norm grew x" + fmt(peak / start));
        }
        if (cliffs > 0) {
            what.add(cliffs + " cliff(s) where a norm spike threw the loss up");
        }
        return Optional.of(new Verdict(name(), sev, "Exploding gradients: " + String.join(", ", what), ev, remedies(run.facts(), median)));
    }

    /** The largest ratio of a layer's gradient norm to its parameter norm on the first sampled step; NaN when not sampled. */
    static double gradToParam(RunView run) {
        List<StepRecord> sampled = run.layerSteps();
        if (sampled.isEmpty()) {
            return Double.NaN;
        }
        double worst = Double.NaN;
        for (LayerStats st : sampled.get(0).layers().values()) {
            if (st.paramNorm() > 0 && Double.isFinite(st.gradNorm())) {
                double r = st.gradNorm() / st.paramNorm();
                worst = Double.isNaN(worst) ? r : Math.max(worst, r);
            }
        }
        return worst;
    }

    /** First-layer over last-layer gradient norm, means over the first sampled steps; NaN with fewer than two layers. */
    static double layerGrowth(RunView run) {
        List<String> layers = run.layers();
        if (layers.size() < 2 || run.layerSteps().isEmpty()) {
            return Double.NaN;
        }
        double first = Stats.head(run.layerSeries(layers.get(0), LayerStats::gradNorm), VanishingDetector.WINDOW);
        double last = Stats.head(run.layerSeries(layers.get(layers.size() - 1), LayerStats::gradNorm), VanishingDetector.WINDOW);
        return last > 0 ? first / last : Double.NaN;
    }

    static List<String> remedies(ModelFacts f, double medianNorm) {
        List<String> r = new ArrayList<>();
        double threshold = Double.isFinite(medianNorm) && medianNorm > 0 ? medianNorm : 1.0;
        if (f.clipping().isEmpty()) {
            r.add("Clip the gradient by its global L2 norm at " + fmt(threshold) + " (the median norm this run observed;"
                    + " Pascanu et al. 2013 advise a threshold around the average norm): add clip_global_norm(max_norm="
                    + fmt(threshold) + ") before the optimizer.");
        } else {
            r.add("Lower the clipping threshold of " + f.clipping() + " toward the median norm " + fmt(threshold) + ".");
        }
        if (Double.isFinite(f.learningRate())) {
            r.add("Lower the learning rate from " + fmt(f.learningRate()) + " to " + fmt(f.learningRate() / 10)
                    + ", or add a linear warm-up over the first few hundred steps.");
        } else {
            r.add("Lower the learning rate by a factor of 10, or add a linear warm-up.");
        }
        if ("rnn".equals(f.recurrent())) {
            r.add("Use an LSTM or GRU cell, and initialize the recurrent weights orthogonally (Saxe et al. 2014).");
        }
        r.add("If training in reduced precision, use dynamic loss scaling so that overflowing steps are skipped, not applied.");
        return r;
    }
}
