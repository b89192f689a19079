package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A clipper that shapes nearly every step, told apart from one that clips spikes, and a stall from convergence. */
class ClippingDetectorTest {
    private static final int STEPS = 1000;
    private static final double BASELINE = 1.0;

    /** A run whose loss is {@code loss(step)}, clipped on the steps {@code clipped} says (null: no clipper at all). */
    static List<StepRecord> run(IntToDoubleFunction loss, java.util.function.IntPredicate clipped) {
        List<StepRecord> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            Map<String, Double> t = clipped == null ? Map.of("lr", 0.03)
                    : Map.of("autoclip.clipped", clipped.test(s) ? 1.0 : 0.0, "autoclip.factor", clipped.test(s) ? 0.2 : 1.0);
            out.add(new StepRecord(s, 0, loss.applyAsDouble(s), 0.03, s, 1.0, false, Map.of(), t, Map.of()));
        }
        return out;
    }

    static Stream<Arguments> cases() {
        java.util.function.IntPredicate nearlyAll = s -> s % 20 != 0; // 95 %
        java.util.function.IntPredicate third = s -> s % 3 == 0;
        IntToDoubleFunction trains = s -> 1.2 * Math.exp(-s / 150.0) + 0.005; // to 0.005 of the baseline
        // AutoClip seed 42 of the clippers experiment: from 1.1x the baseline to 0.86x, flat from the first tenth on
        IntToDoubleFunction stallsHigh = s -> 0.86 + 0.3 * Math.exp(-s / 30.0);
        IntToDoubleFunction stallsMid = s -> s < 500 ? 1.2 - 0.7 * s / 500.0 : 0.5 - 0.05 * (s - 500) / 500.0; // 0.5 -> 0.45
        IntToDoubleFunction converged = s -> s < 300 ? 1.2 - 1.15 * s / 300.0 : 0.05;
        IntToDoubleFunction flat = s -> 1.0;
        return Stream.of(
                Arguments.of("no clipper", trains, null, Optional.empty()),
                Arguments.of("a third of the steps clipped", stallsMid, third, Optional.of(Verdict.Severity.OK)),
                Arguments.of("nearly every step clipped, the loss keeps falling", trains, nearlyAll, Optional.of(Verdict.Severity.INFO)),
                Arguments.of("nearly every step clipped, stalled at 0.86", stallsHigh, nearlyAll, Optional.of(Verdict.Severity.WARNING)),
                Arguments.of("nearly every step clipped, stalled at 0.45", stallsMid, nearlyAll, Optional.of(Verdict.Severity.WARNING)),
                Arguments.of("nearly every step clipped, converged at 0.05", converged, nearlyAll, Optional.of(Verdict.Severity.INFO)),
                Arguments.of("nearly every step clipped, never trained (not_training's)", flat, nearlyAll,
                        Optional.of(Verdict.Severity.INFO)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aStallIsAWarningOnlyWhenTheClipperShapedNearlyEveryStep(String name, IntToDoubleFunction loss,
                                                                 java.util.function.IntPredicate clipped,
                                                                 Optional<Verdict.Severity> expected) {
        ModelFacts f = new ModelFacts(2, List.of("relu"), false, false, "rnn", "identity", "autoclip", 0.03);
        Optional<Verdict> v = new ClippingDetector().examine(new RunView(run(loss, clipped), f, Double.NaN, BASELINE));
        assertEquals(expected, v.map(Verdict::severity), name + ": " + v);
    }
}
