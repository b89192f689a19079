package io.gradscale.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.cli.config.ConfigNode;
import io.gradscale.cli.config.DataShape;
import io.gradscale.cli.config.ModelBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.data.CsvTable;
import io.gradscale.data.Dataset;
import io.gradscale.data.Standardizer;
import io.gradscale.data.Task;
import io.gradscale.io.Checkpoint;
import io.gradscale.io.FileErrors;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A trained network rebuilt from its run directory, for {@code evaluate} and {@code predict}: the model section
 * of the run's configuration and the data shape it was built for ({@value #FILE_NAME}), the weights the run's test
 * used (its checkpoint, or with {@code test.weights: best} the best weights' checkpoint; {@link Checkpoint#read}), and
 * the standardiser fitted on the training data
 * ({@value #STANDARDIZER_FILE}), so that new inputs get exactly the transform the training inputs got.
 *
 * @param model the network, in evaluation mode, with the checkpoint's weights and buffers
 * @param shape the data shape the model section was built for
 * @param task the training data's task (classes, or regression)
 * @param label the training CSV's label column, or null when the data were not a CSV file
 * @param features the training CSV's feature columns in the model's input order, or null
 * @param standardizer the transform of the training features, or null when they were not standardised
 * @param weights which weights the model holds: {@value #LAST} (the checkpoint's) or {@value #BEST} ({@value #BEST_DIR}/)
 */
record TrainedModel(Module model, DataShape shape, Task task, String label, List<String> features, Standardizer standardizer,
                    String weights) {
    /** What a run directory records about its model, next to {@code config.json}. */
    static final String FILE_NAME = "model.json";
    /** The training features' standardiser (safetensors, see {@link Standardizer#write}). */
    static final String STANDARDIZER_FILE = "standardizer.safetensors";
    /** The checkpoint directory inside a run directory. */
    static final String CHECKPOINT_DIR = "checkpoint";
    /** Rows per forward pass when scoring (memory, not results: rows are independent in evaluation mode). */
    static final int BATCH = 1024;
    /** The weights training ended with: the run's checkpoint. */
    static final String LAST = "last";
    /** The weights of the epoch with the lowest validation loss, which {@code test.weights: best} tests with. */
    static final String BEST = "best";
    /**
     * The checkpoint directory (checksummed, as {@link Checkpoint} writes it) of the best weights, written when the run's
     * test used them; the run's own checkpoint holds the last weights, from which a run resumes.
     */
    static final String BEST_DIR = "best";
    /** The {@code --weights} option of {@code evaluate} and {@code predict}. */
    static final String WEIGHTS_DESCRIPTION = "Which weights: last (the checkpoint training ended with) or best (the epoch of lowest"
            + " validation loss, kept by a run with test.weights: best). Default: the ones the run's test used, else last.";
    /** Field of {@value #FILE_NAME} recording the test: {@code {"weights": "best"|"last", "step": s}}. */
    static final String TEST_FIELD = "test";

    /** Adds to {@value #FILE_NAME} which weights the run's test used (and so which {@code evaluate} and {@code predict} take). */
    static void recordTest(Path dir, io.gradscale.train.TestRecord tested) throws IOException {
        Path info = dir.resolve(FILE_NAME);
        ObjectNode o = (ObjectNode) Json.mapper().readTree(info.toFile());
        o.putObject(TEST_FIELD).put("weights", tested.weights()).put("step", tested.step());
        io.gradscale.io.AtomicFiles.write(info, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
    }

    /** Writes {@value #FILE_NAME} and, when the training features were standardised, {@value #STANDARDIZER_FILE}. */
    static void record(RunSpec spec, Path baseDir, Path dir) throws IOException {
        ObjectNode o = Json.mapper().createObjectNode();
        JsonNode modelSection = spec.config().get("model");
        o.set("model", modelSection == null ? Json.mapper().createObjectNode() : modelSection);
        Dataset train = spec.data().train();
        o.set("shape", Json.mapper().valueToTree(DataShape.of(spec.data())));
        Task task = train.task();
        ObjectNode t = o.putObject("task");
        t.put("kind", switch (task) {
            case Task.Classification c -> "classification";
            case Task.SequenceClassification c -> "sequence_classification";
            case Task.Regression r -> "regression";
        });
        if (task.hasLabels()) {
            t.put("classes", task.classes());
            t.put("steps", task.labelsPerExample());
        }
        JsonNode data = spec.config().path("data");
        if (data.path("source").asText("").equals("csv")) {
            String label = data.path("label").asText();
            o.put("label", label);
            var names = o.putArray("features");
            CsvTable.header(baseDir.resolve(data.path("path").asText())).stream().filter(n -> !n.equals(label)).forEach(names::add);
        }
        if (train.standardizer().isPresent()) {
            train.standardizer().get().write(dir.resolve(STANDARDIZER_FILE));
            o.put("standardizer", STANDARDIZER_FILE);
        }
        Files.writeString(dir.resolve(FILE_NAME), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    /**
     * Rebuilds the model of {@code runDir} with the weights its test used ({@value #BEST} when {@code test.weights: best}
     * chose an epoch, else {@value #LAST}); a missing piece fails with what is missing and why.
     */
    static TrainedModel load(Path runDir, Engine engine) throws IOException {
        return load(runDir, engine, null);
    }

    /**
     * As above, with {@code weights} ({@value #LAST} or {@value #BEST}; null: the ones the run's test used). A run
     * without best weights asked for them fails, saying why.
     */
    static TrainedModel load(Path runDir, Engine engine, String weights) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new UncheckedIOException("run directory " + runDir + ": " + (Files.exists(runDir) ? "not a directory" : "no such file"),
                    new NoSuchFileException(runDir.toString()));
        }
        Path info = runDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(info)) {
            throw new UncheckedIOException(runDir + " has no " + FILE_NAME + ": it is not the directory of a run trained by"
                    + " `gradscale train` (or one trained before models were recorded)", new NoSuchFileException(info.toString()));
        }
        Path ckpt = runDir.resolve(CHECKPOINT_DIR);
        if (!Files.isRegularFile(ckpt.resolve(Checkpoint.MANIFEST))) {
            throw new UncheckedIOException(runDir + " has no checkpoint (" + CHECKPOINT_DIR + "/" + Checkpoint.MANIFEST
                    + "): the run did not finish training", new NoSuchFileException(ckpt.toString()));
        }
        JsonNode o;
        try {
            o = Json.mapper().readTree(info.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + info + ": " + FileErrors.reason(e), e);
        }
        DataShape shape = Json.mapper().treeToValue(o.get("shape"), DataShape.class);
        JsonNode t = o.path("task");
        Task task = switch (t.path("kind").asText()) {
            case "classification" -> new Task.Classification(t.path("classes").asInt());
            case "sequence_classification" -> new Task.SequenceClassification(t.path("classes").asInt(), t.path("steps").asInt());
            case "regression" -> new Task.Regression();
            default -> throw new IOException(info + ": unknown task kind '" + t.path("kind").asText() + "'");
        };
        String tested = o.path(TEST_FIELD).path("weights").asText(LAST);
        String chosen = weights == null ? tested : weights;
        Path source = ckpt;
        if (chosen.equals(BEST)) {
            source = runDir.resolve(BEST_DIR);
            if (!Files.isRegularFile(source.resolve(Checkpoint.MANIFEST))) {
                throw new IllegalArgumentException("--weights best: " + runDir + " has no best weights (" + BEST_DIR + "/" + Checkpoint.MANIFEST
                        + "): its test used the " + tested + " weights" + (o.has(TEST_FIELD) ? "" : " (it had no test set)")
                        + "; best weights are kept by a run with test.weights: best and validation data");
            }
        } else if (!chosen.equals(LAST)) {
            throw new IllegalArgumentException("--weights must be " + LAST + " or " + BEST + ", got '" + chosen + "'");
        }
        Module model = ModelBuilder.build(new ConfigNode(o.get("model"), "model"), shape.standIn(task), shape.outputs(), shape.everyStep(),
                new Rng(0)).model();
        Checkpoint.Contents c = Checkpoint.read(source);
        load(model, c.tensors(), source);
        model.eval();
        List<String> features = null;
        if (o.has("features")) {
            features = Arrays.asList(Json.mapper().treeToValue(o.get("features"), String[].class));
        }
        Standardizer std = o.has("standardizer") ? Standardizer.read(runDir.resolve(o.get("standardizer").asText())) : null;
        return new TrainedModel(model, shape, task, o.has("label") ? o.get("label").asText() : null, features, std, chosen);
    }

    private static void load(Module model, Map<String, Tensor> tensors, Path ckpt) {
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            copy(tensors, e.getKey(), e.getValue().value(), ckpt);
        }
        for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
            copy(tensors, e.getKey(), e.getValue(), ckpt);
        }
    }

    private static void copy(Map<String, Tensor> tensors, String name, Tensor into, Path ckpt) {
        Tensor t = tensors.get(name);
        if (t == null || !t.shape().equals(into.shape())) {
            throw new IllegalStateException("the checkpoint in " + ckpt + " does not fit the model its run recorded: tensor '"
                    + name + "' is " + (t == null ? "missing" : t.shape() + ", the model's is " + into.shape()));
        }
        into.copyFrom(t);
    }

    /** The model's outputs for {@code x} ({@code [n, ...]}, already standardised), {@value #BATCH} rows at a time. */
    Tensor outputs(Tensor x, Engine engine) {
        int n = x.dim(0);
        int row = n == 0 ? 0 : x.size() / n;
        float[] out = null;
        int width = 0;
        for (int lo = 0; lo < n; lo += BATCH) {
            int hi = Math.min(n, lo + BATCH);
            Tensor part = Tensor.wrap(Arrays.copyOfRange(x.data(), lo * row, hi * row), x.shape().withDim(0, hi - lo));
            Tensor y = model.forward(Tape.noGrad(engine).constant(part)).value();
            if (out == null) {
                width = y.size() / (hi - lo);
                out = new float[Math.multiplyExact(n, width)];
            }
            System.arraycopy(y.data(), 0, out, lo * width, y.size());
        }
        return Tensor.wrap(out == null ? new float[0] : out, n, width);
    }
}
