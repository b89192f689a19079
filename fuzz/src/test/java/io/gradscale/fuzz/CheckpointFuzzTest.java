package io.gradscale.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.Task;
import io.gradscale.io.Checkpoint;
import io.gradscale.io.FileFormatException;
import io.gradscale.io.Safetensors;
import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.Dropout;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Fuzz targets for the safetensors reader and for checkpoint loading (manifest, checksums, weights,
 * optimizer and trainer state).
 *
 * <p>The contract: {@link Safetensors#read} returns tensors whose data matches their shapes, or throws
 * {@link FileFormatException}. {@link Trainer#loadCheckpoint} restores a checkpoint, or throws
 * {@link FileFormatException}, an {@link IOException}, or an {@link IllegalArgumentException} whose
 * message starts with "checkpoint" (a checkpoint of another model); and when it throws, the model's
 * weights and the trainer's state are as they were before the call. Anything else is a finding.
 */
class CheckpointFuzzTest {
    /**
     * Separates the three files of a checkpoint input: {@code mode byte, manifest.json, SEP,
     * model.safetensors, SEP, state.json}. With an odd mode byte the harness writes the true sizes and
     * SHA-256 of both files into the manifest (when it is a JSON object), so that the fuzzer gets past
     * the checksums into the weights and the state.
     */
    static final byte[] SEPARATOR = "\n\0--8<--\0\n".getBytes(StandardCharsets.ISO_8859_1);

    /** Epochs of the fuzzed trainer: enough that a loaded checkpoint always has a step left to take. */
    static final int FUZZ_EPOCHS = 1_000_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Trainer TRAINER = smallTrainer(FUZZ_EPOCHS);
    private static final io.gradscale.data.Dataset DATA = io.gradscale.data.tasks.TwoSpirals.generate(8, 1.0, 0.05, new Rng(5));

    /** A safetensors file read on its own. */
    @FuzzTest
    void safetensors(byte[] input) throws IOException {
        Path file = Scratch.write("model.safetensors", input);
        Safetensors.Contents c;
        try {
            c = Safetensors.read(file);
        } catch (FileFormatException expected) {
            return;
        }
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            if (e.getValue().data().length != e.getValue().shape().size()) {
                throw new AssertionError("tensor " + e.getKey() + " has " + e.getValue().data().length + " floats for shape "
                        + e.getValue().shape());
            }
        }
    }

    /** A checkpoint directory loaded into a small trainer (MLP with batch norm and dropout, clip + Adam). */
    @FuzzTest
    void checkpoint(byte[] input) throws IOException {
        Path dir = Scratch.emptyDir("checkpoint");
        byte[][] parts = split(input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length));
        boolean fixChecksums = input.length > 0 && (input[0] & 1) == 1;
        Path gen = dir.resolve("gen-000001");
        Scratch.write("checkpoint/gen-000001/" + Checkpoint.MODEL, parts[1]);
        Scratch.write("checkpoint/gen-000001/" + Checkpoint.STATE, parts[2]);
        byte[] manifest = fixChecksums ? withChecksums(parts[0], parts[1], parts[2]) : parts[0];
        Scratch.write("checkpoint/" + Checkpoint.MANIFEST, manifest);
        Trainer.Snapshot before = TRAINER.checkpoint();
        try {
            TRAINER.loadCheckpoint(dir);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("checkpoint")) {
                throw e;
            }
            assertSame(before, TRAINER.checkpoint(), gen);
            return;
        } catch (FileFormatException | IOException expected) {
            assertSame(before, TRAINER.checkpoint(), gen);
            return;
        }
        // a checkpoint that loads must train: one more step from it
        TRAINER.run(DATA, null, TRAINER.step() + 1);
    }

    private static void assertSame(Trainer.Snapshot before, Trainer.Snapshot after, Path gen) {
        for (Map.Entry<String, Tensor> e : before.tensors().entrySet()) {
            if (!java.util.Arrays.equals(e.getValue().data(), after.tensors().get(e.getKey()).data())) {
                throw new AssertionError("a refused checkpoint (" + gen + ") changed tensor " + e.getKey());
            }
        }
        if (!before.state().equals(after.state())) {
            throw new AssertionError("a refused checkpoint (" + gen + ") changed the optimizer or trainer state");
        }
    }

    static byte[][] split(byte[] in) {
        byte[][] out = {new byte[0], new byte[0], new byte[0]};
        int part = 0;
        int start = 0;
        for (int i = 0; i + SEPARATOR.length <= in.length && part < 2; i++) {
            if (java.util.Arrays.equals(in, i, i + SEPARATOR.length, SEPARATOR, 0, SEPARATOR.length)) {
                out[part++] = java.util.Arrays.copyOfRange(in, start, i);
                start = i + SEPARATOR.length;
                i = start - 1;
            }
        }
        out[part] = java.util.Arrays.copyOfRange(in, start, in.length);
        return out;
    }

    private static byte[] withChecksums(byte[] manifest, byte[] model, byte[] state) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (IOException e) {
            return manifest;
        }
        if (root == null || !root.isObject()) {
            return manifest;
        }
        ObjectNode files = ((ObjectNode) root).putObject("files");
        files.putObject(Checkpoint.MODEL).put("bytes", model.length).put("sha256", sha256(model));
        files.putObject(Checkpoint.STATE).put("bytes", state.length).put("sha256", sha256(state));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model every checkpoint input is loaded into; the seed corpus holds its checkpoints. */
    static Trainer smallTrainer(int epochs) {
        Rng rng = new Rng(7);
        Sequential model = new Sequential(new Linear(2, 4, rng), new BatchNorm1d(4), Activation.relu(), new Dropout(0.1f, rng.split()),
                new Linear(4, 2, rng));
        return new Trainer(model, Objective.forTask(new Task.Classification(2)),
                mult -> new GradientStep(ParameterSet.of(model),
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(1e-3 * mult)), Engine.serial()),
                Engine.serial(), Trainer.Settings.of(GradientDescent.miniBatch(4), epochs, 7));
    }
}
