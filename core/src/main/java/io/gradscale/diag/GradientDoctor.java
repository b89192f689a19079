package io.gradscale.diag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Runs every detector over a run and returns the verdicts, most severe first.
 *
 * <p>The detectors: {@link VanishingDetector}, {@link VanishingThroughTimeDetector}, {@link ExplodingDetector}, {@link NonFiniteDetector},
 * {@link DeadLayerDetector}, {@link ShatteredDetector}, {@link UnitHealthDetector} (dead and saturated units),
 * {@link LearningRateDetector} (too low and too high), {@link ClippingDetector}. Each is independent and reads only the run; the
 * thresholds are in {@link DoctorThresholds}.
 */
public final class GradientDoctor {
    private final List<Detector> detectors;

    public GradientDoctor(List<Detector> detectors) {
        this.detectors = List.copyOf(detectors);
    }

    /** The doctor with every built-in detector. */
    public static GradientDoctor standard() {
        return new GradientDoctor(List.of(new NonFiniteDetector(), new ExplodingDetector(), new VanishingDetector(), new VanishingThroughTimeDetector(),
                new DeadLayerDetector(), new ShatteredDetector(), new UnitHealthDetector(UnitHealthDetector.Kind.DEAD),
                new UnitHealthDetector(UnitHealthDetector.Kind.SATURATED), new LearningRateDetector(LearningRateDetector.Kind.TOO_LOW),
                new LearningRateDetector(LearningRateDetector.Kind.TOO_HIGH), new ClippingDetector()));
    }

    /**
     * Every verdict the detectors reach, most severe first (stable among equals); then, when the loss did not
     * train, {@link TrainingProgress}'s verdict saying which of them explain it, or that none does.
     */
    public List<Verdict> diagnose(RunView run) {
        List<Verdict> out = new ArrayList<>();
        for (Detector d : detectors) {
            d.examine(run).ifPresent(out::add);
        }
        TrainingProgress.examine(run, out).ifPresent(out::add);
        out.sort(Comparator.comparing(Verdict::severity).reversed());
        return out;
    }
}
