package io.gradscale.fuzz;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.io.Checkpoint;
import io.gradscale.io.Safetensors;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the committed seed corpora: valid files and near-valid ones (one field wrong, truncated,
 * padded), for every fuzz target. Run once with the repository root as the working directory, after a
 * format change; the fuzz campaigns add what they find next to these seeds.
 *
 * <pre>java -cp fuzz/target/test-classes:$(cat fuzz/target/classpath.txt) io.gradscale.fuzz.SeedCorpus fuzz</pre>
 */
public final class SeedCorpus {
    private SeedCorpus() {
    }

    public static void main(String[] args) throws IOException {
        Path base = Path.of(args.length > 0 ? args[0] : "fuzz").resolve("src/test/resources/io/gradscale/fuzz");
        Path data = base.resolve("DataFuzzTestInputs");
        csv(data.resolve("csvDataset"));
        sequence(data.resolve("sequenceCsv"));
        idx(data.resolve("idx"), true);
        idx(data.resolve("idxGzip"), false);
        Path ck = base.resolve("CheckpointFuzzTestInputs");
        safetensors(ck.resolve("safetensors"));
        checkpoint(ck.resolve("checkpoint"));
        Path cli = base.resolve("CliFuzzTestInputs");
        configs(cli.resolve("config"));
        metrics(cli.resolve("metricsLog"));
    }

    /** The data files the configuration seeds name, relative to the configuration. */
    static void writeDataFiles(Path dir) {
        try {
            Files.writeString(dir.resolve("data.csv"), "x1,x2,label\n0.5,1.5,0\n-1,2,1\n3,0.25,0\n1e-3,-4,1\n");
            Files.writeString(dir.resolve("series.csv"), series(20));
            Files.write(dir.resolve("images.idx"), idxFile(0x08, new int[] {4, 2, 2}, bytes(16)));
            Files.write(dir.resolve("labels.idx"), idxFile(0x08, new int[] {4}, new byte[] {0, 1, 1, 0}));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void csv(Path d) throws IOException {
        put(d, "valid-classification.csv", "x1,x2,label\n0.5,1.5,0\n-1,2,1\n3,0.25,2\n");
        put(d, "valid-regression-crlf.csv", "a,b,y\r\n1,2,3.5\r\n4,5,-6e2\r\n");
        put(d, "valid-quoted-bom.csv", "\uFEFF\"x, quoted\",\"y\"\n\"1\",\"2\"\n\" 3 \",4\n");
        put(d, "valid-no-final-newline.csv", "f,label\n1,0\n2,1");
        put(d, "near-missing-field.csv", "x1,x2,label\n0.5,1.5,0\n-1,1\n");
        put(d, "near-unclosed-quote.csv", "x,label\n\"1,0\n");
        put(d, "near-nan-cell.csv", "x,label\nNaN,0\n1,1\n");
        put(d, "near-inf-cell.csv", "x,label\n1e39,0\n-Infinity,1\n");
        put(d, "near-header-only.csv", "x,label\n");
        put(d, "near-duplicate-column.csv", "x,x\n1,2\n");
        put(d, "near-fractional-label.csv", "x,label\n1,0.5\n2,1\n");
        put(d, "near-quote-in-field.csv", "x,label\n1\"2,0\n");
        put(d, "near-empty-line.csv", "x,label\n1,0\n\n2,1\n");
        Files.write(d.resolve("near-invalid-utf8.csv"), new byte[] {'x', ',', 'y', '\n', (byte) 0xC3, ',', '1', '\n'});
    }

    private static void sequence(Path d) throws IOException {
        put(d, "valid-series.csv", series(12));
        put(d, "valid-one-column.csv", "v\n1\n2\n3\n4\n5\n");
        put(d, "near-too-short.csv", "a,b\n1,2\n3,4\n");
        put(d, "near-text-cell.csv", "a,b\n1,2\n3,x\n5,6\n7,8\n9,10\n");
    }

    private static String series(int n) {
        StringBuilder b = new StringBuilder("t,a,b\n");
        for (int i = 0; i < n; i++) {
            b.append(i).append(',').append(Math.sin(i * 0.3)).append(',').append(Math.cos(i * 0.3)).append('\n');
        }
        return b.toString();
    }

    private static void idx(Path d, boolean withGzip) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("valid-images", idxFile(0x08, new int[] {2, 3, 3}, bytes(18)));
        files.put("valid-labels", idxFile(0x08, new int[] {4}, new byte[] {0, 9, 3, 1}));
        files.put("valid-float32", idxFile(0x0D, new int[] {2, 2}, floats(1.5f, -2f, 0f, 3e30f)));
        files.put("valid-float64", idxFile(0x0E, new int[] {3}, doubles(1.0, -0.25, 1e30)));
        files.put("valid-int16", idxFile(0x0B, new int[] {2}, new byte[] {1, 2, (byte) 0xff, (byte) 0xfe}));
        files.put("valid-int32-rank4", idxFile(0x0C, new int[] {1, 1, 1, 2}, new byte[] {0, 0, 0, 1, (byte) 0x80, 0, 0, 0}));
        files.put("valid-empty", idxFile(0x08, new int[] {0, 28, 28}, new byte[0]));
        files.put("near-nan-float32", idxFile(0x0D, new int[] {2}, floats(1f, Float.NaN)));
        files.put("near-inf-float64", idxFile(0x0E, new int[] {2}, doubles(1e300, 0)));
        byte[] images = idxFile(0x08, new int[] {2, 3, 3}, bytes(18));
        files.put("near-truncated", Arrays.copyOf(images, images.length - 3));
        files.put("near-trailing", Arrays.copyOf(images, images.length + 2));
        files.put("near-huge-dims", idxFile(0x08, new int[] {0x7fffffff, 28, 28}, new byte[0]));
        files.put("near-unknown-type", idxFile(0x0A, new int[] {1}, new byte[] {1}));
        files.put("near-rank5", idxFile(0x08, new int[] {1, 1, 1, 1, 1}, new byte[] {1}));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Files.createDirectories(d);
            Files.write(d.resolve(e.getKey() + ".idx"), e.getValue());
            if (withGzip) {
                byte[] gz = gzip(e.getValue());
                Files.write(d.resolve(e.getKey() + ".idx.gz"), gz);
                if (e.getKey().equals("valid-images")) {
                    Files.write(d.resolve("near-truncated-gzip.idx.gz"), Arrays.copyOf(gz, gz.length - 6));
                }
            }
        }
    }

    private static void safetensors(Path d) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("0.bias", Tensor.wrap(new float[] {0.5f, -0.5f}, 2));
        t.put("scalar", Tensor.wrap(new float[] {7}, new int[0]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(out, t, Map.of("format", "pt"));
        byte[] valid = out.toByteArray();
        Files.createDirectories(d);
        Files.write(d.resolve("valid.safetensors"), valid);
        Files.write(d.resolve("near-truncated.safetensors"), Arrays.copyOf(valid, valid.length - 4));
        Files.write(d.resolve("near-padded.safetensors"), Arrays.copyOf(valid, valid.length + 4));
        byte[] huge = valid.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(d.resolve("near-huge-header.safetensors"), huge);
        put(d, "near-f64.safetensors", header("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
        put(d, "near-overlap.safetensors",
                header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        put(d, "near-huge-shape.safetensors",
                header("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4));
        put(d, "near-metadata-number.safetensors", header("{\"__metadata__\":{\"format\":1}}", 0));
    }

    private static String header(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return new String(b.array(), StandardCharsets.ISO_8859_1);
    }

    private static void checkpoint(Path d) throws IOException {
        Trainer trainer = CheckpointFuzzTest.smallTrainer(1);
        trainer.fit(TwoSpirals.generate(16, 1.0, 0.05, new Rng(3)), null);
        Path dir = Files.createTempDirectory("seed-checkpoint");
        trainer.saveCheckpoint(dir);
        byte[] manifest = Files.readAllBytes(dir.resolve(Checkpoint.MANIFEST));
        Path gen = dir.resolve("gen-000001");
        byte[] model = Files.readAllBytes(gen.resolve(Checkpoint.MODEL));
        byte[] state = Files.readAllBytes(gen.resolve(Checkpoint.STATE));
        Scratch.deleteTree(dir);
        Files.createDirectories(d);
        Files.write(d.resolve("valid-as-written"), join(0, manifest, model, state));
        Files.write(d.resolve("valid-checksums-by-harness"), join(1, manifest, model, state));
        byte[] flipped = model.clone();
        flipped[flipped.length - 1] ^= 1;
        Files.write(d.resolve("near-flipped-byte"), join(0, manifest, flipped, state));
        Files.write(d.resolve("near-truncated-model"), join(0, manifest, Arrays.copyOf(model, model.length - 8), state));
        String s = new String(state, StandardCharsets.UTF_8);
        Files.write(d.resolve("near-state-not-json"), join(1, manifest, model, s.substring(0, s.length() / 2).getBytes(StandardCharsets.UTF_8)));
        Files.write(d.resolve("near-other-model"), join(1, manifest, Arrays.copyOf(model, model.length), "{}".getBytes(StandardCharsets.UTF_8)));
        Files.write(d.resolve("near-manifest-version"), join(0,
                new String(manifest, StandardCharsets.UTF_8).replace("\"version\" : 1", "\"version\" : 2").getBytes(StandardCharsets.UTF_8),
                model, state));
    }

    private static byte[] join(int mode, byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(mode);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                out.writeBytes(CheckpointFuzzTest.SEPARATOR);
            }
            out.writeBytes(parts[i]);
        }
        return out.toByteArray();
    }

    private static void configs(Path d) throws IOException {
        for (String example : new String[] {"spirals-mlp.yaml", "deep-sigmoid.yaml", "adding-rnn.yaml"}) {
            Path p = Path.of("examples", example);
            if (!Files.exists(p)) {
                p = Path.of("..", "examples", example);
            }
            Files.createDirectories(d);
            Files.copy(p, d.resolve("example-" + example), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        put(d, "valid-csv.yaml", "name: csv\ndata: {source: csv, path: data.csv, label: label, task: classification, validation: 0.25}\n"
                + "model: {type: mlp, hidden: [4]}\noptimizer: {type: sgd, lr: 0.1}\ntraining: {epochs: 1, batch_size: 2}\n");
        put(d, "valid-sequence.json", "{\"name\": \"seq\", \"data\": {\"source\": \"sequence_csv\", \"path\": \"series.csv\","
                + " \"columns\": [\"a\", \"b\"], \"targets\": [\"b\"], \"window\": 4, \"validation\": 0},"
                + " \"model\": {\"type\": \"lstm\", \"hidden\": 4}, \"optimizer\": {\"type\": \"adam\", \"lr\": 0.01},"
                + " \"training\": {\"epochs\": 1}}");
        put(d, "valid-idx.yaml", "data: {source: idx, path: images.idx, labels: labels.idx, validation: 0}\nmodel: {type: mlp, hidden: [3]}\n");
        put(d, "valid-minimal.json", "{\"data\": {\"source\": \"two_spirals\", \"size\": 20}}");
        put(d, "near-syntax.yaml", "data: {source: two_spirals\nmodel: [\n");
        put(d, "near-syntax.json", "{\"data\": {\"source\": \"two_spirals\",}}");
        put(d, "near-unknown-field.yaml", "data: {source: two_spirals, size: 20, colour: red}\n");
        put(d, "near-out-of-range.yaml", "seed: 1\ndata: {source: adding, size: 0}\n");
        put(d, "near-missing-file.yaml", "data: {source: csv, path: nowhere.csv, label: y}\n");
        put(d, "near-not-a-mapping.yaml", "- just\n- a list\n");
        // allocations out of proportion to the input: refused before anything is allocated (these threw
        // ArithmeticException or OutOfMemoryError before MemoryBudget)
        put(d, "regression-huge-adding.yaml", "data: {source: adding, size: 10000000, length: 100000}\n");
        put(d, "regression-large-adding.yaml", "data: {source: adding, size: 100000, length: 10000}\n");
        put(d, "regression-huge-sine.yaml", "data: {source: sine, length: 10000000, window: 100000}\n");
        put(d, "regression-huge-copy.yaml", "data: {source: copy, size: 10000, length: 100000}\n");
        put(d, "regression-huge-mlp.yaml", "data: {source: two_spirals, size: 100}\nmodel: {type: mlp, hidden: [60000, 60000]}\n");
        put(d, "regression-huge-lstm.yaml", "data: {source: adding, size: 100, length: 10}\nmodel: {type: lstm, hidden: [16000, 16000]}\n");
    }

    private static void metrics(Path d) throws IOException {
        Path dir = Files.createTempDirectory("seed-metrics");
        Path log = dir.resolve(MetricsLog.FILE_NAME);
        Trainer trainer = CheckpointFuzzTest.smallTrainer(1);
        try (MetricsLog m = new MetricsLog(log, Provenance.now(JsonNodeFactory.instance.objectNode().put("name", "seed"), 7, 1,
                Kernels.best().name()), 1)) {
            trainer.addListener(m);
            trainer.fit(TwoSpirals.generate(16, 1.0, 0.05, new Rng(3)), TwoSpirals.generate(8, 1.0, 0.05, new Rng(4)));
        }
        String text = Files.readString(log);
        Scratch.deleteTree(dir);
        put(d, "valid-run.jsonl", text);
        String[] lines = text.split("\n");
        put(d, "valid-header-only.jsonl", lines[0] + "\n");
        put(d, "near-truncated-line.jsonl", text.substring(0, text.length() - 20));
        put(d, "near-no-header.jsonl", String.join("\n", Arrays.copyOfRange(lines, 1, lines.length)) + "\n");
        put(d, "near-unknown-type.jsonl", lines[0] + "\n{\"type\":\"weather\"}\n");
        put(d, "near-not-an-object.jsonl", lines[0] + "\n[1,2,3]\n");
        put(d, "near-nan-loss.jsonl", text.replaceFirst("\"loss\":[-0-9.eE]+", "\"loss\":\"NaN\""));
    }

    private static void put(Path d, String name, String text) throws IOException {
        Files.createDirectories(d);
        Files.write(d.resolve(name), text.getBytes(name.endsWith(".safetensors") ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
    }

    static byte[] idxFile(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int x : dims) {
            b.putInt(x);
        }
        return b.put(payload).array();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 37);
        }
        return b;
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }
}
