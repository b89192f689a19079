package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.autograd.Var;
import io.gradscale.cli.config.ModelBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.io.Checkpoint;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.TestRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a resumed run carries over besides the trainer: the live doctor's window and conditions, and the best weights
 * so far with their validation loss ({@code test.weights: best}). A run crashes (its model's forward pass throws, as a
 * kill would stop it) between two checkpoints, is resumed from the last one, and must leave the metrics log (condition
 * events and the test record included), the diagnosis, the final checkpoint and the best weights of the run that was
 * never interrupted, bit for bit.
 */
class ResumeStateTest {
    @TempDir
    Path dir;

    /**
     * A deep sigmoid MLP (vanishing gradients: the live doctor raises conditions) of 256 steps, judged every 50 steps
     * over the last 200: a resumed doctor that had lost its window would judge a few dozen steps at step 150 and 200.
     */
    private static final String YAML = """
            name: resume-state
            seed: 7
            data: {source: two_spirals, size: 640, validation: 0.2}
            model: {type: mlp, hidden: [16, 16, 16, 16, 16, 16, 16, 16], activation: sigmoid, init: glorot}
            optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
            training: {mode: mini_batch, batch_size: 32, epochs: 16}
            test: {size: 200, weights: best}
            """;

    private static final int CHECKPOINT_EVERY = 40;

    /** The spec with a model whose {@code failAt}-th forward pass (training and evaluation alike) throws. */
    private static RunSpec crashing(RunSpec s, int failAt) {
        Module inner = s.model().model();
        // the inner model's layers registered under their own names: the same parameter paths, so the same checkpoint
        Module m = new Module() {
            private int calls;

            {
                inner.children().forEach(this::registerModule);
            }

            @Override
            public Var forward(Var input) {
                if (++calls == failAt) {
                    throw new IllegalStateException("crashed at forward pass " + calls);
                }
                return inner.forward(input);
            }
        };
        assertEquals(inner.namedParameters().keySet(), m.namedParameters().keySet());
        ModelBuilder.Built model = new ModelBuilder.Built(m, s.model().facts(), s.model().summary());
        return new RunSpec(s.config(), s.name(), s.seed(), s.threads(), s.data(), model, s.optimizer(), s.objective(), s.settings(),
                s.logEvery(), s.facts(), s.testWeights(), s.onCritical(), s.liveDoctor());
    }

    private RunRecorder.Outcome train(RunSpec spec, Engine engine, Path runDir, boolean resume) throws IOException {
        return RunRecorder.run(spec, engine, runDir, new RunRecorder.Options(Long.MAX_VALUE, true, false, null, dir, null),
                new RunRecorder.Checkpoints(true, CHECKPOINT_EVERY), resume);
    }

    /**
     * Crashes at these forward passes: before the doctor's first evaluation after a checkpoint, and late in the run
     * with {@code on_critical: stop} (the doctor's kept state goes through the checkpoint too; vanishing gradients do
     * not stop a run).
     */
    @ParameterizedTest
    @CsvSource({"140, warn", "229, stop"})
    void aCrashedAndResumedRunLeavesTheBitsOfOneNeverInterrupted(int crashAt, String onCritical) throws IOException {
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, YAML.replace("epochs: 16}", "epochs: 16, on_critical: " + onCritical + "}"));
        JsonNode root = RunSpec.read(cfg);
        Engine engine = Engine.withThreads(1);
        try {
            Path ref = RunRecorder.newRunDir(dir.resolve("runs"), "reference");
            train(RunSpec.build(root, dir, engine, cfg.toString()), engine, ref, false);

            Path cut = RunRecorder.newRunDir(dir.resolve("runs"), "crashed");
            RunSpec crashingSpec = crashing(RunSpec.build(root, dir, engine, cfg.toString()), crashAt);
            assertThrows(RunRecorder.RunFailedException.class, () -> train(crashingSpec, engine, cut, false));
            long resumedFrom = Checkpoint.read(cut.resolve(RunRecorder.CHECKPOINT_DIR)).state().path("trainer").path("step").asLong();
            train(RunSpec.build(root, dir, engine, cfg.toString()), engine, cut, true);

            MetricsLog.Contents log = MetricsLog.read(ref.resolve(MetricsLog.FILE_NAME));
            // a condition the doctor holds across the resume: a doctor resumed without its state would begin it again
            List<EventRecord> conditions = log.events().stream().filter(e -> e.kind().startsWith("condition_")).toList();
            assertTrue(conditions.stream().anyMatch(e -> e.kind().equals(LiveDoctor.BEGAN) && e.step() <= resumedFrom)
                    && conditions.stream().noneMatch(e -> e.kind().equals(LiveDoctor.ENDED) && e.step() <= resumedFrom),
                    "a condition is on at step " + resumedFrom + ": " + conditions);
            TestRecord tested = log.tests().getFirst();
            assertEquals("best", tested.weights());

            assertEquals(List.of(), KillHarness.compare(ref, cut));
            assertEquals(KillHarness.normalizedLog(ref.resolve(MetricsLog.FILE_NAME), List.of("startedAt")),
                    KillHarness.normalizedLog(cut.resolve(MetricsLog.FILE_NAME), List.of("startedAt")));
            Checkpoint.Contents bestRef = Checkpoint.read(ref.resolve(TrainedModel.BEST_DIR));
            Checkpoint.Contents bestCut = Checkpoint.read(cut.resolve(TrainedModel.BEST_DIR));
            assertEquals(bestRef.state(), bestCut.state());
            assertEquals(tested.step(), bestRef.state().path("step").asLong());
            for (Map.Entry<String, Tensor> e : bestRef.tensors().entrySet()) {
                assertArrayEquals(e.getValue().data(), bestCut.tensors().get(e.getKey()).data(), e.getKey());
            }
            JsonNode state = Checkpoint.read(cut.resolve(RunRecorder.CHECKPOINT_DIR)).state();
            assertEquals(1, state.path("live_doctor").path("version").asInt(), "the live doctor's state is in the checkpoint");
            assertEquals(1, state.path("best_weights").path("version").asInt(), "the best weights are in the checkpoint");
            assertEquals(onCritical.equals("stop"), state.path("live_doctor").path("last_good").isObject(), "the kept state with stop");
        } finally {
            engine.parallel().close();
        }
    }
}
