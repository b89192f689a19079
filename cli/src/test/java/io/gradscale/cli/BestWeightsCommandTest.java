package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.CommandLineTest.Run;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.TestRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code test.weights: best} through the command line (issue 21): the run keeps the weights its test used in
 * {@code best/}, and {@code evaluate} and {@code predict} take them by default, so that evaluating the run's own test
 * section reproduces its test metrics exactly; {@code --weights last} takes the checkpoint's.
 */
class BestWeightsCommandTest {
    @TempDir
    Path dir;

    /** A learning rate high enough that the validation loss is lowest before the last epoch. */
    private static final String YAML = """
            name: best
            seed: 4
            data: {source: two_spirals, size: 300, validation: 0.3}
            model: {type: mlp, hidden: [16], activation: tanh}
            optimizer: {type: adam, lr: 0.2}
            training: {mode: mini_batch, batch_size: 16, epochs: 5}
            test: {size: 200, weights: best}
            """;

    private static Run run(String... args) {
        return CommandLineTest.run(args);
    }

    private Path runDir(Path runs) throws IOException {
        try (Stream<Path> s = Files.list(runs)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    private static JsonNode lastEvaluation(Path runDir) throws IOException {
        List<String> lines = Files.readAllLines(runDir.resolve(EvaluateCommand.FILE_NAME));
        return Json.mapper().readTree(lines.getLast());
    }

    @Test
    void evaluateReproducesTheRunsOwnTestWithItsBestWeights() throws IOException {
        Path cfg = dir.resolve("best.yaml");
        Files.writeString(cfg, YAML);
        Path runs = dir.resolve("runs");
        Run t = run("train", cfg.toString(), "--out", runs.toString());
        assertEquals(0, t.code(), t.err());
        Path runDir = runDir(runs);
        MetricsLog.Contents log = MetricsLog.read(runDir.resolve(MetricsLog.FILE_NAME));
        TestRecord tested = log.tests().getFirst();
        assertEquals(TrainedModel.BEST, tested.weights());
        long lastStep = log.evals().getLast().step();
        assertTrue(tested.step() < lastStep, "the best epoch (step " + tested.step() + ") is not the last (step " + lastStep + "): "
                + log.evals().stream().map(EvalRecord::valLoss).toList());
        assertEquals(TrainedModel.BEST, Json.mapper().readTree(runDir.resolve(TrainedModel.FILE_NAME).toFile()).path("test").path("weights")
                .asText());

        Run ev = run("evaluate", runDir.toString(), "--data", cfg.toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("(best weights) on its test section (200 examples)"), ev.out());
        JsonNode best = lastEvaluation(runDir);
        assertEquals(TrainedModel.BEST, best.get("weights").asText());
        assertEquals(tested.loss(), best.get("loss").asDouble(), 0.0, "evaluate's loss is the run's test loss, bit for bit");
        assertEquals(tested.accuracy(), best.get("accuracy").asDouble(), 0.0);

        Run evLast = run("evaluate", runDir.toString(), "--data", cfg.toString(), "--weights", "last");
        assertEquals(0, evLast.code(), evLast.err());
        JsonNode last = lastEvaluation(runDir);
        assertEquals(TrainedModel.LAST, last.get("weights").asText());
        assertNotEquals(tested.loss(), last.get("loss").asDouble(), "the last weights are other weights");

        Path csv = dir.resolve("points.csv");
        Files.writeString(csv, "x0,x1\n0.5,-0.25\n-1,1\n");
        Run p = run("predict", runDir.toString(), csv.toString(), "--out", dir.resolve("p.csv").toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("with the best weights of"), p.out());

        Run bad = run("evaluate", runDir.toString(), "--data", cfg.toString(), "--weights", "newest");
        assertEquals(Main.USAGE, bad.code(), bad.out());
        assertTrue(bad.err().contains("--weights must be last or best, got 'newest'"), bad.err());
    }

    @Test
    void aRunTestedWithItsLastWeightsHasNoBestOnes() throws IOException {
        Path cfg = dir.resolve("last.yaml");
        Files.writeString(cfg, YAML.replace("weights: best", "weights: last").replace("epochs: 5", "epochs: 1"));
        Path runs = dir.resolve("runs");
        assertEquals(0, run("train", cfg.toString(), "--out", runs.toString()).code());
        Path runDir = runDir(runs);
        assertTrue(Files.notExists(runDir.resolve(TrainedModel.BEST_DIR)));
        Run ev = run("evaluate", runDir.toString(), "--data", cfg.toString());
        assertEquals(0, ev.code(), ev.err());
        TestRecord tested = MetricsLog.read(runDir.resolve(MetricsLog.FILE_NAME)).tests().getFirst();
        assertEquals(tested.loss(), lastEvaluation(runDir).get("loss").asDouble(), 0.0);
        Run best = run("evaluate", runDir.toString(), "--data", cfg.toString(), "--weights", "best");
        assertEquals(Main.USAGE, best.code(), best.out());
        assertTrue(best.err().contains("has no best weights") && best.err().contains("its test used the last weights"), best.err());
    }
}
