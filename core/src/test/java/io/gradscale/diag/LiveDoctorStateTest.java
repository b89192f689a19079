package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.diag.LiveDoctorTest.AnyNaN;
import io.gradscale.diag.LiveDoctorTest.LossAbove;
import io.gradscale.diag.LiveDoctorTest.Sink;
import io.gradscale.io.Checkpoint;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.EventRecord;
import io.gradscale.train.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The live doctor's state through a checkpoint: a doctor stopped at any step, written with {@link LiveDoctorState}
 * into a real {@link Checkpoint} and read back into a new doctor, goes on to emit exactly the events the doctor that
 * never stopped emits; a state that does not fit is refused before anything changes.
 */
class LiveDoctorStateTest {
    @TempDir
    Path dir;

    private static LiveDoctor doctor(List<Sink> sinks) {
        GradientDoctor d = new GradientDoctor(List.of(new LossAbove("high", 2, Verdict.Severity.WARNING),
                new LossAbove("higher", 3, Verdict.Severity.CRITICAL), new AnyNaN()));
        return new LiveDoctor(d, ModelFacts.unknown(), 20, 10, List.copyOf(sinks), null, LiveDoctor.OnCritical.WARN, null);
    }

    /** Loss by step: a warning, a critical spell, a non-finite step (judged at once, then remembered by the window). */
    private static double loss(long s) {
        if (s == 47) {
            return Double.NaN;
        }
        return s >= 20 && s < 35 ? 2.5 : s >= 60 && s < 75 ? 3.5 : 1.0 + 1e-3 * s;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 9, 10, 25, 47, 48, 55, 66, 99})
    void aRestoredDoctorEmitsTheEventsOfOneNeverStopped(long cut) throws Exception {
        Sink whole = new Sink();
        LiveDoctor ref = doctor(List.of(whole));
        for (long s = 0; s < 100; s++) {
            ref.onStep(LiveDoctorTest.step(s, loss(s), s % 10 == 0));
        }

        Sink before = new Sink();
        LiveDoctor first = doctor(List.of(before));
        for (long s = 0; s <= cut; s++) {
            first.onStep(LiveDoctorTest.step(s, loss(s), s % 10 == 0));
        }
        ObjectNode state = Json.mapper().createObjectNode();
        state.set("live_doctor", LiveDoctorState.write(first.state()));
        Checkpoint.write(dir, Map.of("w", Tensor.zeros(1)), state);
        JsonNode read = Checkpoint.read(dir).state().get("live_doctor");

        Sink after = new Sink();
        LiveDoctor second = doctor(List.of(after));
        second.restore(LiveDoctorState.read(read));
        assertEquals(first.evaluations(), second.evaluations());
        assertEquals(first.active(), second.active());
        assertEquals(first.headline(), second.headline());
        for (long s = cut + 1; s < 100; s++) {
            second.onStep(LiveDoctorTest.step(s, loss(s), s % 10 == 0));
        }
        List<EventRecord> resumed = new ArrayList<>(before.events);
        resumed.addAll(after.events);
        assertTrue(whole.events.size() >= 6, "the stream raises conditions: " + whole.events);
        assertEquals(whole.events, resumed);
        assertEquals(ref.evaluations(), second.evaluations());
    }

    static Stream<Arguments> refused() {
        LiveDoctor d = doctor(List.of());
        for (long s = 0; s < 30; s++) {
            d.onStep(LiveDoctorTest.step(s, loss(s), true));
        }
        ObjectNode good = LiveDoctorState.write(d.state());
        return Stream.of(
                Arguments.of("another version", (UnaryOperator<ObjectNode>) o -> o.put("version", 2), "version 2"),
                Arguments.of("no window", (UnaryOperator<ObjectNode>) o -> {
                    o.remove("window");
                    return o;
                }, "\"window\" must be an array"),
                Arguments.of("a window longer than the doctor's", (UnaryOperator<ObjectNode>) o -> {
                    var w = o.withArray("window");
                    for (int i = 0; w.size() < 21; i++) {
                        w.add(w.get(i).deepCopy());
                    }
                    return o;
                }, "window holds 21 steps, this doctor's 20"),
                Arguments.of("a verdict without title", (UnaryOperator<ObjectNode>) o -> {
                    ((ObjectNode) o.withArray("active").get(0)).remove("title");
                    return o;
                }, "without detector, severity or title"),
                Arguments.of("a negative count", (UnaryOperator<ObjectNode>) o -> o.put("evaluations", -1), "\"evaluations\" must be a count"),
                Arguments.of("a step record of the wrong type", (UnaryOperator<ObjectNode>) o -> {
                    o.withArray("window").set(0, Json.mapper().getNodeFactory().textNode("step"));
                    return o;
                }, "live doctor state is not readable"))
                .map(a -> Arguments.of(a.get()[0], ((UnaryOperator<ObjectNode>) a.get()[1]).apply(good.deepCopy()), a.get()[2]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aStateThatDoesNotFitIsRefusedAndChangesNothing(String name, ObjectNode state, String expected) {
        LiveDoctor d = doctor(List.of());
        d.onStep(LiveDoctorTest.step(0, 2.5, true));
        LiveDoctor.State before = d.state();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.restore(LiveDoctorState.read(state)));
        assertTrue(e.getMessage().startsWith("checkpoint") && e.getMessage().contains(expected), e.getMessage());
        assertEquals(before, d.state());
    }
}
