package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.CommandLineTest.Run;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.TestRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every data source through {@code gradscale train}, end to end, with every model type that accepts its
 * examples; then the held-out sections, the scaling stated, and the errors a data/model mismatch gets.
 * The files are written here, tiny, with shapes chosen so that a mixed-up axis cannot go unnoticed
 * (images of 6 rows by 5 columns, three CSV features, windows of 5 steps by 2 columns).
 */
class DataSourcesTest {
    @TempDir
    static Path files;

    @TempDir
    Path dir;

    static final int ROWS = 6;
    static final int COLS = 5;
    static final int CLASSES = 3;

    /** Writes the data files every test reads: IDX images and labels (plain and gzip), a CSV table, a time series. */
    @BeforeAll
    static void writeFiles() throws IOException {
        idx(files.resolve("train-images.idx"), 40, ROWS, COLS, 1, false);
        idx(files.resolve("train-images.idx.gz"), 40, ROWS, COLS, 1, true);
        idx(files.resolve("test-images.idx.gz"), 12, ROWS, COLS, 2, true);
        idx(files.resolve("val-images.idx"), 10, ROWS, COLS, 3, false);
        idx(files.resolve("small-images.idx"), 12, 4, 4, 2, false);
        StringBuilder csv = new StringBuilder("a,b,c,label\n");
        for (int i = 0; i < 60; i++) {
            csv.append(i % 7).append(',').append((i * 3) % 5 - 2).append(',').append(i * 0.1).append(',').append(i % CLASSES).append('\n');
        }
        Files.writeString(files.resolve("table.csv"), csv);
        Files.writeString(files.resolve("table-test.csv"), "a,b,c,label\n1,2,0.5,0\n3,-1,1.5,1\n6,0,2.5,1\n"); // no class 2

        StringBuilder series = new StringBuilder("x,y\n");
        for (int t = 0; t < 60; t++) {
            series.append(String.format(Locale.ROOT, "%.4f,%.4f%n", Math.sin(t / 3.0), Math.cos(t / 5.0)));
        }
        Files.writeString(files.resolve("series.csv"), series);
        Files.writeString(files.resolve("series-test.csv"), String.join("\n", series.toString().lines().limit(21).toList()) + "\n");
    }

    /** {@code n} images of ROWS x COLS unsigned bytes whose label is readable from the pixels, and their labels. */
    static void idx(Path images, int n, int rows, int cols, int seed, boolean gzip) throws IOException {
        ByteArrayOutputStream img = new ByteArrayOutputStream();
        ByteArrayOutputStream lab = new ByteArrayOutputStream();
        DataOutputStream i = new DataOutputStream(img);
        DataOutputStream l = new DataOutputStream(lab);
        i.writeInt(0x00000803);
        i.writeInt(n);
        i.writeInt(rows);
        i.writeInt(cols);
        l.writeInt(0x00000801);
        l.writeInt(n);
        for (int k = 0; k < n; k++) {
            int label = (k * seed + k / 3) % CLASSES;
            l.writeByte(label);
            for (int p = 0; p < rows * cols; p++) {
                i.writeByte(p % CLASSES == label ? 200 + (p * seed) % 55 : (p * 7 + k) % 40);
            }
        }
        String labels = images.getFileName().toString().replace("images", "labels");
        write(images, img.toByteArray(), gzip);
        write(images.resolveSibling(labels), lab.toByteArray(), gzip);
    }

    private static void write(Path p, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(bytes);
        }
    }

    private static final List<String> ALL = List.of("mlp", "rnn", "lstm", "gru");
    private static final List<String> RECURRENT = List.of("rnn", "lstm", "gru");

    /**
     * Each source as a data section, the shape of one example it produces, and the model types that accept it:
     * an MLP flattens any example, a recurrent model reads one row per step (a vector as a series of scalars),
     * and only a recurrent model gives the per-step labels of the copy task.
     */
    static Stream<Arguments> sources() {
        List<Object[]> table = List.of(
                new Object[] {"idx", "{source: idx, path: " + files.resolve("train-images.idx") + ", labels: "
                        + files.resolve("train-labels.idx") + ", classes: 3}", new int[] {ROWS, COLS}, ALL},
                new Object[] {"idx-gzip", "{source: idx, path: " + files.resolve("train-images.idx.gz") + ", labels: "
                        + files.resolve("train-labels.idx.gz") + ", classes: 3, scaling: standardize}", new int[] {ROWS, COLS}, ALL},
                new Object[] {"csv", "{source: csv, path: " + files.resolve("table.csv") + ", label: label}", new int[] {3}, ALL},
                new Object[] {"sequence_csv", "{source: sequence_csv, path: " + files.resolve("series.csv")
                        + ", columns: [x, y], targets: [y], window: 5}", new int[] {5, 2}, ALL},
                new Object[] {"two_spirals", "{source: two_spirals, size: 40}", new int[] {2}, ALL},
                new Object[] {"adding", "{source: adding, size: 40, length: 6}", new int[] {6, 2}, ALL},
                new Object[] {"temporal_order", "{source: temporal_order, size: 40, length: 10}", new int[] {10, 6}, ALL},
                new Object[] {"copy", "{source: copy, size: 40, length: 3}", null, RECURRENT},
                new Object[] {"sine", "{source: sine, length: 60, window: 5}", new int[] {5, 1}, ALL});
        List<Arguments> out = new ArrayList<>();
        for (Object[] row : table) {
            @SuppressWarnings("unchecked")
            List<String> types = (List<String>) row[3];
            for (String type : types) {
                out.add(Arguments.of(row[0], row[1], row[2], type));
            }
        }
        return out.stream();
    }

    private Path config(String name, String yaml) throws IOException {
        Path p = dir.resolve(name + ".yaml");
        Files.writeString(p, yaml);
        return p;
    }

    private static String yaml(String data, String model, String extra) {
        return "name: t\nseed: 3\ndata: " + data + "\nmodel: " + model + "\n" + extra
                + "optimizer: {type: adam, lr: 0.01}\ntraining: {batch_size: 16, epochs: 1}\nmonitor: {every: 2}\n";
    }

    private Run train(Path config) {
        return CommandLineTest.run("train", config.toString(), "--out", dir.resolve("runs").toString());
    }

    private Path runDir() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            return s.findFirst().orElseThrow();
        }
    }

    @ParameterizedTest(name = "{0} with {3}")
    @MethodSource("sources")
    void everySourceTrainsWithEveryModelTypeThatAcceptsIt(String name, String data, int[] example, String type) throws IOException {
        Run r = train(config(name + "-" + type, yaml(data, "{type: " + type + ", hidden: [4]}", "")));
        assertEquals(0, r.code(), name + " with " + type + ": " + r.err() + r.out());
        assertTrue(r.out().contains("completed 1 epochs"), r.out());
        if (example != null) {
            int width = type.equals("mlp") ? example.length == 1 ? example[0] : example[0] * example[1]
                    : example.length == 1 ? 1 : example[1];
            String model = type.toUpperCase(Locale.ROOT) + " " + width + "-4-";
            assertTrue(r.out().contains("model:     " + model), "expected '" + model + "' in " + r.out());
        }
    }

    @Test
    void anMlpCannotGiveOneLabelPerTimeStep() throws IOException {
        Run r = train(config("copy-mlp", yaml("{source: copy, size: 40, length: 3}", "{type: mlp, hidden: [4]}", "")));
        assertEquals(Main.USAGE, r.code(), r.out());
        assertTrue(r.err().contains("model.type: mlp gives one output per example") && r.err().contains("use rnn, lstm or gru"), r.err());
    }

    /** Without model.type, the data's layout decides, and the summary says what was chosen. */
    @ParameterizedTest
    @MethodSource("defaults")
    void theModelTypeFollowsTheDataWhenNotSet(String data, String expected) throws IOException {
        Run r = train(config("default", yaml(data, "{hidden: [8]}", "")));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(expected), "expected '" + expected + "' in " + r.out());
    }

    static Stream<Arguments> defaults() {
        return Stream.of(
                Arguments.of("{source: idx, path: " + files.resolve("train-images.idx.gz") + ", labels: "
                        + files.resolve("train-labels.idx.gz") + ", classes: 3}", "MLP 30-8-3 relu, init default (model.type not set: mlp chosen for images)"),
                Arguments.of("{source: csv, path: " + files.resolve("table.csv") + ", label: label}", "(model.type not set: mlp chosen for features)"),
                Arguments.of("{source: sine, length: 60, window: 5}", "(model.type not set: lstm chosen for sequences)"));
    }

    /** Each scaling in use is named in the data line; IDX pixels can be standardized instead of divided by 255. */
    @ParameterizedTest
    @MethodSource("scalings")
    void theScalingInUseIsStated(String data, String expected) throws IOException {
        Run r = train(config("scaling", yaml(data, "{type: mlp, hidden: [4]}", "")));
        assertEquals(0, r.code(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("  data:")).findFirst().orElseThrow();
        assertTrue(line.contains(expected), "expected '" + expected + "' in " + line);
    }

    static Stream<Arguments> scalings() {
        String idx = "{source: idx, path: " + files.resolve("train-images.idx") + ", labels: " + files.resolve("train-labels.idx")
                + ", classes: 3";
        String csv = "{source: csv, path: " + files.resolve("table.csv") + ", label: label";
        return Stream.of(
                Arguments.of(idx + "}", "pixels scaled to [0, 1] (/ 255)"),
                Arguments.of(idx + ", scaling: unit}", "pixels scaled to [0, 1] (/ 255)"),
                Arguments.of(idx + ", scaling: standardize}", "pixels / 255, then standardized (mean "),
                Arguments.of(csv + "}", "features standardized (mean 0, std 1 per column, fitted on the training rows)"),
                Arguments.of(csv + ", standardize: false}", "features as read (standardize: false)"));
    }

    private static final String IDX_TRAIN = "{source: idx, path: " + "%s/train-images.idx.gz, labels: %s/train-labels.idx.gz, classes: 3%s}";

    private static String idxTrain(String extra) {
        return String.format(Locale.ROOT, IDX_TRAIN, files, files, extra);
    }

    @ParameterizedTest
    @MethodSource("weights")
    void aTestSectionIsEvaluatedOnceWithTheChosenWeightsAndRecordedEverywhere(String weights, String validation) throws IOException {
        String extra = validation + "test: {path: " + files.resolve("test-images.idx.gz") + ", labels: " + files.resolve("test-labels.idx.gz")
                + (weights.isEmpty() ? "" : ", weights: " + weights) + "}\n";
        Run r = train(config("test", yaml(idxTrain(validation.isEmpty() ? "" : ", validation: 0"), "{type: mlp, hidden: [8]}", extra)
                .replace("epochs: 1", "epochs: 3")));
        assertEquals(0, r.code(), r.err());
        String expected = weights.isEmpty() ? "last" : weights;
        List<String> testLines = r.out().lines().filter(l -> l.startsWith("test (")).toList();
        assertEquals(1, testLines.size(), r.out());
        assertTrue(testLines.get(0).startsWith("test (12 examples, " + expected + " weights from step "), testLines.get(0));
        assertTrue(testLines.get(0).contains(", accuracy "), testLines.get(0));

        Path run = runDir();
        MetricsLog.Contents log = MetricsLog.read(run.resolve(MetricsLog.FILE_NAME));
        assertEquals(1, log.tests().size());
        TestRecord t = log.tests().get(0);
        assertEquals(expected, t.weights());
        assertEquals(12, t.examples());
        assertTrue(Double.isFinite(t.loss()) && t.accuracy() >= 0 && t.accuracy() <= 1, t.toString());
        assertTrue(testLines.get(0).contains(String.format(Locale.ROOT, "loss %.5g", t.loss())), testLines.get(0));
        if (expected.equals("best")) {
            double bestVal = log.evals().stream().mapToDouble(e -> e.valLoss()).min().orElseThrow();
            long bestStep = log.evals().stream().filter(e -> e.valLoss() == bestVal).findFirst().orElseThrow().step();
            assertEquals(bestStep, t.step(), "the best weights are those of the epoch with the lowest validation loss");
        } else {
            assertEquals(log.steps().getLast().step() + 1, t.step());
        }
        JsonNode diagnosis = Json.mapper().readTree(run.resolve("diagnosis.json").toFile());
        assertTrue(diagnosis.path("verdicts").isArray(), diagnosis.toString());
        assertEquals(t, Json.mapper().treeToValue(diagnosis.path("test"), TestRecord.class));
        String report = Files.readString(run.resolve("report.html"));
        assertTrue(report.contains("test loss") && report.contains("test accuracy"), "the report shows the test metrics");
    }

    static Stream<Arguments> weights() {
        String ownValidation = "validation: {path: " + files.resolve("val-images.idx") + ", labels: " + files.resolve("val-labels.idx") + "}\n";
        return Stream.of(Arguments.of("", ""), Arguments.of("last", ""), Arguments.of("best", ""), Arguments.of("best", ownValidation));
    }

    @Test
    void validationFromItsOwnFilesIsUsedWhole() throws IOException {
        String extra = "validation: {path: " + files.resolve("val-images.idx") + ", labels: " + files.resolve("val-labels.idx") + "}\n";
        Run r = train(config("val", yaml(idxTrain(""), "{type: mlp, hidden: [8]}", extra)));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("40 train / 10 validation from IDX " + files.resolve("val-images.idx")), r.out());
        MetricsLog.Contents log = MetricsLog.read(runDir().resolve(MetricsLog.FILE_NAME));
        assertEquals(10, log.evals().get(0).valExamples());
    }

    @Test
    void withoutValidationTheRunSaysThereIsNone() throws IOException {
        Run r = train(config("noval", yaml(idxTrain(", validation: 0"), "{type: mlp, hidden: [8]}", "")));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("40 train, no validation"), r.out());
        String result = r.out().lines().filter(l -> l.startsWith("completed 1 epochs")).findFirst().orElseThrow();
        assertTrue(result.matches("completed 1 epochs after 3 steps: train loss [0-9.]+, no validation data"), result);
        Path run = runDir();
        List<String> evals = Files.readAllLines(run.resolve(MetricsLog.FILE_NAME)).stream().filter(l -> l.contains("\"type\":\"eval\"")).toList();
        assertFalse(evals.isEmpty());
        for (String e : evals) {
            assertFalse(e.contains("valLoss") || e.contains("valAccuracy") || e.contains("NaN"), e);
            assertTrue(e.contains("\"valExamples\":0"), e);
        }
        assertTrue(Files.readString(run.resolve("report.html")).contains("none (the run had no validation data)"));
    }

    /** Each mismatch of data and model, or of held-out data and training data, fails before training in the config's terms. */
    @ParameterizedTest
    @MethodSource("mismatches")
    void aMismatchIsReportedInTheTermsOfTheConfiguration(String dataExtra, String model, String extra, String expected) throws IOException {
        Run r = train(config("bad", yaml(idxTrain(dataExtra), model, extra)));
        assertEquals(Main.USAGE, r.code(), r.out());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in " + r.err());
        assertFalse(r.err().contains("Linear '"), "no layer's internal name: " + r.err());
        assertFalse(Files.exists(dir.resolve("runs")), "no run directory for a configuration that cannot run");
    }

    @Test
    void earlyStoppingWithoutValidationIsAnError() throws IOException {
        Run r = train(config("early", yaml(idxTrain(", validation: 0"), "{type: mlp, hidden: [8]}", "")
                .replace("epochs: 1}", "epochs: 1, early_stopping: 2}")));
        assertEquals(Main.USAGE, r.code(), r.out());
        assertTrue(r.err().contains("training.early_stopping: stops when the validation loss stops improving, but the run has no"
                + " validation data"), r.err());
    }

    static Stream<Arguments> mismatches() {
        String test = "test: {path: " + files.resolve("test-images.idx.gz") + ", labels: " + files.resolve("test-labels.idx.gz");
        String val = "validation: {path: " + files.resolve("val-images.idx") + ", labels: " + files.resolve("val-labels.idx") + "}\n";
        String mlp = "{type: mlp, hidden: [8]}";
        return Stream.of(
                Arguments.of("", "{type: mlp, input: 5, hidden: [8]}", "", "data has 30 features per example (6×5 images), but model.input is 5"),
                Arguments.of("", "{type: lstm, input: 30, hidden: [8]}", "",
                        "data has 5 features per time step (6 rows of 5 pixels, one row per step), but model.input is 30"),
                Arguments.of("", mlp, "test: {path: " + files.resolve("small-images.idx") + ", labels: " + files.resolve("small-labels.idx") + "}\n",
                        "test: the test data has 16 features per example (4×4 images) but the training data (data) has 30 features per example (6×5 images)"),
                Arguments.of("", mlp, "test: {labels: x.idx}\n", "test.path: required"),
                Arguments.of("", mlp, "test: {path: " + files.resolve("test-images.idx.gz") + "}\n", "test.labels: required"),
                Arguments.of("", mlp, test + ", scaling: unit}\n", "test.scaling: unknown field"),
                Arguments.of(", validation: 0", mlp, test + ", weights: best}\n", "test.weights: best picks the epoch of lowest validation loss, but the run has no validation data"),
                Arguments.of(", validation: 0.3", mlp, val, "data.validation: a share of the training data and a validation section exclude each other"),
                Arguments.of("", mlp, "test: {path: " + files.resolve("test-images.idx.gz") + ", labels: " + files.resolve("table.csv") + "}\n",
                        "table.csv"));
    }

    /**
     * The committed digits (examples/digits, made by make_idx.py from the copy Debian's python3-sklearn ships) through
     * the README's example configuration, shortened to 3 epochs: an 8x8 image is 64 inputs, and the held-out test set
     * is classified far above chance (0.1).
     */
    @Test
    void theCommittedDigitsTrainThroughTheExampleConfiguration() throws IOException {
        Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
        String yaml = Files.readString(examples.resolve("digits-mlp.yaml"))
                .replace("digits/", examples.resolve("digits") + "/").replace("epochs: 30", "epochs: 3");
        assertTrue(yaml.contains("epochs: 3\n"), "the example still trains for 30 epochs");
        Run r = train(config("digits", yaml));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1437 images of 8×8") && r.out().contains("1150 train / 287 validation; test: 360 from IDX"), r.out());
        assertTrue(r.out().contains("model:     MLP 64-128-64-10 relu"), r.out());
        TestRecord t = MetricsLog.read(runDir().resolve(MetricsLog.FILE_NAME)).tests().get(0);
        assertEquals(360, t.examples());
        assertTrue(t.accuracy() > 0.6, "test accuracy " + t.accuracy() + ", chance is 0.1");
    }

    /**
     * Every source takes a test section: a file source its own file (its class count and scaling those of the training
     * data), a built-in task a fresh sample; regression reports no accuracy.
     */
    @ParameterizedTest
    @MethodSource("heldOutSources")
    void everySourceTakesATestSection(String data, String test, int examples, boolean accuracy) throws IOException {
        Run r = train(config("held-out", yaml(data, "{type: lstm, hidden: [4]}", "test: " + test + "\n")));
        assertEquals(0, r.code(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("test (")).findFirst().orElseThrow();
        assertTrue(line.startsWith("test (" + examples + " examples, last weights from step "), line);
        assertEquals(accuracy, line.contains(", accuracy "), line);
    }

    static Stream<Arguments> heldOutSources() {
        return Stream.of(
                Arguments.of("{source: csv, path: " + files.resolve("table.csv") + ", label: label}",
                        "{path: " + files.resolve("table-test.csv") + "}", 3, true),
                Arguments.of("{source: sequence_csv, path: " + files.resolve("series.csv") + ", columns: [x, y], targets: [y], window: 5}",
                        "{path: " + files.resolve("series-test.csv") + "}", 20 - 5, false), // T - window - horizon + 1 windows
                Arguments.of("{source: two_spirals, size: 40}", "{size: 24}", 24, true),
                Arguments.of("{source: copy, size: 40, length: 3}", "{size: 8}", 8, true),
                Arguments.of("{source: sine, length: 60, window: 5}", "{length: 30}", 30 - 5, false));
    }
}
