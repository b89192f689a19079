package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.remedy.ConfigEdit;
import io.gradscale.cli.remedy.Prescriber;
import io.gradscale.cli.remedy.TrialResults;
import io.gradscale.diag.ConditionEpisode;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.io.Checkpoint;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diagnose --try-remedies} on the two examples, and the live doctor with {@code training.on_critical},
 * through the command line from the committed example files.
 */
class RemedyCommandTest {
    @TempDir
    Path dir;

    private static final Path EXAMPLES = Path.of("..", "examples");

    private Path onlyRun(String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    @Test
    void deepSigmoidRemediesAreRerunMeasuredRankedAndTheBestWrittenReadyToTrain() throws Exception {
        Path example = EXAMPLES.resolve("deep-sigmoid.yaml");
        CommandLineTest.Run r = CommandLineTest.run("diagnose", example.toString(), "--try-remedies", "--seeds", "1", "--out",
                dir.resolve("runs").toString());
        assertEquals(1, r.code(), "the configuration as given has a critical verdict: " + r.err());
        assertTrue(r.out().contains("vanishing (CRITICAL): from step 0"), "the live doctor's condition, read back: " + r.out());
        assertTrue(r.out().contains("relu-he (treats vanishing)") && r.out().contains("model.activation: sigmoid -> relu"), r.out());
        assertTrue(r.out().contains("rank variant"), r.out());
        Path run = onlyRun("deep-sigmoid-diagnose");
        TrialResults res = TrialResults.read(run.resolve(TrialResults.FILE_NAME));
        assertEquals(List.of(7L), res.seeds());
        assertEquals(List.of("relu-he", "batch-norm", "residual"), res.after().stream().map(TrialResults.Trial::id).sorted(
                java.util.Comparator.comparing(id -> List.of("relu-he", "batch-norm", "residual").indexOf(id))).toList());
        for (int i = 1; i < res.after().size(); i++) {
            assertTrue(res.after().get(i - 1).effect() >= res.after().get(i).effect(), "ranked by effect");
        }
        assertNotNull(res.best(), "some remedy lowers the loss");
        TrialResults.Trial best = res.after().getFirst();
        assertTrue(best.lossAfter() < res.before().lossAfter(), best + " vs " + res.before());
        for (TrialResults.Trial t : res.after()) {
            assertTrue(t.gradRatio() > 1e3 * res.before().gradRatio(), "every remedy of vanishing gradients lifts the first layer's"
                    + " share of the gradient by orders of magnitude: " + t.id() + " " + t.gradRatio() + " vs " + res.before().gradRatio());
        }
        assertTrue(res.before().verdicts().containsKey("CRITICAL vanishing"));
        // remedied.yaml is the example with the best remedy applied, and builds as a configuration
        JsonNode remedied = new YAMLMapper().readTree(run.resolve(RemedyTrials.REMEDIED_FILE).toFile());
        assertEquals(best.remedy().apply(RunSpec.read(example)), remedied);
        RunSpec.build(remedied, run, Engine.serial(), "remedied.yaml");
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("id=\"remedies\"") && html.contains("<th>before</th>") && html.contains("#1 " + best.id()), "report");
        assertTrue(html.contains("id=\"conditions\"") && html.contains("<code>vanishing</code>"), "report's conditions");
    }

    @Test
    void explodingRnnIsCuredByClippingAtTheMedianNormItShowed() throws Exception {
        CommandLineTest.Run r = CommandLineTest.run("diagnose", EXAMPLES.resolve("exploding-rnn.yaml").toString(), "--try-remedies",
                "--seeds", "1", "--out", dir.resolve("runs").toString());
        assertTrue(r.code() == 0 || r.code() == 1, r.err());
        Path run = onlyRun("exploding-rnn-diagnose");
        TrialResults res = TrialResults.read(run.resolve(TrialResults.FILE_NAME));
        TrialResults.Trial clip = res.after().stream().filter(t -> t.id().equals("clip-global-norm")).findFirst().orElseThrow();
        ConfigEdit.ClipGlobalNorm edit = (ConfigEdit.ClipGlobalNorm) clip.remedy().edits().getFirst();
        List<io.gradscale.train.StepRecord> steps = MetricsLog.read(run.resolve(MetricsLog.FILE_NAME)).steps();
        assertEquals(Prescriber.clipThreshold(new RunView(steps, ModelFacts.unknown(), Double.NaN)), edit.maxNorm(),
                "the threshold is the median of the norms the probe observed");
        assertTrue(clip.lossAfter() < 0.5 * res.before().lossAfter(), clip + " vs " + res.before());
        assertEquals("clip-global-norm", res.best());
        assertTrue(Files.readString(run.resolve(RemedyTrials.REMEDIED_FILE)).contains("clip_global_norm"));
    }

    /** A clip by value that shapes every step and stalls the loss is replaced by a global-norm clip at the median, and the rerun trains. */
    @Test
    void aClipperThatShapesEveryStepIsReplacedByClippingOnlyTheSpikes() throws Exception {
        CommandLineTest.Run r = CommandLineTest.run("diagnose", EXAMPLES.resolve("value-clipped-spirals.yaml").toString(),
                "--try-remedies", "--seeds", "1", "--out", dir.resolve("runs").toString());
        assertTrue(r.code() == 0 || r.code() == 1, r.err());
        assertTrue(r.out().contains("[WARNING] The loss has stalled"), r.out());
        Path run = onlyRun("value-clipped-spirals-diagnose");
        TrialResults res = TrialResults.read(run.resolve(TrialResults.FILE_NAME));
        TrialResults.Trial spikes = res.after().stream().filter(t -> t.id().equals("clip-spikes-only")).findFirst().orElseThrow();
        assertEquals(new ConfigEdit.RemoveTransform("clip_value"), spikes.remedy().edits().getFirst());
        assertTrue(spikes.lossAfter() < 0.5 * res.before().lossAfter(), spikes + " vs " + res.before());
        com.fasterxml.jackson.databind.JsonNode transforms = new YAMLMapper().readTree(run.resolve(RemedyTrials.REMEDIED_FILE).toFile())
                .path("transforms");
        assertEquals(1, transforms.size(), transforms.toString());
        assertEquals("clip_global_norm", transforms.get(0).path("type").asText(), transforms.toString());
    }

    private static final String NON_FINITE_RNN = """
            name: boom
            seed: 1
            data: {source: adding, size: 640, length: 30, validation: 0.2}
            model: {type: rnn, hidden: [16], nonlinearity: relu, init: orthogonal}
            optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
            training: {mode: mini_batch, batch_size: 32, epochs: 2%s}
            monitor: {every: 2}
            """;

    @Test
    void onCriticalStopEndsANonFiniteRunAndKeepsTheLastGoodStateWhileWarnTrainsOn() throws Exception {
        Path stopCfg = dir.resolve("stop.yaml");
        Files.writeString(stopCfg, NON_FINITE_RNN.formatted(", on_critical: stop"));
        CommandLineTest.Run stop = CommandLineTest.run("train", stopCfg.toString(), "--out", dir.resolve("runs").toString());
        assertEquals(Main.RUN_FAILED, stop.code(), stop.out() + stop.err());
        assertTrue(stop.out().contains("doctor: CRITICAL non_finite"), "the progress line shows the verdict: " + stop.out());
        assertTrue(stop.out().contains("the live doctor stopped the run"), stop.out());
        Path run = onlyRun("boom");
        List<EventRecord> events = MetricsLog.read(run.resolve(MetricsLog.FILE_NAME)).events();
        EventRecord began = events.stream().filter(e -> "non_finite".equals(e.condition())).findFirst().orElseThrow();
        assertEquals(Verdict.Severity.CRITICAL, began.severity());
        EventRecord aborted = events.stream().filter(e -> e.kind().equals("aborted")).findFirst().orElseThrow();
        assertEquals(began.step(), aborted.step(), "stopped at the step the condition was seen");
        Checkpoint.Contents kept = Checkpoint.read(run.resolve("checkpoint"));
        long keptSteps = kept.state().path("trainer").path("step").asLong();
        assertTrue(keptSteps <= aborted.step(), "the checkpoint is from before the bad step: " + keptSteps);
        for (Tensor t : kept.tensors().values()) {
            for (float v : t.data()) {
                assertTrue(Float.isFinite(v));
            }
        }
        assertTrue(Files.readString(run.resolve("report.html")).contains("<code>non_finite</code>"), "the report's conditions");

        Path warnCfg = dir.resolve("warn.yaml");
        Files.writeString(warnCfg, NON_FINITE_RNN.formatted(", divergence: rollback").replace("name: boom", "name: warned"));
        CommandLineTest.Run warn = CommandLineTest.run("train", warnCfg.toString(), "--out", dir.resolve("runs").toString());
        Path warned = onlyRun("warned");
        List<EventRecord> wev = MetricsLog.read(warned.resolve(MetricsLog.FILE_NAME)).events();
        assertFalse(wev.stream().anyMatch(e -> e.kind().equals("aborted")), "warn (the default) never ends a run: " + warn.out());
        List<ConditionEpisode> eps = ConditionEpisode.from(wev);
        assertTrue(eps.stream().anyMatch(e -> e.condition().equals("non_finite") && e.worst() == Verdict.Severity.CRITICAL), eps.toString());
        assertTrue(MetricsLog.read(warned.resolve(MetricsLog.FILE_NAME)).steps().size() > aborted.step() + 1, "it trained on");
    }

    @Test
    void aHealthyRunUnderOnCriticalStopIsTheSameBitsAsUnderWarnAndWithoutTheLiveDoctor() throws Exception {
        String healthy = """
                name: %s
                seed: 3
                data: {source: two_spirals, size: 200, validation: 0.25}
                model: {type: mlp, hidden: [16, 16], activation: tanh}
                optimizer: {type: adam, lr: 0.01}
                training: {mode: mini_batch, batch_size: 25, epochs: 20, on_critical: %s}  # 120 steps: snapshots at 0, 50, 100
                monitor: {every: 2, live_doctor: %s}
                """;
        List<Tensor> reference = null;
        for (String[] v : List.of(new String[] {"warn", "true"}, new String[] {"stop", "true"}, new String[] {"warn", "false"})) {
            String name = "h-" + v[0] + "-" + v[1];
            Path cfg = dir.resolve(name + ".yaml");
            Files.writeString(cfg, healthy.formatted(name, v[0], v[1]));
            CommandLineTest.Run r = CommandLineTest.run("train", cfg.toString(), "--out", dir.resolve("runs").toString());
            assertEquals(0, r.code(), r.out() + r.err());
            List<Tensor> weights = List.copyOf(Checkpoint.read(onlyRun(name).resolve("checkpoint")).tensors().values());
            if (reference == null) {
                reference = weights;
            } else {
                for (int i = 0; i < weights.size(); i++) {
                    assertTrue(java.util.Arrays.equals(reference.get(i).data(), weights.get(i).data()), name + " tensor " + i);
                }
            }
        }
    }

    @Test
    void badRemedyAndLiveDoctorOptionsGetOneClearLine() throws IOException {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "name: c\ntraining: {on_critical: halt}\n");
        CommandLineTest.Run r = CommandLineTest.run("train", cfg.toString(), "--out", dir.resolve("runs").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("training.on_critical: unknown value 'halt'; allowed values: warn, stop"), r.err());
        Files.writeString(cfg, "name: c\ntraining: {on_critical: stop}\nmonitor: {live_doctor: false}\n");
        r = CommandLineTest.run("train", cfg.toString(), "--out", dir.resolve("runs").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("on_critical: stop needs the live doctor"), r.err());
        r = CommandLineTest.run("diagnose", EXAMPLES.resolve("deep-sigmoid.yaml").toString(), "--try-remedies", "--seeds", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--seeds must be at least 1, got 0"), r.err());
    }
}
