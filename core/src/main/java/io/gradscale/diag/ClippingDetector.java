package io.gradscale.diag;

import static io.gradscale.diag.Stats.fmt;

import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A clipper that acts on nearly every step: the run is then trained by another optimizer than the one configured.
 *
 * <p>Clipping by value bounds every element, so that an update clipped on most steps is close to a fixed-length sign
 * step; clipping the norm at a threshold below the typical norm turns SGD into normalized SGD with an effective
 * learning rate of {@code lr x threshold / norm}. AutoClip (Seetharaman et al., MLSP 2020) clips at the 10th
 * percentile of the norms seen, so about 90 % of its steps by construction. None of this is wrong in itself (AGC,
 * Brock et al. 2021, clips every step of the runs that train best in the clippers experiment); it is a cause when the
 * loss then stops falling well above what the model can reach. The detector reports:
 * <ul>
 *   <li>OK, when the clippers acted on fewer than {@link DoctorThresholds#CLIPPING_DOMINATES} of the steps;</li>
 *   <li>INFO, when they acted on more and the loss still fell by at least {@link DoctorThresholds#STALL_FALL} over the
 *       second half of the run;</li>
 *   <li>WARNING, when they acted on more, the loss fell by less than that over the second half, and it is still above
 *       {@link DoctorThresholds#STALLED_ABOVE} of its baseline ({@link TrainingProgress#progress}): the loss has stalled
 *       while the clipper shaped every step. The doctor cannot tell from one run whether the clipper or the task stalls
 *       it; the remedy (clip the global norm near its median, so that only spikes are clipped) is the experiment that
 *       does.</li>
 * </ul>
 * A step counts as clipped when any transform's {@code <name>.clipped} figure is positive; the shrink factor is the
 * transforms' {@code <name>.factor} figure, where they record one (global norm, AutoClip, ZClip).
 */
public final class ClippingDetector implements Detector {
    /** The verdict's detector name. */
    public static final String NAME = "clipping";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<Verdict> examine(RunView run) {
        List<StepRecord> steps = run.steps();
        int judged = 0;
        int clipped = 0;
        List<Double> factors = new ArrayList<>();
        for (StepRecord r : steps) {
            judged += r.reportsClipping() ? 1 : 0;
            if (r.clipped()) {
                clipped++;
                for (Map.Entry<String, Double> e : r.transforms().entrySet()) {
                    if (e.getKey().endsWith(StepRecord.FACTOR_SUFFIX) && e.getValue() > 0 && e.getValue() < 1) {
                        factors.add(e.getValue());
                    }
                }
            }
        }
        if (judged == 0) {
            return Optional.empty();
        }
        double share = (double) clipped / judged;
        List<String> ev = new ArrayList<>();
        ev.add("a clipper acted on " + clipped + " of " + judged + " steps (" + fmt(100 * share) + " %)");
        if (share < DoctorThresholds.CLIPPING_DOMINATES) {
            return Optional.of(new Verdict(NAME, Verdict.Severity.OK, "Clipping acts on some steps only (" + fmt(100 * share) + " %)",
                    ev, List.of()));
        }
        double medianFactor = factors.isEmpty() ? Double.NaN : Stats.median(factors.stream().mapToDouble(Double::doubleValue).toArray());
        if (!Double.isNaN(medianFactor)) {
            ev.add("median shrink factor of the clipped steps " + fmt(medianFactor) + (run.facts().learningRate() > 0
                    ? ": an effective learning rate of about " + fmt(run.facts().learningRate() * medianFactor) + " instead of "
                    + fmt(run.facts().learningRate()) : ""));
        }
        double fall = secondHalfFall(steps);
        double progress = TrainingProgress.progress(run);
        ev.add("the loss " + (fall >= 0 ? "fell by " + fmt(100 * fall) : "rose by " + fmt(-100 * fall)) + " % over the second half"
                + " of the run; it ends at " + fmt(progress) + " of its baseline");
        boolean stalled = fall < DoctorThresholds.STALL_FALL && progress >= DoctorThresholds.STALLED_ABOVE
                && progress < TrainingProgress.TRAINED_BELOW;
        if (!stalled) {
            return Optional.of(new Verdict(NAME, Verdict.Severity.INFO, "Clipping acts on nearly every step ("
                    + fmt(100 * share) + " %); the loss " + (progress >= TrainingProgress.TRAINED_BELOW ? "did not train (see not_training)"
                    : "kept falling or is low"), ev, List.of()));
        }
        ev.add("the doctor cannot tell from this run whether the clipper or the task stalls the loss: a rerun with the remedy"
                + " tells");
        return Optional.of(new Verdict(NAME, Verdict.Severity.WARNING, "The loss has stalled at " + fmt(progress)
                + " of its baseline while a clipper shaped " + fmt(100 * share) + " % of the steps", ev,
                List.of("Clip the global norm at a threshold near its median (Pascanu et al. 2013), so that only the spikes are"
                        + " clipped and the other steps keep the optimizer's length and direction; or raise the clipper's threshold.")));
    }

    /**
     * The transforms that clipped on at least {@link DoctorThresholds#CLIPPING_DOMINATES} of the steps they reported on,
     * by name ({@code clip_value}, {@code autoclip}, ...: the prefix of their {@code .clipped} figure), in the order
     * they first reported.
     */
    public static List<String> dominating(RunView run) {
        Map<String, int[]> counts = new java.util.LinkedHashMap<>();
        for (StepRecord r : run.steps()) {
            for (Map.Entry<String, Double> e : r.transforms().entrySet()) {
                String k = e.getKey();
                if (k.endsWith(StepRecord.CLIPPED_SUFFIX)) {
                    int[] c = counts.computeIfAbsent(k.substring(0, k.length() - StepRecord.CLIPPED_SUFFIX.length()), x -> new int[2]);
                    c[0]++;
                    c[1] += e.getValue() > 0 ? 1 : 0;
                }
            }
        }
        List<String> out = new ArrayList<>();
        counts.forEach((name, c) -> {
            if (c[1] >= DoctorThresholds.CLIPPING_DOMINATES * c[0]) {
                out.add(name);
            }
        });
        return out;
    }

    /**
     * One minus the mean loss over the last tenth of the run over the mean over the tenth that starts at its middle: how
     * much of the loss the second half removed. NaN when the run is too short or a window is not finite.
     */
    static double secondHalfFall(List<StepRecord> steps) {
        int n = steps.size();
        int tenth = n / 10;
        if (tenth < 1) {
            return Double.NaN;
        }
        double mid = 0;
        double end = 0;
        for (int i = 0; i < tenth; i++) {
            mid += steps.get(n / 2 + i).loss();
            end += steps.get(n - tenth + i).loss();
        }
        return mid > 0 && Double.isFinite(mid) && Double.isFinite(end) ? 1 - end / mid : Double.NaN;
    }
}
