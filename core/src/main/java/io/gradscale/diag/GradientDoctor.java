package io.gradscale.diag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Runs every detector over a run and returns the verdicts, most severe first.
 *
 * <p>The detectors: {@link VanishingDetector}, {@link ExplodingDetector}, {@link NonFiniteDetector},
 * {@link DeadLayerDetector}, {@link ShatteredDetector}, {@link UnitHealthDetector}. Each is independent and reads only the run.
 */
public final class GradientDoctor {
    private final List<Detector> detectors;

    public GradientDoctor(List<Detector> detectors) {
        this.detectors = List.copyOf(detectors);
    }

    /** The doctor with every built-in detector. */
    public static GradientDoctor standard() {
        return new GradientDoctor(List.of(new NonFiniteDetector(), new ExplodingDetector(), new VanishingDetector(),
                new DeadLayerDetector(), new ShatteredDetector(), new UnitHealthDetector()));
    }

    /** Every verdict the detectors reach, most severe first (stable among equals). */
    public List<Verdict> diagnose(RunView run) {
        List<Verdict> out = new ArrayList<>();
        for (Detector d : detectors) {
            d.examine(run).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(Verdict::severity).reversed());
        return out;
    }
}
