package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.data.Dataset;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Whether a run trained: against its start and against the best constant prediction, and that it is never called plain healthy. */
class TrainingProgressTest {
    static List<StepRecord> losses(IntToDoubleFunction loss) {
        List<StepRecord> out = new ArrayList<>();
        for (int s = 0; s < 200; s++) {
            out.add(new StepRecord(s, 0, loss.applyAsDouble(s), 0.1, s, 1.0, false, Map.of(), Map.of(), Map.of()));
        }
        return out;
    }

    static Stream<Arguments> runs() {
        return Stream.of(
                // loss, baseline, trained?
                Arguments.of("falls 10x, no baseline", losses(s -> 1.0 - 0.9 * s / 199.0), Double.NaN, true),
                Arguments.of("flat, no baseline", losses(s -> 1.0), Double.NaN, false),
                // an adding-problem model that starts at 7x the mean's loss and only learns the mean
                Arguments.of("learns only the mean", losses(s -> 0.167 + (1.17 - 0.167) * Math.exp(-s / 20.0)), 0.167, false),
                Arguments.of("beats the mean", losses(s -> 0.02 + 1.15 * Math.exp(-s / 20.0)), 0.167, true),
                // the start already below the baseline: judged against the start
                Arguments.of("starts below the mean's loss", losses(s -> 0.1 - 0.09 * s / 199.0), 0.167, true),
                // learns within its first steps, then a noisier end (held-out seed 5's residual net): against the first tenth's
                // mean it "did not train", against the loss before training and the constant prediction it did
                Arguments.of("learns at once, ends noisier", losses(s -> s == 0 ? 0.82 : s >= 180 ? 0.15 : 0.06), 0.693, true),
                // a stochastic run whose first two examples happen to be easy: the first tenth's mean is its start
                Arguments.of("easy first examples", losses(s -> s < 2 ? 0.1 : 0.7 - 0.15 * s / 199.0), 0.693, true),
                Arguments.of("diverged to NaN", losses(s -> s == 199 ? Double.NaN : 1.0), Double.NaN, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void aRunThatDidNotTrainIsNeverCalledHealthy(String name, List<StepRecord> steps, double baseline, boolean trained) {
        RunView run = new RunView(steps, ModelFacts.unknown(), Double.NaN, baseline);
        assertEquals(trained, TrainingProgress.progress(run) < TrainingProgress.TRAINED_BELOW, name + ": " + TrainingProgress.progress(run));
        List<Verdict> vs = GradientDoctor.standard().diagnose(run);
        boolean calledHealthy = vs.stream().noneMatch(v -> v.severity().compareTo(Verdict.Severity.WARNING) >= 0);
        if (!trained) {
            assertTrue(!calledHealthy, name + " did not train and must not be called healthy: " + vs);
        }
        assertEquals(!trained, vs.stream().anyMatch(v -> v.detector().equals(TrainingProgress.NAME)), name + ": " + vs);
    }

    static Stream<Arguments> baselines() {
        return Stream.of(
                // targets [n, cols] -> mean over columns of the population variance
                Arguments.of(Dataset.regression(Tensor.zeros(4, 1), Tensor.wrap(new float[] {1, 2, 3, 4}, 4, 1)), 1.25),
                Arguments.of(Dataset.regression(Tensor.zeros(2, 1), Tensor.wrap(new float[] {0, 10, 2, 10}, 2, 2)), 0.5),
                // labels -> entropy of their frequencies in nats
                Arguments.of(Dataset.classification(Tensor.zeros(4, 1), new int[] {0, 1, 0, 1}, 2), Math.log(2)),
                Arguments.of(Dataset.classification(Tensor.zeros(4, 1), new int[] {2, 2, 2, 2}, 3), 0.0),
                Arguments.of(Dataset.classification(Tensor.zeros(4, 1), new int[] {0, 1, 2, 3}, 4), Math.log(4)));
    }

    @ParameterizedTest
    @MethodSource("baselines")
    void theConstantBaselineIsTheBestConstantPredictionsLoss(Dataset data, double expected) {
        assertEquals(expected, TrainingProgress.constantBaseline(data), 1e-12);
    }
}
