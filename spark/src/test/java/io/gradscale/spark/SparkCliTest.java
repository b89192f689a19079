package io.gradscale.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.cli.Main;
import io.gradscale.io.Checkpoint;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gradscale train CONFIG --spark local[2]} end to end: the CSV read by the executors, the same run directory as
 * a local run (metrics log, checkpoint, diagnosis, report), the same final weights as the local run with the same
 * micro-batches, and the same run SIGKILLed in a JVM of its own after its first checkpoint, then resumed from its run
 * directory ({@code train --resume RUN_DIR --spark ...}), equal to a straight one: weights, optimizer and trainer
 * state, metrics log (wall-clock fields aside) and diagnosis.
 */
class SparkCliTest {
    /** How often the kill test looks for the child's first checkpoint. */
    private static final long POLL_MILLIS = 20;
    private static final long KILL_WAIT_SECONDS = 60;
    /** The child JVM starts Spark on a machine that may be loaded; a hang must still end the build. */
    private static final int TIMEOUT_SECONDS = 400;

    @TempDir
    Path dir;

    private Path config(String name, int epochs, String dataPath) throws IOException {
        String yaml = """
                name: %s
                seed: 5
                data: {source: csv, path: %s, label: label, validation: 0.25}
                model: {type: mlp, hidden: [12], activation: tanh, dropout: 0.2}
                transforms: [{type: clip_global_norm, max_norm: 0.5}]
                optimizer: {type: adam, lr: 0.02}
                training: {mode: mini_batch, batch_size: 24, epochs: %d, micro_batches: 5}
                monitor: {every: 4}
                """.formatted(name, dataPath, epochs);
        Path p = dir.resolve(name + ".yaml");
        Files.writeString(p, yaml);
        return p;
    }

    private void writeCsv() throws IOException {
        Rng rng = new Rng(9);
        StringBuilder sb = new StringBuilder("a,b,c,label\n");
        for (int i = 0; i < 120; i++) {
            double a = rng.nextGaussian();
            double b = rng.nextGaussian() * 3 + 1;
            double c = rng.nextDouble();
            sb.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%.4f,%d%n", a, b, c, a + b / 3 > 0.3 ? 1 : 0));
        }
        Files.writeString(dir.resolve("data.csv"), sb.toString());
    }

    record Outcome(int code, String out, String err) {
    }

    private Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private Path runDir(String outName) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve(outName))) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    private static void assertSameWeights(Path a, Path b) throws IOException {
        Map<String, Tensor> x = Checkpoint.read(a).tensors();
        Map<String, Tensor> y = Checkpoint.read(b).tensors();
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            assertTrue(x.get(k).bitEquals(y.get(k)), "tensor " + k + " differs");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(TIMEOUT_SECONDS)
    void aSparkRunWritesWhatALocalRunWritesWithTheSameBitsAndResumesAfterAKill() throws IOException, InterruptedException {
        writeCsv();
        Path cfg = config("csv2", 2, "data.csv");
        Outcome local = run("train", cfg.toString(), "--out", dir.resolve("local").toString());
        assertEquals(0, local.code(), local.err());
        Outcome spark = run("train", cfg.toString(), "--spark", "local[2]", "--out", dir.resolve("spark").toString());
        assertEquals(0, spark.code(), spark.err());
        assertTrue(spark.out().contains("cluster:   Spark local[2], 2 partitions, fixed tree"), spark.out());
        assertTrue(spark.out().contains("read by the executors"), spark.out());
        Path sd = runDir("spark");
        for (String f : new String[] {"metrics.jsonl", "diagnosis.json", "report.html", "config.json"}) {
            assertTrue(Files.size(sd.resolve(f)) > 0, f);
        }
        assertSameWeights(runDir("local").resolve("checkpoint"), sd.resolve("checkpoint"));

        // the same Spark run in a JVM of its own with a checkpoint every 2 steps, SIGKILLed as soon as its first
        // checkpoint exists (mid-epoch: 4 steps per epoch), resumed on 1 partition: the straight run's bits
        Path kd = killAfterFirstCheckpoint(cfg, dir.resolve("killed"));
        long logged = Files.readAllLines(kd.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"type\":\"step\"")).count();
        assertTrue(logged < 8, "killed mid-run: " + logged + " of 8 steps logged");
        Outcome resumed = run("train", "--resume", kd.toString(), "--spark", "local[1]");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resume:    " + kd), resumed.out());
        assertSameWeights(sd.resolve("checkpoint"), kd.resolve("checkpoint"));
        Checkpoint.Contents a = Checkpoint.read(sd.resolve("checkpoint"));
        Checkpoint.Contents b = Checkpoint.read(kd.resolve("checkpoint"));
        for (String part : List.of("optimizer", "trainer")) {
            assertEquals(a.state().get(part), b.state().get(part), part + " state after a kill at step " + logged);
        }
        assertEquals(normalizedLog(sd), normalizedLog(kd), "the metrics log, record by record");
        assertEquals(Files.readString(sd.resolve("diagnosis.json")), Files.readString(kd.resolve("diagnosis.json")));
    }

    /**
     * Starts {@code train CONFIG --spark local[2] --checkpoint-every 2} in a new JVM (the test's class path, Spark's JVM
     * flags as the launcher gives them) and SIGKILLs it as soon as its run directory holds a checkpoint; returns the
     * run directory.
     */
    private static Path killAfterFirstCheckpoint(Path cfg, Path out) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(Arrays.asList(Files.readString(Path.of("target/launcher/java.args")).strip().split("\\s+")));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", cp, Main.class.getName(),
                "train", cfg.toString(), "--spark", "local[2]", "--checkpoint-every", "2", "--out", out.toString()));
        Path log = out.resolveSibling(out.getFileName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GRADSCALE_NO_PROGRESS", "1");
        Process p = pb.start();
        Path runDir = null;
        try {
            while (p.isAlive()) {
                try (Stream<Path> s = Files.isDirectory(out) ? Files.list(out) : Stream.empty()) {
                    runDir = s.filter(Files::isDirectory).findFirst().orElse(null);
                }
                if (runDir != null && Files.exists(runDir.resolve("checkpoint").resolve(Checkpoint.MANIFEST))) {
                    break;
                }
                Thread.sleep(POLL_MILLIS);
            }
            assertTrue(p.isAlive(), "the run ended before its first checkpoint was seen: " + Files.readString(log));
        } finally {
            p.destroyForcibly(); // SIGKILL on Unix: no shutdown hook, no finally block runs in the child
            p.waitFor(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        return runDir;
    }

    /** The metrics log's records without their wall-clock fields (the header's start time, each step's elapsed time). */
    private static List<String> normalizedLog(Path runDir) throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            var o = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(line);
            o.remove(List.of("startedAt", "elapsedMillis"));
            out.add(o.toString());
        }
        return out;
    }

    /** An MNIST-style pair of gzip-compressed IDX files of {@code n} 4x4 images in 3 classes. */
    private void writeIdx(String prefix, int n, long seed) throws IOException {
        Rng rng = new Rng(seed);
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * 16).putInt(0x803).putInt(n).putInt(4).putInt(4);
        java.nio.ByteBuffer lab = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            int label = rng.nextInt(3);
            for (int j = 0; j < 16; j++) {
                img.put((byte) Math.min(255, (j % 3 == label ? 120 : 0) + rng.nextInt(120)));
            }
            lab.put((byte) label);
        }
        for (String[] f : new String[][] {{prefix + "-images.idx.gz", "i"}, {prefix + "-labels.idx.gz", "l"}}) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
                z.write(f[1].equals("i") ? img.array() : lab.array());
            }
            Files.write(dir.resolve(f[0]), out.toByteArray());
        }
    }

    /**
     * What used to be refused on Spark, read by the executors: gzip-compressed IDX files, pooled standardization
     * (scaling: standardize), a separate validation section and a test section scored at the end of the run (with the
     * best weights); the final weights, the validation and the test record are the local run's.
     */
    @Test
    void gzipIdxStandardizedWithValidationAndTestSectionsTrainsTheBitsOfALocalRun() throws IOException {
        writeIdx("train", 96, 3);
        writeIdx("val", 30, 4);
        writeIdx("test", 25, 5);
        Path cfg = dir.resolve("idx.yaml");
        Files.writeString(cfg, """
                name: idx
                seed: 8
                data: {source: idx, path: train-images.idx.gz, labels: train-labels.idx.gz, classes: 3, scaling: standardize}
                validation: {path: val-images.idx.gz, labels: val-labels.idx.gz}
                test: {path: test-images.idx.gz, labels: test-labels.idx.gz, weights: best}
                model: {type: mlp, hidden: [10], activation: relu}
                optimizer: {type: adam, lr: 0.01}
                training: {mode: mini_batch, batch_size: 32, epochs: 2, micro_batches: 3}
                """);
        Outcome local = run("train", cfg.toString(), "--out", dir.resolve("idx-local").toString());
        assertEquals(0, local.code(), local.err());
        Outcome spark = run("train", cfg.toString(), "--spark", "local[2]", "--out", dir.resolve("idx-spark").toString());
        assertEquals(0, spark.code(), spark.err());
        assertTrue(spark.out().contains("then standardized") && spark.out().contains("96 train / 30 validation from IDX")
                && spark.out().contains("test: 25 from IDX"), spark.out());
        assertSameWeights(runDir("idx-local").resolve("checkpoint"), runDir("idx-spark").resolve("checkpoint"));
        double lv = validationLoss(runDir("idx-local"));
        double sv = validationLoss(runDir("idx-spark"));
        assertEquals(Double.doubleToRawLongBits(lv), Double.doubleToRawLongBits(sv), "validation loss: the trainer's blocks, in its order");
        String localTest = record(runDir("idx-local"), "test");
        assertTrue(localTest.contains("\"examples\":25"), localTest);
        assertEquals(localTest, record(runDir("idx-spark"), "test"), "the test record: the same weights, examples and bits");
    }

    /** The metrics log's one record of {@code type}, as written. */
    private static String record(Path runDir, String type) throws IOException {
        return Files.readAllLines(runDir.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"type\":\"" + type + "\""))
                .reduce((a, b) -> {
                    throw new AssertionError("two " + type + " records in " + runDir);
                }).orElseThrow(() -> new AssertionError("no " + type + " record in " + runDir));
    }

    private static double validationLoss(Path runDir) throws IOException {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            var o = mapper.readTree(line);
            if (o.path("type").asText().equals("eval")) {
                return o.path("valLoss").asDouble();
            }
        }
        throw new AssertionError("no eval record in " + runDir);
    }

    /**
     * A time series in a sequence CSV file, cut into windows by the executors on 3 partitions (windows of 9 rows over
     * partitions of about 13): an LSTM trains the local run's bits.
     */
    @Test
    void aSequenceCsvFileTrainsTheBitsOfALocalRunOnThreePartitions() throws IOException {
        Rng rng = new Rng(12);
        StringBuilder sb = new StringBuilder("x,y\n");
        for (int i = 0; i < 40; i++) {
            sb.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f%n", Math.sin(i / 4.0) + 0.1 * rng.nextGaussian(), Math.cos(i / 5.0)));
        }
        Files.writeString(dir.resolve("series.csv"), sb.toString());
        Path cfg = dir.resolve("seq.yaml");
        String yaml = """
                name: seq
                seed: 4
                data: {source: sequence_csv, path: series.csv, columns: [x, y], targets: [x], window: 8, horizon: 1, validation: 0.2}
                model: {type: lstm, hidden: [6]}
                optimizer: {type: adam, lr: 0.01}
                training: {mode: mini_batch, batch_size: 10, epochs: 1, micro_batches: 3}
                """;
        Files.writeString(cfg, yaml);
        Path onSpark = Files.writeString(dir.resolve("seq-spark.yaml"), yaml + "spark: {partitions: 3}\n");
        Outcome local = run("train", cfg.toString(), "--out", dir.resolve("seq-local").toString());
        assertEquals(0, local.code(), local.err());
        Outcome spark = run("train", onSpark.toString(), "--spark", "local[2]", "--out", dir.resolve("seq-spark").toString());
        assertEquals(0, spark.code(), spark.err());
        assertTrue(spark.out().contains("3 partitions") && spark.out().contains("sequence CSV"), spark.out());
        assertSameWeights(runDir("seq-local").resolve("checkpoint"), runDir("seq-spark").resolve("checkpoint"));
        assertEquals(Double.doubleToRawLongBits(validationLoss(runDir("seq-local"))),
                Double.doubleToRawLongBits(validationLoss(runDir("seq-spark"))), "validation loss");
    }

    @Test
    void aMissingDataPathIsNamed() throws IOException {
        Path cfg = config("missing", 1, "no-such.csv");
        Outcome o = run("train", cfg.toString(), "--spark", "local[1]", "--out", dir.resolve("m").toString());
        assertEquals(Main.USAGE, o.code(), o.out());
        assertTrue(o.err().contains("no-such.csv does not exist"), o.err());
    }
}
