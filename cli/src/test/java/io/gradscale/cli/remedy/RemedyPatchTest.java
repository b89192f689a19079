package io.gradscale.cli.remedy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.RunView;
import io.gradscale.tensor.Engine;
import io.gradscale.train.Json;
import io.gradscale.train.StepRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Remedies as configuration patches: every edit round-trips to JSON and YAML, and applies as it says. */
class RemedyPatchTest {
    private static final ObjectMapper JSON = Json.mapper();
    private static final ObjectMapper YAML = new YAMLMapper();

    static List<ConfigEdit> everyEdit() {
        return List.of(ConfigEdit.ModelField.activation("relu"), ConfigEdit.ModelField.init("he"), ConfigEdit.ModelField.batchNorm(true),
                ConfigEdit.ModelField.residual(true), ConfigEdit.ModelField.nonlinearity("tanh"), new ConfigEdit.Cell("gru"),
                new ConfigEdit.ClipGlobalNorm(0.143, "the median of 200 observed global norms"), new ConfigEdit.LearningRate(0.01, 0.1),
                new ConfigEdit.Guard(), new ConfigEdit.ClassLoss("logits"), new ConfigEdit.RemoveTransform("clip_value"));
    }

    @Test
    void everyEditAndRemedyRoundTripsThroughJsonAndYamlFieldByField() throws Exception {
        for (ObjectMapper m : List.of(JSON, YAML)) {
            for (ConfigEdit e : everyEdit()) {
                String text = m.writeValueAsString(e);
                assertEquals(e, m.readValue(text, ConfigEdit.class), text);
            }
            Remedy r = new Remedy("all", List.of("vanishing", "exploding"), "t", "w", everyEdit());
            Remedy back = m.readValue(m.writeValueAsString(r), Remedy.class);
            assertEquals(r.id(), back.id());
            assertEquals(r.treats(), back.treats());
            assertEquals(r.title(), back.title());
            assertEquals(r.why(), back.why());
            assertEquals(r.edits(), back.edits());
            assertEquals(r, back);
        }
        // the kind is named in the field "set", so a hand-written patch reads as expected
        assertEquals(ConfigEdit.ModelField.init("he"), JSON.readValue("{\"set\":\"model\",\"field\":\"init\",\"value\":\"he\"}",
                ConfigEdit.class));
    }

    static Stream<Arguments> applications() {
        String mlp = "{name: m, model: {type: mlp, hidden: [8, 8], activation: sigmoid, init: glorot}, optimizer: {type: sgd, lr: 0.1}}";
        String rnn = "{name: r, data: {source: adding, length: 5}, model: {type: rnn, nonlinearity: relu},"
                + " transforms: [{type: guard}, {type: weight_decay, lambda: 0.001}]}";
        String clipped = "{transforms: [{type: clip_global_norm, max_norm: 5.0, p: 2}], optimizer: {type: adam}}";
        return Stream.of(
                Arguments.of(mlp, List.of(ConfigEdit.ModelField.activation("relu"), ConfigEdit.ModelField.init("he")),
                        "{name: m, model: {type: mlp, hidden: [8, 8], activation: relu, init: he}, optimizer: {type: sgd, lr: 0.1}}"),
                Arguments.of(mlp, List.of(ConfigEdit.ModelField.batchNorm(true), ConfigEdit.ModelField.residual(true)),
                        "{name: m, model: {type: mlp, hidden: [8, 8], activation: sigmoid, init: glorot, batch_norm: true,"
                                + " residual: true}, optimizer: {type: sgd, lr: 0.1}}"),
                Arguments.of(mlp, List.of(new ConfigEdit.LearningRate(0.01, 0.1)),
                        "{name: m, model: {type: mlp, hidden: [8, 8], activation: sigmoid, init: glorot}, optimizer: {type: sgd, lr: 0.01}}"),
                Arguments.of("{name: n}", List.of(new ConfigEdit.LearningRate(0.0003, 0.1), new ConfigEdit.ClipGlobalNorm(2.5, "b")),
                        "{name: n, optimizer: {lr: 0.0003}, transforms: [{type: clip_global_norm, max_norm: 2.5}]}"),
                Arguments.of(rnn, List.of(new ConfigEdit.Cell("lstm")),
                        "{name: r, data: {source: adding, length: 5}, model: {type: lstm},"
                                + " transforms: [{type: guard}, {type: weight_decay, lambda: 0.001}]}"),
                Arguments.of(rnn, List.of(new ConfigEdit.ClipGlobalNorm(0.5, "b"), new ConfigEdit.Guard()),
                        "{name: r, data: {source: adding, length: 5}, model: {type: rnn, nonlinearity: relu},"
                                + " transforms: [{type: guard}, {type: clip_global_norm, max_norm: 0.5}, {type: weight_decay, lambda: 0.001}]}"),
                Arguments.of("{name: c, training: {epochs: 2, loss: probabilities}}", List.of(new ConfigEdit.ClassLoss("logits")),
                        "{name: c, training: {epochs: 2, loss: logits}}"),
                Arguments.of("{name: c}", List.of(new ConfigEdit.ClassLoss("probabilities")), "{name: c, training: {loss: probabilities}}"),
                Arguments.of("{transforms: [{type: guard}, {type: clip_value, clip: 0.1}, {type: weight_decay}, {type: clip_value}]}",
                        List.of(new ConfigEdit.RemoveTransform("clip_value"), new ConfigEdit.ClipGlobalNorm(0.4, "b")),
                        "{transforms: [{type: guard}, {type: clip_global_norm, max_norm: 0.4}, {type: weight_decay}]}"),
                Arguments.of("{name: n}", List.of(new ConfigEdit.RemoveTransform("autoclip")), "{name: n, transforms: []}"),
                Arguments.of(clipped, List.of(new ConfigEdit.ClipGlobalNorm(0.75, "b"), new ConfigEdit.Guard()),
                        "{transforms: [{type: guard, policy: skip}, {type: clip_global_norm, max_norm: 0.75, p: 2}], optimizer: {type: adam}}"));
    }

    @ParameterizedTest
    @MethodSource("applications")
    void applyingAPatchGivesTheExpectedConfigAndLeavesTheOriginalAlone(String config, List<ConfigEdit> edits, String expected)
            throws Exception {
        JsonNode before = YAML.readTree(config);
        JsonNode copy = before.deepCopy();
        JsonNode after = new Remedy("r", List.of("x"), "t", "w", edits).apply(before);
        assertEquals(YAML.readTree(expected), after);
        assertEquals(copy, before);
    }

    @Test
    void theExamplesStillBuildWithEveryRemedyTheirKindOfModelTakes() throws Exception {
        Map<String, List<ConfigEdit>> byExample = Map.of(
                "deep-sigmoid.yaml", List.of(ConfigEdit.ModelField.activation("leaky_relu"), ConfigEdit.ModelField.init("he"),
                        ConfigEdit.ModelField.batchNorm(true), ConfigEdit.ModelField.residual(true), new ConfigEdit.Guard(),
                        new ConfigEdit.ClipGlobalNorm(0.3, "b"), new ConfigEdit.LearningRate(0.01, 0.1)),
                "log-of-zero.yaml", List.of(new ConfigEdit.ClassLoss("logits")),
                "exploding-rnn.yaml", List.of(ConfigEdit.ModelField.nonlinearity("tanh"), new ConfigEdit.Guard(),
                        new ConfigEdit.ClipGlobalNorm(0.3, "b"), new ConfigEdit.LearningRate(0.01, 0.1)));
        Engine engine = Engine.serial();
        for (var e : byExample.entrySet()) {
            Path file = Path.of("..", "examples", e.getKey());
            JsonNode root = RunSpec.read(file);
            for (ConfigEdit edit : e.getValue()) {
                RunSpec.build(new Remedy("r", List.of("x"), "t", "w", List.of(edit)).apply(root), file.getParent(), engine, file.toString());
            }
            for (String cell : List.of("lstm", "gru")) {
                if (e.getKey().contains("rnn")) {
                    RunSpec.build(new Remedy("r", List.of("x"), "t", "w", List.of(new ConfigEdit.Cell(cell))).apply(root),
                            file.getParent(), engine, file.toString());
                }
            }
        }
    }

    @Test
    void theClipThresholdIsTheMedianOfTheFinitePositiveNorms() {
        double[][] cases = {{1, 2, 3}, {0, 0, 0, 1, 2, 3, Double.NaN, Double.POSITIVE_INFINITY}, {4, 1, 3, 2}, {1e-3, 50, 1e-3}};
        double[] expected = {2, 2, 2.5, 1e-3};
        for (int c = 0; c < cases.length; c++) {
            List<StepRecord> steps = new ArrayList<>();
            for (int i = 0; i < cases[c].length; i++) {
                steps.add(new StepRecord(i, 0, 1, 0.1, i, cases[c][i], false, Map.of(), Map.of(), Map.of()));
            }
            assertEquals(expected[c], Prescriber.clipThreshold(new RunView(steps, ModelFacts.unknown(), Double.NaN)), 1e-12);
        }
    }

    static Stream<Arguments> prescriptions() {
        ModelFacts sigmoidMlp = new ModelFacts(11, java.util.Collections.nCopies(10, "sigmoid"), false, false, "", "glorot", "", 0.1);
        ModelFacts reluMlp = new ModelFacts(3, List.of("relu", "relu"), true, false, "", "he", "", 0.01);
        ModelFacts reluRnn = new ModelFacts(2, List.of("relu"), false, false, "rnn", "orthogonal", "", 0.1);
        String sigCfg = "{model: {type: mlp, activation: sigmoid}}";
        String reluCfg = "{model: {type: mlp, activation: relu, batch_norm: true}}";
        String rnnCfg = "{model: {type: rnn, nonlinearity: relu}}";
        return Stream.of(
                Arguments.of("vanishing", sigmoidMlp, sigCfg, List.of("relu-he", "batch-norm", "residual")),
                Arguments.of("vanishing", reluMlp, reluCfg, List.of()),
                Arguments.of("vanishing", reluRnn, rnnCfg, List.of("lstm", "gru")),
                Arguments.of("exploding", reluRnn, rnnCfg, List.of("clip-global-norm", "lr-down", "lstm")),
                Arguments.of("exploding", reluMlp, reluCfg, List.of("clip-global-norm", "lr-down")),
                Arguments.of("non_finite", reluMlp, reluCfg, List.of("guard-clip", "lr-down")),
                Arguments.of("dead_layer", reluRnn, rnnCfg, List.of("tanh", "clip-global-norm", "lr-down")),
                Arguments.of("dead_units", reluMlp, reluCfg, List.of("leaky-relu", "clip-global-norm", "lr-down")),
                Arguments.of("saturated_units", sigmoidMlp, sigCfg, List.of("relu-he", "batch-norm")),
                Arguments.of("shattered", reluMlp, reluCfg, List.of("residual")),
                Arguments.of("lr_too_high", reluMlp, reluCfg, List.of("lr-down")),
                Arguments.of("lr_too_low", reluMlp, reluCfg, List.of("lr-up")),
                Arguments.of("not_training", reluMlp, reluCfg, List.of()));
    }

    @ParameterizedTest(name = "{0} on {2}")
    @MethodSource("prescriptions")
    void eachVerdictGetsTheRemediesItsModelCanTake(String detector, ModelFacts facts, String config, List<String> expected) throws Exception {
        List<StepRecord> steps = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            steps.add(new StepRecord(i, 0, 1, 0.1, i, 1 + i, false, Map.of(), Map.of(), Map.of()));
        }
        RunView run = new RunView(steps, facts, Double.NaN);
        for (io.gradscale.diag.Verdict.Severity sev : io.gradscale.diag.Verdict.Severity.values()) {
            List<Remedy> rs = Prescriber.prescribe(List.of(new io.gradscale.diag.Verdict(detector, sev, "t", List.of(), List.of())), run,
                    YAML.readTree(config));
            boolean treated = sev.compareTo(io.gradscale.diag.Verdict.Severity.WARNING) >= 0;
            assertEquals(treated ? expected : List.of(), rs.stream().map(Remedy::id).toList(), sev.name());
            for (Remedy r : rs) {
                assertEquals(List.of(detector), r.treats());
                if (r.id().startsWith("lr-")) {
                    double lr = ((ConfigEdit.LearningRate) r.edits().getFirst()).lr();
                    assertEquals(facts.learningRate() * (r.id().equals("lr-up") ? Prescriber.LR_FACTOR : 1 / Prescriber.LR_FACTOR), lr, 1e-12);
                }
            }
        }
    }

    @Test
    void aNonFiniteRunWithTheLogOfZerosSignatureGetsTheLossFromLogitsAndNothingElse() throws Exception {
        // a gradient that is NaN from the first step, with moderate norms and finite weights: log(0) of an underflowed probability
        List<StepRecord> steps = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            steps.add(new StepRecord(i, 0, 1, 0.1, i, i % 3 == 0 ? Double.NaN : 2, i % 3 == 0, Map.of(), Map.of(), Map.of()));
        }
        io.gradscale.diag.Verdict v = new io.gradscale.diag.Verdict("non_finite", io.gradscale.diag.Verdict.Severity.CRITICAL, "t",
                List.of(), List.of());
        String cfg = "{model: {type: mlp, activation: relu}, training: {loss: probabilities}}";
        for (boolean logOfProbabilities : new boolean[] {true, false}) {
            ModelFacts f = new ModelFacts(3, List.of("relu", "relu"), false, false, "", "he", "", 0.01, logOfProbabilities);
            List<Remedy> rs = Prescriber.prescribe(List.of(v), new RunView(steps, f, Double.NaN), YAML.readTree(cfg));
            assertEquals(logOfProbabilities ? List.of("loss-from-logits") : List.of("guard-clip", "lr-down"),
                    rs.stream().map(Remedy::id).toList());
            if (logOfProbabilities) {
                assertEquals(List.of("training.loss: probabilities -> logits"), rs.getFirst().describe(YAML.readTree(cfg)));
            }
        }
    }

    /**
     * A clipping verdict gets the global-norm clip at the median, with every clipper that dominated removed (the global
     * norm clip itself is re-set instead), and the clippers that acted on some steps only left alone.
     */
    @Test
    void aClippingVerdictRemovesTheClippersThatDominatedAndClipsTheGlobalNormAtItsMedian() throws Exception {
        io.gradscale.diag.Verdict v = new io.gradscale.diag.Verdict("clipping", io.gradscale.diag.Verdict.Severity.WARNING, "t",
                List.of(), List.of());
        ModelFacts f = new ModelFacts(3, List.of("relu", "relu"), false, false, "", "he", "", 0.01);
        // {clipper -> share of the steps it clipped in percent, the configuration, the expected edits' descriptions}
        String noGlobal = "{transforms: [{type: clip_value, clip: 0.01}, {type: autoclip}]}";
        String all = "{transforms: [{type: clip_value, clip: 0.01}, {type: autoclip}, {type: clip_global_norm, max_norm: 0.001}]}";
        String median = "the median of 20 observed global norms";
        Object[][] cases = {
            {Map.of("clip_value", 100), noGlobal, List.of("transforms: - {\"type\":\"clip_value\",\"clip\":0.01} (removed)",
                    "transforms: + clip_global_norm(max_norm 10.5, " + median + ")")},
            {Map.of("autoclip", 90, "clip_value", 30), noGlobal, List.of("transforms: - {\"type\":\"autoclip\"} (removed)",
                    "transforms: + clip_global_norm(max_norm 10.5, " + median + ")")},
            {Map.of("clip_value", 100), all, List.of("transforms: - {\"type\":\"clip_value\",\"clip\":0.01} (removed)",
                    "transforms: clip_global_norm max_norm 0.001 -> 10.5 (" + median + ")")},
            {Map.of("clip_global_norm", 95), all, List.of("transforms: clip_global_norm max_norm 0.001 -> 10.5 (" + median + ")")},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Map<String, Integer> share = (Map<String, Integer>) c[0];
            String cfg = (String) c[1];
            List<StepRecord> steps = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Map<String, Double> t = new java.util.LinkedHashMap<>();
                for (Map.Entry<String, Integer> e : share.entrySet()) {
                    t.put(e.getKey() + StepRecord.CLIPPED_SUFFIX, i * 100 < e.getValue() * 20 ? 1.0 : 0.0);
                }
                steps.add(new StepRecord(i, 0, 1, 0.1, i, 1 + i, false, Map.of(), t, Map.of()));
            }
            List<Remedy> rs = Prescriber.prescribe(List.of(v), new RunView(steps, f, Double.NaN), YAML.readTree(cfg));
            assertEquals(List.of("clip-spikes-only"), rs.stream().map(Remedy::id).toList(), share.toString());
            assertEquals(c[2], rs.getFirst().describe(YAML.readTree(cfg)), share.toString());
        }
    }

    @Test
    void aRemedyTwoVerdictsPrescribeIsProposedOnceTreatingBoth() {
        ModelFacts reluMlp = new ModelFacts(3, List.of("relu", "relu"), false, false, "", "he", "", 0.01);
        List<StepRecord> steps = List.of(new StepRecord(0, 0, 1, 0.1, 0, 2.0, false, Map.of(), Map.of(), Map.of()));
        List<Remedy> rs = Prescriber.prescribe(List.of(
                new io.gradscale.diag.Verdict("exploding", io.gradscale.diag.Verdict.Severity.CRITICAL, "t", List.of(), List.of()),
                new io.gradscale.diag.Verdict("lr_too_high", io.gradscale.diag.Verdict.Severity.WARNING, "t", List.of(), List.of())),
                new RunView(steps, reluMlp, Double.NaN), JSON.createObjectNode());
        assertEquals(List.of("clip-global-norm", "lr-down"), rs.stream().map(Remedy::id).toList());
        assertEquals(List.of("exploding", "lr_too_high"), rs.get(1).treats());
    }

    @Test
    void editsRejectWhatTheyCannotMean() {
        assertThrows(IllegalArgumentException.class, () -> new ConfigEdit.ModelField("hidden", com.fasterxml.jackson.databind.node.TextNode.valueOf("8")));
        assertThrows(IllegalArgumentException.class, () -> new ConfigEdit.ClipGlobalNorm(0, "b"));
        assertThrows(IllegalArgumentException.class, () -> new ConfigEdit.LearningRate(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConfigEdit.ClassLoss("log_softmax"));
        assertThrows(IllegalArgumentException.class, () -> new ConfigEdit.RemoveTransform(" "));
        assertThrows(IllegalArgumentException.class, () -> new Remedy("r", List.of(), "t", "w", List.of()));
    }
}
