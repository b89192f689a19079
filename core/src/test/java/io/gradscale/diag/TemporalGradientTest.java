package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.nn.Init;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.RNN;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The temporal probe measures the product of the state Jacobians, and the detector judges it. */
class TemporalGradientTest {
    static final int HIDDEN = 8;

    /** A tanh RNN with W_hh = c I, zero biases and tiny input weights: the states stay near 0, where tanh' = 1. */
    static RNN scaledIdentity(double c) {
        Rng rng = new Rng(3);
        RNN rnn = new RNN(2, HIDDEN, 1, Nonlinearity.TANH, true, rng);
        Tensor whh = rnn.namedParameters().get("weight_hh_l0").value();
        Init.zeros(whh);
        for (int i = 0; i < HIDDEN; i++) {
            whh.data()[i * HIDDEN + i] = (float) c;
        }
        Init.zeros(rnn.namedParameters().get("bias_hh_l0").value());
        Init.zeros(rnn.namedParameters().get("bias_ih_l0").value());
        Init.normal(rnn.namedParameters().get("weight_ih_l0").value(), 0, 1e-3, rng);
        return rnn;
    }

    @ParameterizedTest(name = "W_hh = {0} I over {1} steps")
    @CsvSource({"0.5, 10", "0.9, 20", "1.0, 15", "0.3, 30"})
    void theRatioIsTheProductOfTheStateJacobians(double c, int steps) {
        Tensor x = Tensor.randn(new Rng(5), 4, steps, 2);
        double[] norms = TemporalGradient.norms(scaledIdentity(c), x, Engine.serial());
        assertEquals(steps, norms.length);
        double expected = Math.pow(c, steps - 1);
        double ratio = TemporalGradient.firstOverLast(norms);
        assertEquals(expected, ratio, 1e-2 * expected, "c^(T-1), to tanh's curvature near 0");
        for (int t = 1; t < steps; t++) {
            assertTrue(norms[t - 1] <= norms[t] * (1 + 1e-4), "the gradient shrinks monotonically back in time at step " + t);
        }
    }

    static List<StepRecord> losses(double end) {
        List<StepRecord> out = new ArrayList<>();
        for (int s = 0; s < 100; s++) {
            out.add(new StepRecord(s, 0, 1.0 + (end - 1.0) * s / 99.0, 0.1, s, 1.0, false, Map.of(), Map.of(), Map.of()));
        }
        return out;
    }

    @ParameterizedTest(name = "ratio {0}, loss ends at x{1}: {2}")
    @CsvSource({"1e-12, 1.0, CRITICAL", "1e-7, 1.0, WARNING", "1e-3, 1.0, OK", "2.0, 0.1, OK",
            // a diverged run: the blow-up, not the recurrence, left its weights passing no gradient
            "0.0, 50.0, NONE", "NaN, 1.0, NONE"})
    void theDetectorJudgesTheMeasuredRatio(double ratio, double lossEnd, String expected) {
        Optional<Verdict> v = new VanishingThroughTimeDetector().examine(new RunView(losses(lossEnd),
                new ModelFacts(1, List.of("tanh"), false, false, "rnn", "default", "", 0.01), Double.NaN, Double.NaN, ratio));
        assertEquals(expected, v.map(x -> x.severity().name()).orElse("NONE"));
        v.filter(x -> x.severity() != Verdict.Severity.OK).ifPresent(x -> assertTrue(!x.remedies().isEmpty(), "a remedy is proposed"));
    }
}
