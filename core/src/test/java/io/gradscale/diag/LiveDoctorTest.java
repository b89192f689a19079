package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.train.EventRecord;
import io.gradscale.train.Json;
import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The live doctor's bookkeeping, with detectors whose answers the test fixes (the real detectors' accuracy is
 * measured elsewhere): when a condition begins, changes and ends, what goes to the log, what the headline is,
 * that it only looks at its window, and that the episodes read back from the events are the ones that happened.
 */
class LiveDoctorTest {
    /** A detector that says {@code severity} while the loss of the window's last step is at least {@code level}. */
    record LossAbove(String name, double level, Verdict.Severity severity) implements Detector {
        @Override
        public Optional<Verdict> examine(RunView run) {
            double loss = run.steps().getLast().loss();
            return Optional.of(new Verdict(name, loss >= level ? severity : Verdict.Severity.OK, name + " at " + loss, List.of(),
                    List.of()));
        }
    }

    /** A detector that is critical while any step in the window has a non-finite loss (so it sees only its window). */
    record AnyNaN() implements Detector {
        @Override
        public String name() {
            return "non_finite";
        }

        @Override
        public Optional<Verdict> examine(RunView run) {
            boolean bad = run.steps().stream().anyMatch(r -> !Double.isFinite(r.loss()));
            return Optional.of(new Verdict(name(), bad ? Verdict.Severity.CRITICAL : Verdict.Severity.OK, "nan", List.of(), List.of()));
        }
    }

    static StepRecord step(long s, double loss, boolean sampled) {
        Map<String, LayerStats> layers = sampled ? Map.of("fc", new LayerStats(1, 1, 1, 0.01, -2, 0)) : Map.of();
        return new StepRecord(s, 0, loss, 0.1, s, 1.0, false, layers, Map.of(), Map.of());
    }

    /** Collects the events a sink receives. */
    static final class Sink implements TrainingListener {
        final List<EventRecord> events = new ArrayList<>();

        @Override
        public void onEvent(EventRecord r) {
            events.add(r);
        }
    }

    static Stream<Arguments> episodes() {
        // name, loss by step, expected episodes "detector:worst:began-ended" (ended -1 = open)
        return Stream.of(
                Arguments.of("healthy", (LongPredicate) s -> false, (LongPredicate) s -> false, List.of()),
                Arguments.of("one warning", (LongPredicate) s -> s >= 30 && s < 70, (LongPredicate) s -> false,
                        List.of("high:WARNING:30-70")),
                Arguments.of("warning then critical, open", (LongPredicate) s -> s >= 20, (LongPredicate) s -> s >= 50,
                        List.of("high:WARNING:20--1", "higher:CRITICAL:50--1")),
                Arguments.of("two episodes", (LongPredicate) s -> s >= 10 && s < 20 || s >= 60 && s < 90, (LongPredicate) s -> false,
                        List.of("high:WARNING:10-20", "high:WARNING:60-90")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("episodes")
    void conditionsBeginAndEndWhereTheLossSaysAndReadBackAsEpisodes(String name, LongPredicate high, LongPredicate higher,
                                                                     List<String> expected) throws Exception {
        Sink sink = new Sink();
        List<String> headlines = new ArrayList<>();
        GradientDoctor doctor = new GradientDoctor(List.of(new LossAbove("high", 2, Verdict.Severity.WARNING),
                new LossAbove("higher", 3, Verdict.Severity.CRITICAL)));
        LiveDoctor live = new LiveDoctor(doctor, ModelFacts.unknown(), 50, 10, List.of(sink),
                (s, v) -> headlines.add(s + ":" + (v == null ? "healthy" : v.detector())), LiveDoctor.OnCritical.WARN, null);
        for (long s = 0; s < 100; s++) {
            live.onStep(step(s, higher.test(s) ? 3.5 : high.test(s) ? 2.5 : 1.0, s % 10 == 0));
        }
        List<String> got = ConditionEpisode.from(sink.events).stream()
                .map(e -> e.condition() + ":" + e.worst() + ":" + e.began() + "-" + e.ended()).toList();
        assertEquals(expected, got);
        assertEquals(10, live.evaluations(), "the detectors run every 10th step only");
        // the events survive the metrics log's JSON
        for (EventRecord e : sink.events) {
            assertEquals(e, Json.mapper().readValue(Json.mapper().writeValueAsString(e), EventRecord.class));
        }
        if (expected.isEmpty()) {
            assertTrue(headlines.isEmpty(), headlines.toString());
        } else {
            assertFalse(headlines.isEmpty());
        }
    }

    @Test
    void theHeadlineIsTheMostSevereConditionAndIsAnnouncedOnlyWhenItChanges() {
        List<String> headlines = new ArrayList<>();
        GradientDoctor doctor = new GradientDoctor(List.of(new LossAbove("high", 2, Verdict.Severity.WARNING),
                new LossAbove("higher", 3, Verdict.Severity.CRITICAL)));
        LiveDoctor live = new LiveDoctor(doctor, ModelFacts.unknown(), 50, 10, List.of(),
                (s, v) -> headlines.add(s + ":" + (v == null ? "healthy" : v.severity() + " " + v.detector())), LiveDoctor.OnCritical.WARN,
                null);
        double[] loss = {1, 2.5, 2.5, 3.5, 3.5, 2.5, 1, 1};
        for (int i = 0; i < loss.length; i++) {
            live.onStep(step(10L * i, loss[i], true));
            live.onStep(step(10L * i + 5, loss[i], false)); // not judged: off the interval
        }
        assertEquals(List.of("10:WARNING high", "30:CRITICAL higher", "50:WARNING high", "60:healthy"), headlines);
        assertNull(live.headline());
    }

    @Test
    void aNonFiniteStepIsJudgedAtOnceAndTheWindowForgetsIt() {
        Sink sink = new Sink();
        LiveDoctor live = new LiveDoctor(new GradientDoctor(List.of(new AnyNaN())), ModelFacts.unknown(), 20, 10, List.of(sink), null,
                LiveDoctor.OnCritical.WARN, null);
        for (long s = 0; s < 60; s++) {
            live.onStep(step(s, s == 13 ? Double.NaN : 1.0, s % 10 == 0));
        }
        List<ConditionEpisode> eps = ConditionEpisode.from(sink.events);
        assertEquals(1, eps.size(), sink.events.toString());
        assertEquals(13, eps.getFirst().began(), "judged on the non-finite step itself, not at the next sample");
        assertEquals(40, eps.getFirst().ended(), "step 13 leaves the 20-step window by the sample at step 40");
    }

    @Test
    void stopNeedsATrainer() {
        assertThrows(IllegalArgumentException.class, () -> new LiveDoctor(GradientDoctor.standard(), ModelFacts.unknown(),
                LiveDoctor.DEFAULT_WINDOW, LiveDoctor.DEFAULT_EVERY, List.of(), null, LiveDoctor.OnCritical.STOP, null));
        assertThrows(IllegalArgumentException.class, () -> new LiveDoctor(GradientDoctor.standard(), ModelFacts.unknown(), 5, 1,
                List.of(), null, LiveDoctor.OnCritical.WARN, null));
    }
}
