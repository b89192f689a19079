package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Exploding gradients: a global gradient norm that grows by orders of magnitude, spikes far above its
 * recent median, or a loss that becomes unstable.
 *
 * <p>When the Jacobians of a deep or recurrent network have norms above 1, the gradient grows
 * exponentially with depth or sequence length (Bengio et al. 1994); in a recurrent network the loss
 * surface then has steep "cliffs" where one step throws the weights far away (Pascanu, Mikolov and
 * Bengio 2013). Their remedy, clipping the global norm at a threshold around the average norm, is
 * proposed with the threshold computed from the norms this run observed.
 */
public final class ExplodingDetector implements Detector {
    /** A step whose gradient norm exceeds this multiple of the median of the previous {@link #SPIKE_WINDOW} is a spike. */
    public static final double SPIKE_FACTOR = 10.0;
    /** Steps in the trailing median a spike is measured against. */
    public static final int SPIKE_WINDOW = 20;
    /** Growth (last tenth / first tenth of the norms) judged exploding. */
    public static final double GROWTH_WARN = 1e2;
    /**
     * Share of steps that may spike without a warning while the loss keeps falling: mini-batch noise
     * produces an occasional spike late in training, when the median norm has become small.
     */
    public static final double SPIKE_SHARE_WARN = 0.01;

    @Override
    public String name() {
        return "exploding";
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<StepRecord> steps = run.steps();
        if (steps.size() < 10) {
            return Optional.empty();
        }
        int n = steps.size();
        double[] norm = new double[n];
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            norm[i] = steps.get(i).gradNorm();
            loss[i] = steps.get(i).loss();
        }
        int tenth = Math.max(1, n / 10);
        double start = Stats.head(norm, tenth);
        double end = Stats.tail(norm, tenth);
        double growth = end / start;
        int spikes = 0;
        long firstSpike = -1;
        double worstSpike = 0;
        for (int i = SPIKE_WINDOW; i < n; i++) {
            double med = Stats.median(java.util.Arrays.copyOfRange(norm, i - SPIKE_WINDOW, i));
            if (med > 0 && norm[i] > SPIKE_FACTOR * med) {
                spikes++;
                if (firstSpike < 0) {
                    firstSpike = steps.get(i).step();
                }
                worstSpike = Math.max(worstSpike, norm[i] / med);
            }
        }
        boolean lossNonFinite = false;
        for (double l : loss) {
            lossNonFinite |= !Double.isFinite(l);
        }
        double lossStart = Stats.head(loss, tenth);
        double lossEnd = Stats.tail(loss, tenth);
        double maxNorm = Stats.finite(norm).length == 0 ? Double.NaN : java.util.Arrays.stream(Stats.finite(norm)).max().getAsDouble();
        double median = Stats.median(norm);
        List<String> ev = new ArrayList<>();
        ev.add("global gradient norm: median " + fmt(median) + ", largest " + fmt(maxNorm) + "; first tenth of the run "
                + fmt(start) + ", last tenth " + fmt(end) + " (x" + fmt(growth) + ")");
        if (spikes > 0) {
            ev.add(spikes + " spike(s) above " + fmt(SPIKE_FACTOR) + "x the trailing median, the first at step " + firstSpike
                    + ", the worst x" + fmt(worstSpike));
        }
        ev.add("loss: first tenth " + fmt(lossStart) + ", last tenth " + fmt(lossEnd)
                + (lossNonFinite ? "; the loss became non-finite" : ""));
        boolean unstable = lossNonFinite || lossEnd > lossStart * 1.05;
        Verdict.Severity sev;
        if (lossNonFinite || growth > GROWTH_WARN * 10 || (spikes >= 3 && unstable)) {
            sev = Verdict.Severity.CRITICAL;
        } else if (growth > GROWTH_WARN || (spikes >= 1 && unstable) || spikes > SPIKE_SHARE_WARN * n) {
            sev = Verdict.Severity.WARNING;
        } else if (spikes >= 1) {
            return Optional.of(new Verdict(name(), Verdict.Severity.INFO, "Occasional gradient-norm spikes (" + spikes
                    + ") while the loss kept falling: no action needed", ev, List.of()));
        } else {
            return Optional.of(new Verdict(name(), Verdict.Severity.OK, "No exploding gradients: the norm stayed within x"
                    + fmt(Math.max(growth, 1 / growth)) + " of its start, with no spikes", ev, List.of()));
        }
        return Optional.of(new Verdict(name(), sev, "Exploding gradients: " + (spikes > 0 ? spikes + " norm spike(s)" : "norm grew x" + fmt(growth))
                + (lossNonFinite ? " and a non-finite loss" : unstable ? " and an unstable loss" : ""), ev, remedies(run.facts(), median)));
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
