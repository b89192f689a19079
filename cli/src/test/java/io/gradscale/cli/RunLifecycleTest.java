package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.autograd.Var;
import io.gradscale.cli.CommandLineTest.Run;
import io.gradscale.cli.config.ModelBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.report.RunStatus;
import io.gradscale.data.CsvDataset;
import io.gradscale.data.Standardizer;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's run from data to predictions through the command line (issue 21): train on a CSV file, evaluate and
 * predict with the recorded model and standardiser, exit code 3 and a reason for unreadable files, no bare run
 * directory after a failure, and the times the console and the report give.
 */
class RunLifecycleTest {
    @TempDir
    Path dir;

    private static Run run(String... args) {
        return CommandLineTest.run(args);
    }

    /** Three classes told apart by columns a and c; b is noise on another scale (standardisation matters). */
    private Path csv(String name, int rows, long seed, String header) throws IOException {
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder(header).append('\n');
        for (int i = 0; i < rows; i++) {
            int y = rnd.nextInt(3);
            double a = 2 * y + rnd.nextGaussian();
            double b = 100 + 30 * rnd.nextGaussian();
            double c = -y + 0.5 * rnd.nextGaussian();
            String row = switch (header) {
                case "a,b,label,c" -> String.format(Locale.ROOT, "%.4f,%.3f,%d,%.3f", a, b, y, c);
                case "c,b,a" -> String.format(Locale.ROOT, "%.3f,%.3f,%.4f", c, b, a);
                default -> throw new IllegalArgumentException(header);
            };
            sb.append(row).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb);
        return p;
    }

    private Path config(String name, String data) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, """
                name: life
                seed: 3
                data: %s
                model: {type: mlp, hidden: [16], activation: relu}
                optimizer: {type: adam, lr: 0.01}
                training: {mode: mini_batch, batch_size: 32, epochs: 3}
                monitor: {every: 5}
                """.formatted(data));
        return p;
    }

    private Path onlyRunDir(Path runs) throws IOException {
        try (Stream<Path> s = Files.list(runs)) {
            List<Path> all = s.toList();
            assertEquals(1, all.size(), all.toString());
            return all.getFirst();
        }
    }

    @Test
    void trainEvaluatePredictWithTheRecordedModelAndStandardizer() throws IOException {
        Path train = csv("train.csv", 600, 1, "a,b,label,c");
        Path cfg = config("csv.yaml", "{source: csv, path: train.csv, label: label, validation: 0.25}");
        Path runs = dir.resolve("runs");
        Run t = run("train", cfg.toString(), "--out", runs.toString());
        assertEquals(0, t.code(), t.err());
        Path runDir = onlyRunDir(runs);

        // evaluating on the training configuration scores its held-out rows: the run's last validation numbers exactly
        Run ev = run("evaluate", runDir.toString(), "--data", cfg.toString());
        assertEquals(0, ev.code(), ev.err());
        EvalRecord last = MetricsLog.read(runDir.resolve(MetricsLog.FILE_NAME)).evals().getLast();
        assertTrue(ev.out().contains(String.format(Locale.ROOT, "loss %.5g", last.valLoss())), ev.out() + " vs " + last);
        assertTrue(ev.out().contains(String.format(Locale.ROOT, "accuracy %.2f%%", 100 * last.valAccuracy())), ev.out());
        assertTrue(ev.out().contains("its validation data (150 examples)"), ev.out());

        Run whole = run("evaluate", runDir.toString(), "--data", train.toString());
        assertEquals(0, whole.code(), whole.err());
        List<String> recorded = Files.readAllLines(runDir.resolve(EvaluateCommand.FILE_NAME));
        assertEquals(2, recorded.size());
        JsonNode rec = Json.mapper().readTree(recorded.get(1));
        assertEquals(600, rec.get("examples").asInt());
        double accuracy = rec.get("accuracy").asDouble();

        // predictions on the training file (label column ignored) agree with evaluate's accuracy
        Path out = dir.resolve("pred.csv");
        Run p = run("predict", runDir.toString(), train.toString(), "--out", out.toString());
        assertEquals(0, p.code(), p.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("row,prediction,p_0,p_1,p_2", lines.getFirst());
        assertEquals(601, lines.size());
        List<String> labels = Files.readAllLines(train).subList(1, 601);
        int right = 0;
        for (int i = 0; i < 600; i++) {
            String[] f = lines.get(i + 1).split(",");
            double sum = Double.parseDouble(f[2]) + Double.parseDouble(f[3]) + Double.parseDouble(f[4]);
            assertEquals(1.0, sum, 1e-4, "probabilities of row " + i);
            if (f[1].equals(labels.get(i).split(",")[2])) {
                right++;
            }
        }
        assertEquals(accuracy, right / 600.0, 1e-9);

        // columns are found by name, in any order, without the label
        Path reordered = csv("new.csv", 7, 2, "c,b,a");
        Run p2 = run("predict", runDir.toString(), reordered.toString(), "--out", dir.resolve("p2.csv").toString());
        assertEquals(0, p2.code(), p2.err());
        assertEquals(8, Files.readAllLines(dir.resolve("p2.csv")).size());
    }

    @Test
    void evaluateAndPredictSayWhatIsMissing() throws IOException {
        Path runs = dir.resolve("runs");
        Run t = run("train", config("spirals.yaml", "{source: two_spirals, size: 120, validation: 0.25}").toString(),
                "--out", runs.toString());
        assertEquals(0, t.code(), t.err());
        Path runDir = onlyRunDir(runs);
        Path wide = dir.resolve("wide.csv");
        Files.writeString(wide, "x,y,z\n1,2,3\n");
        Object[][] cases = {
            {new String[] {"evaluate", dir.resolve("nope").toString(), "--data", wide.toString()}, 3, "nope: no such file"},
            {new String[] {"predict", dir.toString(), wide.toString()}, 3, "has no model.json"},
            {new String[] {"predict", runDir.toString(), wide.toString(), "--out", dir.resolve("w.csv").toString()}, 2,
                "has 3 feature columns (x, y, z) but the model of " + runDir + " takes 2 inputs"},
            {new String[] {"evaluate", runDir.toString(), "--data", wide.toString()}, 2, "was not trained on a CSV file"},
            {new String[] {"predict", runDir.toString(), dir.resolve("absent.csv").toString()}, 3, "absent.csv: no such file"},
        };
        for (Object[] c : cases) {
            Run r = run((String[]) c[0]);
            assertEquals(c[1], r.code(), String.join(" ", (String[]) c[0]) + ": " + r.err());
            assertTrue(r.err().contains((String) c[2]), "'" + c[2] + "' not in: " + r.err());
        }
        Files.delete(runDir.resolve(TrainedModel.CHECKPOINT_DIR).resolve("manifest.json"));
        Run noCheckpoint = run("predict", runDir.toString(), wide.toString());
        assertEquals(3, noCheckpoint.code(), noCheckpoint.err());
        assertTrue(noCheckpoint.err().contains("has no checkpoint"), noCheckpoint.err());

        // a CSV run's feature columns are looked up by name
        Path train = csv("train.csv", 90, 1, "a,b,label,c");
        Path csvRuns = dir.resolve("csv-runs");
        assertEquals(0, run("train", config("csv.yaml", "{source: csv, path: train.csv, label: label, validation: 0}").toString(),
                "--out", csvRuns.toString()).code());
        Path csvRun = onlyRunDir(csvRuns);
        Run missingColumn = run("predict", csvRun.toString(), wide.toString());
        assertEquals(2, missingColumn.code(), missingColumn.err());
        assertTrue(missingColumn.err().contains("has no column 'a'; columns found: x, y, z"), missingColumn.err());

        // without validation every row trains, and the standardiser saved with the run is the one fitted on them, bit for bit
        Standardizer saved = Standardizer.read(csvRun.resolve(TrainedModel.STANDARDIZER_FILE));
        Standardizer fitted = Standardizer.fit(CsvDataset.read(train, CsvDataset.Options.classification("label")).features());
        assertArrayEquals(fitted.mean(), saved.mean());
        assertArrayEquals(fitted.std(), saved.std());
    }

    @Test
    void unreadableFilesExitWith3AndSayWhy() throws IOException {
        Path cfg = config("missing.yaml", "{source: csv, path: absent.csv, label: label}");
        Run r = run("train", cfg.toString(), "--out", dir.resolve("runs").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("cannot read CSV file " + dir.resolve("absent.csv") + ": no such file"), r.err());
        Files.createDirectory(dir.resolve("folder.csv"));
        Run d = run("train", config("dir.yaml", "{source: csv, path: folder.csv, label: label}").toString());
        assertEquals(3, d.code(), d.err());
        assertTrue(d.err().contains("folder.csv: ") && d.err().toLowerCase(Locale.ROOT).contains("directory"), d.err());
        assertFalse(Files.exists(dir.resolve("runs")), "no run directory for a run that never started");
    }

    /** The model of a configuration, made to throw on its {@code failAt}-th forward pass (1-based). */
    private static RunSpec failing(RunSpec s, int failAt) {
        Module inner = s.model().model();
        Module m = new Module() {
            private int calls;

            @Override
            public Var forward(Var input) {
                if (++calls == failAt) {
                    throw new IllegalStateException("forward pass " + calls + " broke");
                }
                return inner.forward(input);
            }
        };
        ModelBuilder.Built model = new ModelBuilder.Built(m, s.model().facts(), s.model().summary());
        return new RunSpec(s.config(), s.name(), s.seed(), s.threads(), s.data(), model, s.optimizer(), s.objective(), s.settings(),
                s.logEvery(), s.facts(), s.testWeights(), s.onCritical(), s.liveDoctor());
    }

    @Test
    void aFailedRunLeavesNoBareDirectoryAndReportSaysItFailed() throws IOException {
        Path cfg = config("spirals.yaml", "{source: two_spirals, size: 120, validation: 0.25}");
        JsonNode root = RunSpec.read(cfg);
        for (int failAt : new int[] {1, 3}) {
            Path runDir = RunRecorder.newRunDir(dir.resolve("runs"), "fail" + failAt);
            Engine engine = Engine.withThreads(1);
            try {
                RunSpec spec = failing(RunSpec.build(root, dir, engine, cfg.toString()), failAt);
                RunRecorder.RunFailedException e = assertThrows(RunRecorder.RunFailedException.class,
                        () -> RunRecorder.run(spec, engine, runDir, new RunRecorder.Options(Long.MAX_VALUE, true, true, null, dir, null)));
                assertTrue(e.getMessage().contains("forward pass " + failAt + " broke"), e.getMessage());
                assertEquals(Main.RUN_FAILED, Main.exitCode(e));
            } finally {
                engine.parallel().close();
            }
            if (failAt == 1) {
                assertFalse(Files.exists(runDir), "a run that failed before its first step leaves no directory");
                continue;
            }
            RunStatus status = RunStatus.read(runDir).orElseThrow();
            assertTrue(status.failed() && status.steps() == failAt - 1 && status.message().contains("broke"), status.toString());
            Run rep = run("report", runDir.toString());
            assertEquals(0, rep.code(), rep.err());
            assertTrue(rep.out().contains("this run failed after 2 steps: forward pass 3 broke"), rep.out());
            assertTrue(Files.readString(runDir.resolve("report.html")).contains("id=\"run-status\""));
        }
    }

    @Test
    void consoleAndReportGiveTrainingAndProcessTimeApartFromTheWarmUp() throws IOException {
        Path runs = dir.resolve("runs");
        Run t = run("train", config("spirals.yaml", "{source: two_spirals, size: 120, validation: 0.25}").toString(),
                "--out", runs.toString());
        assertEquals(0, t.code(), t.err());
        String line = t.out().lines().filter(l -> l.startsWith("time: training ")).findFirst().orElseThrow(() -> new AssertionError(t.out()));
        assertTrue(line.matches("time: training [0-9.]+ s \\(first step [0-9.]+ s of warm-up, then 8 steps in [0-9.]+ s: [0-9]+ examples/s\\);"
                + " process [0-9.]+ s .*"), line);
        Path runDir = onlyRunDir(runs);
        RunStatus s = RunStatus.read(runDir).orElseThrow();
        assertEquals(9, s.steps());
        assertEquals(3 * 90, s.examples(), "90 training rows, 3 epochs: batches of 32, 32, 26");
        assertTrue(s.firstStepSeconds() <= s.trainingSeconds() && s.trainingSeconds() <= s.processSeconds(), s.toString());
        String html = Files.readString(runDir.resolve("report.html"));
        for (String label : List.of("training time", "first step (warm-up)", "throughput after the first step", "process time")) {
            assertTrue(html.contains("<th>" + label + "</th>"), label);
        }
        assertFalse(html.contains("wall time"));
    }
}
