package io.gradscale.cli.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.gradscale.diag.Verdict;
import io.gradscale.privacy.RdpAccountant;
import io.gradscale.tensor.Engine;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in experiment run once in the quick budget, with fixed seeds, and checked for the effect it
 * exists to show. Nothing here looks at wall time.
 */
class ExperimentRunsTest {
    private static final long SEED = ExperimentContext.DEFAULT_SEED;

    @TempDir
    static Path out;

    private static final Map<String, ExperimentResult> RESULTS = new LinkedHashMap<>();

    static ExperimentContext context(Path dir) {
        return new ExperimentContext(dir, Engine.serial(), SEED, true, new PrintStream(OutputStream.nullOutputStream()));
    }

    @BeforeAll
    static void runAll() {
        for (Experiment e : Experiments.all()) {
            RESULTS.put(e.name(), e.run(context(out)));
        }
    }

    static Stream<String> names() {
        return Experiments.names().stream();
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyRunLeavesAReadableLogWithItsConfigAndADiagnosis(String name) throws IOException {
        ExperimentResult r = RESULTS.get(name);
        assertEquals(name, r.name());
        assertFalse(r.runs().isEmpty());
        assertFalse(r.rows().isEmpty());
        assertFalse(r.conclusion().isBlank());
        for (RunOutcome o : r.runs()) {
            assertEquals(out.resolve(name).resolve(o.label()), o.runDir());
            MetricsLog.Contents log = MetricsLog.read(o.runDir().resolve(MetricsLog.FILE_NAME));
            assertFalse(log.steps().isEmpty(), o.label());
            assertEquals(name, log.provenance().config().path("experiment").asText(), o.label());
            assertEquals(o.label(), log.provenance().config().path("variant").asText());
            assertTrue(Files.isRegularFile(o.runDir().resolve(RunDir.CONFIG_FILE)), o.label());
            List<Verdict> verdicts = Json.mapper().readValue(o.runDir().resolve(RunDir.DIAGNOSIS_FILE).toFile(),
                    new TypeReference<List<Verdict>>() { });
            assertFalse(verdicts.isEmpty(), "the doctor examined " + o.label());
            assertTrue(o.numbers().keySet().stream().noneMatch(String::isBlank));
        }
    }

    @Test
    void globalNormClippingSucceedsAtLeastAsOftenAsNoClippingAndBoundsTheSteps() {
        ExperimentResult r = RESULTS.get(ExplodingRnn.NAME);
        int none = 0;
        int global = 0;
        for (RunOutcome o : r.runs()) {
            if (o.label().startsWith("no-clipping")) {
                none += (int) o.number("success");
                assertEquals(0, o.number("clipped_steps"), "nothing clips without a clipper");
            } else if (o.label().startsWith("clip-global-norm")) {
                global += (int) o.number("success");
                assertTrue(o.number("clipped_steps") > 0, "the threshold is live: " + o.label());
            }
        }
        assertTrue(global >= none, "global norm " + global + " vs none " + none);
        assertEquals(ExplodingRnn.QUICK_SEEDS, global, "global-norm clipping learns the task on every seed: " + r.table());
        assertTrue(none < ExplodingRnn.QUICK_SEEDS, "without clipping some seed fails: " + r.table());
        RunOutcome failed = r.runs().stream().filter(o -> o.label().startsWith("no-clipping") && o.number("success") == 0)
                .findFirst().orElseThrow();
        assertEquals(0, failed.number("rnn_grad_norm_end"), "the failed unclipped run's recurrent units are dead");
        assertTrue(failed.number("max_grad_norm") > 10 * ExplodingRnn.GLOBAL_NORM, "its gradient norm spiked");
    }

    @Test
    void sigmoidGradientsVanishTowardTheInputAndTheRemediesTrain() {
        ExperimentResult r = RESULTS.get(VanishingMlp.NAME);
        RunOutcome sigmoid = r.run("sigmoid-glorot");
        RunOutcome relu = r.run("relu-he");
        assertTrue(sigmoid.number("grad_ratio_start") < 1e-4, "sigmoid first/last " + sigmoid.number("grad_ratio_start"));
        assertTrue(sigmoid.number("grad_ratio_start") < 1e-3 * relu.number("grad_ratio_start"),
                "sigmoid " + sigmoid.number("grad_ratio_start") + " vs relu " + relu.number("grad_ratio_start"));
        assertEquals(1.0, sigmoid.number("vanishing_flagged"), "the doctor flags the sigmoid network");
        for (String label : List.of("relu-he", "relu-he-batchnorm", "relu-he-batchnorm-residual")) {
            RunOutcome o = r.run(label);
            assertEquals(0.0, o.number("vanishing_flagged"), label);
            assertTrue(o.number("grad_ratio_start") > 1e-2, label + " " + o.number("grad_ratio_start"));
            assertTrue(o.number("final_loss") < sigmoid.number("final_loss"), label + " trains better than sigmoid");
            assertTrue(o.number("test_accuracy") > sigmoid.number("test_accuracy"), label);
        }
        // The per-layer norms fall monotonically toward the input in the sigmoid network.
        List<Double> norms = sigmoid.numbers().entrySet().stream().filter(e -> e.getKey().startsWith("grad_start."))
                .map(Map.Entry::getValue).toList();
        assertEquals(VanishingMlp.DEPTH + 1, norms.size(), "one norm per Linear layer");
        for (int i = 1; i < norms.size(); i++) {
            assertTrue(norms.get(i - 1) < norms.get(i), "layer " + i + ": " + norms);
        }
    }

    @Test
    void plainNetworksShatterWithDepthAndResidualOnesDoNot() {
        ExperimentResult r = RESULTS.get(ShatteredGradients.NAME);
        int[] depths = ShatteredGradients.QUICK_DEPTHS;
        int deepest = depths[depths.length - 1];
        RunOutcome plainShallow = r.run("plain-depth" + depths[0]);
        RunOutcome plainDeep = r.run("plain-depth" + deepest);
        RunOutcome resDeep = r.run("residual-depth" + deepest);
        assertTrue(plainShallow.number("autocorrelation_init") > 0.8, "shallow " + plainShallow.number("autocorrelation_init"));
        assertTrue(plainDeep.number("autocorrelation_init") < 0.3, "deep plain " + plainDeep.number("autocorrelation_init"));
        assertTrue(resDeep.number("autocorrelation_init") > plainDeep.number("autocorrelation_init") + 0.4,
                "residual " + resDeep.number("autocorrelation_init") + " vs plain " + plainDeep.number("autocorrelation_init"));
        assertEquals(1.0, plainDeep.number("shattered_flagged"), "the doctor flags the deep plain network");
        assertEquals(0.0, resDeep.number("shattered_flagged"), "and not the residual one");
        assertEquals(depths.length, r.rows().size(), "one row per depth");
    }

    @Test
    void shatteredResultsRepeatExactlyWithTheSameSeed(@TempDir Path again) {
        ExperimentResult second = new ShatteredGradients().run(context(again));
        ExperimentResult first = RESULTS.get(ShatteredGradients.NAME);
        assertEquals(first.rows(), second.rows());
        for (int i = 0; i < first.runs().size(); i++) {
            assertEquals(first.runs().get(i).numbers(), second.runs().get(i).numbers());
        }
    }

    @Test
    void everyClipperActsAsItsDesignSays() {
        ExperimentResult r = RESULTS.get(ClippersCompared.NAME);
        List<String> order = ClippersCompared.clippers().stream().map(ClippersCompared.Clipper::label).toList();
        assertEquals(List.of("none", "value", "norm", "global-norm", "agc", "autoclip", "zclip"), order);
        assertEquals(order, r.rows().stream().map(row -> row.get(0)).toList());
        assertEquals(order.size() * ClippersCompared.QUICK_SEEDS, r.runs().size());
        for (RunOutcome o : r.runs()) {
            double share = o.number("clipped_steps") / o.number("steps");
            String label = o.label().substring(0, o.label().indexOf("-seed"));
            switch (label) {
                case "none" -> assertEquals(0.0, share, label);
                // The 10th percentile of the norms seen: after the first steps about 90% of the steps are above it.
                case "autoclip" -> assertTrue(share > 0.8, label + " clipped " + share);
                // A z-score above 2.5 against the moving statistics: only the rare spike.
                case "zclip" -> assertTrue(share > 0 && share < 0.2, label + " clipped " + share);
                default -> assertTrue(share > 0, label + " never clipped");
            }
            assertTrue(o.number("skipped_steps") >= 0 && o.number("skipped_steps") <= o.number("steps"));
        }
    }

    @Test
    void privateTrainingSpendsItsBudgetAndMoreNoiseBuysASmallerEpsilon() {
        ExperimentResult r = RESULTS.get(PrivateDigits.NAME);
        RunOutcome plain = r.run("non-private");
        assertEquals(0.0, plain.number("noise_multiplier"));
        assertTrue(plain.number("test_accuracy") > 0.5, "the network learns the digits: " + r.table());
        double previousSigma = Double.POSITIVE_INFINITY;
        for (double eps : PrivateDigits.EPSILONS) {
            RunOutcome o = r.run("dp-eps" + (int) eps);
            assertTrue(o.number("epsilon") <= eps && o.number("epsilon") > eps - 2 * RdpAccountant.DEFAULT_EPSILON_TOLERANCE,
                    "spent " + o.number("epsilon") + " of " + eps);
            assertTrue(o.number("noise_multiplier") < previousSigma, "a larger budget needs less noise: " + r.table());
            previousSigma = o.number("noise_multiplier");
            assertTrue(o.number("test_accuracy") > 0.1, "above chance: " + r.table());
            assertTrue(o.number("clipped_share") > 0, "the clip bound is live: " + o.label());
            assertEquals(0.0, o.number("diverged"));
        }
    }

    @Test
    void perStepBatchDescentMakesTheMostProgressAndEveryModeLearns() {
        ExperimentResult r = RESULTS.get(DescentModes.NAME);
        RunOutcome batch = r.run("batch");
        RunOutcome stochastic = r.run("stochastic");
        RunOutcome mini = r.run("mini-batch-" + DescentModes.MINI_BATCH);
        assertEquals(DescentModes.TRAIN, batch.number("batch_size"));
        assertEquals(1, stochastic.number("batch_size"));
        for (RunOutcome o : List.of(batch, stochastic, mini)) {
            assertEquals(batch.number("loss_start"), o.number("loss_start"), "same model and data: " + o.label());
            assertTrue(o.number("loss_at_steps") < o.number("loss_start"), o.label() + " learns");
            // within the step budget (deterministic); past it the run length depends on the machine's speed
            assertEquals(0.0, o.number("diverged_within_steps"), o.label());
        }
        assertTrue(batch.number("loss_at_steps") <= stochastic.number("loss_at_steps"),
                "the exact gradient does at least as well per step: " + r.table());
    }
}
