package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The log of zero told from the other causes of a non-finite value by its signature. */
class NonFiniteDetectorTest {
    private static final int STEPS = 100;

    /**
     * A run whose gradient norm is {@code norm(step)}; from {@code nanAt} on, every step has a NaN gradient (skipped
     * by a guard), and its loss is infinite when {@code infiniteLoss}; the weight norm is {@code weights(step)}.
     */
    static List<StepRecord> run(IntToDoubleFunction norm, IntToDoubleFunction weights, int nanAt, boolean infiniteLoss) {
        List<StepRecord> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            boolean bad = nanAt >= 0 && s >= nanAt;
            double g = bad ? Double.NaN : norm.applyAsDouble(s);
            LayerStats l = new LayerStats(g, g, weights.applyAsDouble(s), 0.01, -2, bad ? 3 : 0);
            out.add(new StepRecord(s, 0, bad && infiniteLoss ? Double.POSITIVE_INFINITY : 1.0, 0.01, s, g, bad,
                    Map.of("fc", l), Map.of(), Map.of()));
        }
        return out;
    }

    static Stream<Arguments> cases() {
        IntToDoubleFunction flat = s -> 2.0;
        IntToDoubleFunction finite = s -> 5.0;
        IntToDoubleFunction blowUp = s -> Math.pow(10, s / 10.0); // a decade every 10 steps: 1e3 at step 30
        IntToDoubleFunction weightsOverflow = s -> s >= 30 ? Double.POSITIVE_INFINITY : 5.0;
        return Stream.of(
                // name, loss of probabilities, norms, weights, first NaN, infinite loss, expected step (-1: not the log of zero)
                Arguments.of("NaN gradient at the first step, finite loss", true, flat, finite, 0, false, 0L),
                Arguments.of("infinite loss after 40 calm steps", true, flat, finite, 40, true, 40L),
                Arguments.of("the same run, its loss from the logits", false, flat, finite, 40, true, -1L),
                Arguments.of("the norm grew a thousandfold first: an explosion", true, blowUp, finite, 40, true, -1L),
                Arguments.of("the weights overflowed first", true, flat, weightsOverflow, 40, true, -1L),
                Arguments.of("nothing non-finite", true, flat, finite, -1, false, -1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theLogOfZeroIsANonFiniteValueWithoutAnyBlowUpBeforeIt(String name, boolean logOfProbabilities, IntToDoubleFunction norm,
                                                                IntToDoubleFunction weights, int nanAt, boolean infiniteLoss,
                                                                long expected) {
        ModelFacts f = new ModelFacts(3, List.of("relu", "relu"), false, false, "", "he", "", 0.01, logOfProbabilities);
        RunView run = new RunView(run(norm, weights, nanAt, infiniteLoss), f, Double.NaN);
        OptionalLong got = NonFiniteDetector.logOfZero(run);
        assertEquals(expected < 0 ? OptionalLong.empty() : OptionalLong.of(expected), got, name);
        Verdict v = new NonFiniteDetector().examine(run).orElseThrow();
        boolean named = v.title().contains("log of a zero probability");
        assertEquals(got.isPresent(), named, v.title());
        // the remedy the verdict names first: the loss's form for the log of zero, never a smaller step
        if (named) {
            assertTrue(v.remedies().getFirst().contains("training.loss: logits"), v.remedies().toString());
            assertTrue(v.remedies().stream().noneMatch(r -> r.toLowerCase(java.util.Locale.ROOT).contains("lower the learning rate")));
        }
    }
}
