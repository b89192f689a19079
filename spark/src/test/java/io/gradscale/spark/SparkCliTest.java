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
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gradscale train CONFIG --spark local[2]} end to end: the CSV read by the executors, the same run directory as
 * a local run (metrics log, checkpoint, diagnosis, report), the same final weights as the local run with the same
 * micro-batches, and a run resumed from its run directory ({@code train --resume RUN_DIR --spark ...}) equal to a straight one.
 */
class SparkCliTest {
    @TempDir
    Path dir;

    private Path config(String name, int epochs, String dataPath) throws IOException {
        String yaml = """
                name: %s
                seed: 5
                data: {source: csv, path: %s, label: label, validation: 0.25}
                model: {type: mlp, hidden: [12], activation: tanh}
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
    void aSparkRunWritesWhatALocalRunWritesWithTheSameBitsAndResumes() throws IOException {
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

        Path first = config("csv1", 1, "data.csv");
        // a Spark run with checkpoints every 2 steps, stopped after the first of the two epochs: its run directory is
        // what a run of cfg killed at the end of epoch 1 leaves (resume.json then records the two epochs)
        Outcome half = run("train", first.toString(), "--spark", "local[2]", "--checkpoint-every", "2",
                "--out", dir.resolve("half").toString());
        assertEquals(0, half.code(), half.err());
        Path hd = runDir("half");
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var saved = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(hd.resolve("resume.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) saved.get("config").get("training")).put("epochs", 2);
        Files.write(hd.resolve("resume.json"), mapper.writeValueAsBytes(saved));
        // resumed on Spark through the run directory: a checkpoint is the same wherever it was written
        Outcome resumed = run("train", "--resume", hd.toString(), "--spark", "local[1]");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resume:    " + hd), resumed.out());
        assertSameWeights(sd.resolve("checkpoint"), hd.resolve("checkpoint"));
    }

    @Test
    void aMissingDataPathIsNamed() throws IOException {
        Path cfg = config("missing", 1, "no-such.csv");
        Outcome o = run("train", cfg.toString(), "--spark", "local[1]", "--out", dir.resolve("m").toString());
        assertEquals(Main.USAGE, o.code(), o.out());
        assertTrue(o.err().contains("no-such.csv does not exist"), o.err());
    }
}
