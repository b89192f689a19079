package io.gradscale.cli.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.data.CsvDataset;
import io.gradscale.data.CsvTable;
import io.gradscale.data.Dataset;
import io.gradscale.data.IdxReader;
import io.gradscale.data.SequenceCsv;
import io.gradscale.data.Standardizer;
import io.gradscale.data.tasks.AddingProblem;
import io.gradscale.data.tasks.CopyMemory;
import io.gradscale.data.tasks.NoisySine;
import io.gradscale.data.tasks.TemporalOrder;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.tensor.Rng;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Builds the {@code data} section (a built-in task or a file, and the validation split) and the
 * optional {@code validation} and {@code test} sections (held-out data from their own files).
 *
 * <pre>
 * data:
 *   source: two_spirals   # two_spirals | adding | temporal_order | copy | sine | csv | idx | sequence_csv
 *   size: 2000            # examples of a built-in task
 *   length: 50            # sequence length (adding, temporal_order), delay (copy), series length (sine)
 *   noise: 0.05           # two_spirals, sine
 *   path: data.csv        # csv, sequence_csv, idx (images, plain or gzip); relative to the configuration file
 *   labels: labels.idx    # idx: the labels file
 *   classes: 10           # idx: labels lie in [0, classes)
 *   scaling: unit         # idx: unit (pixels / 255, in [0, 1]) | standardize (one mean and std over the training pixels)
 *   label: target         # csv: the label column
 *   task: classification  # csv: classification | regression
 *   columns: [a, b]       # sequence_csv: input columns; targets: [b]
 *   window: 32            # sequence_csv, sine: input window; horizon: 1
 *   input_scale: 1.0      # every input feature of data (not of validation or test) multiplied by this (e.g. 100: unnormalized)
 *   non_finite: 0.0       # share of data's examples whose first input feature is replaced by NaN (a corrupt file)
 *   standardize: true     # csv: standardize each feature column to mean 0, std 1 (fitted on the training examples)
 *   validation: 0.2       # share of the examples held out for validation (0 = none; 0 by default with a validation section)
 * validation:             # optional: validation data from its own files, instead of a share of data
 *   path: val.csv         # every field of data except validation, standardize and scaling; unset ones are data's
 * test:                   # optional: a held-out test set, evaluated once when training has ended
 *   path: test.csv        # the same fields as validation
 *   weights: last         # last | best (the epoch of lowest validation loss)
 * </pre>
 *
 * <p>Scaling is fitted on the training examples only and applied unchanged to validation and test data.
 * A file source's validation and test sections must name their own files ({@code path}, and
 * {@code labels} for IDX); a built-in task's sections draw a fresh sample of the same task.
 */
public final class DataBuilder {
    /** How an example's axes are read, which decides the model type when the configuration names none. */
    public enum Layout {
        /** One vector of features per example. */
        FEATURES("mlp", "features"),
        /** Time steps along the first axis of an example, features along the last. */
        SEQUENCE("lstm", "sequences"),
        /** Images {@code [rows, cols]}: an MLP reads all pixels, a recurrent model one row per step. */
        IMAGE("mlp", "images");

        private final String defaultModel;
        private final String noun;

        Layout(String defaultModel, String noun) {
            this.defaultModel = defaultModel;
            this.noun = noun;
        }

        /** The model type a configuration without {@code model.type} gets. */
        public String defaultModel() {
            return defaultModel;
        }

        /** What the examples are, in a word ("images"). */
        public String noun() {
            return noun;
        }
    }

    /**
     * The built data.
     *
     * @param train the training set
     * @param validation the validation set, or {@code null} when there is none
     * @param test the test set, or {@code null} when the configuration has no {@code test} section
     * @param layout how an example's axes are read
     * @param summary one line for people: the sources, the sizes and the scaling in use
     */
    public record Built(Dataset train, Dataset validation, Dataset test, Layout layout, String summary) {
        /** The shape of one example, in the terms of a configuration: "784 features per example (28×28 images)". */
        public String describeExample() {
            return describe(train.exampleShape().dims(), layout);
        }
    }

    /**
     * Reads a {@code data} section into a {@link Built}; {@link #build} is the one of this JVM. A cluster's loader
     * ({@link io.gradscale.cli.ClusterBackend#load}) leaves the examples on the cluster and returns in {@code train}
     * and {@code validation} only their first examples, which stand for the sets in the configuration's checks
     * (the model's input width, the fit check, the presence of validation data).
     */
    @FunctionalInterface
    public interface Loader {
        Built load(ConfigNode data, ConfigNode root, Path baseDir, Rng rng);
    }

    /** The share of a training file held out for validation when neither a share nor a validation section is given. */
    public static final double DEFAULT_VALIDATION_SHARE = 0.2;
    /** IDX pixels: {@code unit} divides by 255 into [0, 1], as MNIST pipelines do. */
    public static final String DEFAULT_IDX_SCALING = "unit";
    /** CSV features are standardized (mean 0, std 1 per column) unless {@code standardize: false}. */
    public static final boolean DEFAULT_CSV_STANDARDIZE = true;

    private static final String[] SOURCES = {"two_spirals", "adding", "temporal_order", "copy", "sine", "csv", "idx", "sequence_csv"};
    private static final Set<String> FILE_SOURCES = Set.of("csv", "idx", "sequence_csv");
    /** Fields of data that a validation or test section does not inherit: the split, the scaling, the files. */
    private static final Set<String> NOT_INHERITED = Set.of("validation", "standardize", "scaling", "path", "labels", "input_scale",
            "non_finite");

    /** Time steps of a forecasting window (sine, sequence_csv) when none is given. */
    public static final int DEFAULT_WINDOW = 32;
    /** Forecast the step right after the window (sine, sequence_csv) unless told otherwise. */
    public static final int DEFAULT_HORIZON = 1;
    /** The largest window or horizon of a sequence CSV file. */
    public static final int MAX_SEQUENCE_CSV_WINDOW = 1_000_000;

    /** Input multiplier when none is given: the inputs as the source makes them. */
    public static final double DEFAULT_INPUT_SCALE = 1.0;
    /** Share of corrupted examples when none is given. */
    public static final double DEFAULT_NON_FINITE = 0.0;

    private DataBuilder() {
    }

    /** One source read: its examples (unscaled), how they are laid out, and a description. */
    private record Loaded(Dataset data, Layout layout, String summary, Dataset.Split split) {
        /** A source read whole. */
        Loaded(Dataset data, Layout layout, String summary) {
            this(data, layout, summary, null);
        }
    }

    /**
     * Builds the data of a run.
     *
     * @param d the {@code data} section
     * @param root the whole configuration, for its optional {@code validation} and {@code test} sections
     */
    public static Built build(ConfigNode d, ConfigNode root, Path baseDir, Rng rng) {
        return build(d, root, baseDir, rng, null);
    }

    /**
     * As {@link #build(ConfigNode, ConfigNode, Path, Rng)}, but data that are to be standardized get {@code fitted}
     * (a trained model's statistics, for {@code evaluate}) instead of statistics fitted on this training set; null fits.
     */
    public static Built build(ConfigNode d, ConfigNode root, Path baseDir, Rng rng, Standardizer fitted) {
        String source = d.choice("source", "two_spirals", SOURCES);
        boolean ownValidation = root.has("validation");
        double share = d.number("validation", ownValidation ? 0.0 : DEFAULT_VALIDATION_SHARE, 0.0, 0.9);
        if (ownValidation && share > 0) {
            throw new ConfigException(d.path() + ".validation: a share of the training data and a validation section exclude"
                    + " each other; remove one of them");
        }
        String idxScaling = source.equals("idx") ? d.choice("scaling", DEFAULT_IDX_SCALING, "unit", "standardize") : null;
        boolean csvStandardize = source.equals("csv") && d.bool("standardize", DEFAULT_CSV_STANDARDIZE);
        double inputScale = d.number("input_scale", DEFAULT_INPUT_SCALE, -1e9, 1e9);
        double nonFinite = d.number("non_finite", DEFAULT_NON_FINITE, 0.0, 1.0);
        Rng loadRng = rng.split();
        // IDX images whose features are used as read are split while they are read (IdxReader.readSplit): the same
        // examples and bits as splitting the whole set below, with the same generator, but the whole set is never held
        // as floats (188 MB for MNIST's training images, written once more into the parts and then dropped)
        Loaded all = source.equals("idx") && share > 0 && inputScale == DEFAULT_INPUT_SCALE && nonFinite == 0
                ? loadIdx(d, baseDir, share, rng.split()) : load(d, source, baseDir, loadRng, 0);
        d.done();

        Dataset train = all.data();
        Dataset validation = null;
        if (all.split() != null) {
            train = all.split().train();
            validation = all.split().validation();
        }
        StringBuilder summary = new StringBuilder(all.summary());
        if (inputScale != DEFAULT_INPUT_SCALE) {
            float[] x = train.features().data();
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (x[i] * inputScale);
            }
            summary.append(", inputs x").append(inputScale);
        }
        if (nonFinite > 0) {
            summary.append(", ").append(corrupt(train, nonFinite, rng.split())).append(" example(s) with a NaN input");
        }
        if (all.split() == null && share > 0 && train.size() >= 2) {
            Dataset.Split s = train.split(share, rng.split());
            train = s.train();
            validation = s.validation();
        }
        Rng heldOut = rng.split(); // drawn whether or not a section uses it, so adding one leaves the others' data as it was
        Loaded val = ownValidation ? heldOut("validation", d, root, source, baseDir, heldOut.split(), train, all.layout()) : null;
        Loaded test = root.has("test") ? heldOut("test", d, root, source, baseDir, heldOut.split(), train, all.layout()) : null;
        if (val != null) {
            validation = val.data();
        }

        Standardizer s = null;
        String scaling = "";
        if (idxScaling != null) {
            if (idxScaling.equals("standardize")) {
                s = fitted != null ? fitted : Standardizer.fitPooled(train.features());
                scaling = String.format(java.util.Locale.ROOT, "pixels / 255, then standardized (mean %.4g, std %.4g over the training pixels)",
                        s.mean()[0], s.std()[0]);
            } else {
                scaling = "pixels scaled to [0, 1] (/ 255)";
            }
        } else if (source.equals("csv")) {
            if (csvStandardize) {
                s = fitted != null ? fitted : Standardizer.fit(train.features());
                scaling = "features standardized (mean 0, std 1 per column, fitted on the training rows)";
            } else {
                scaling = "features as read (standardize: false)";
            }
        }
        if (s != null) {
            train = train.standardize(s);
            validation = validation == null ? null : validation.standardize(s);
        }
        Dataset testSet = test == null ? null : s == null ? test.data() : test.data().standardize(s);
        if (!scaling.isEmpty()) {
            summary.append("; ").append(scaling);
        }
        if (validation != null) {
            summary.append("; ").append(train.size()).append(" train / ").append(validation.size()).append(" validation");
            if (val != null) {
                summary.append(" from ").append(val.summary());
            }
        } else {
            summary.append("; ").append(train.size()).append(" train, no validation");
        }
        if (test != null) {
            summary.append("; test: ").append(testSet.size()).append(" from ").append(test.summary());
        }
        return new Built(train, validation, testSet, all.layout(), summary.toString());
    }

    /**
     * Reads a validation or test section: data's fields, overridden by the section's own, and for a file source
     * its own files. The examples must have the training set's shape and task.
     */
    private static Loaded heldOut(String name, ConfigNode d, ConfigNode root, String dataSource, Path baseDir, Rng rng,
                                  Dataset train, Layout layout) {
        ConfigNode sec = heldOutSection(name, d, root, dataSource);
        String source = sec.choice("source", dataSource, SOURCES);
        Loaded l;
        try {
            l = load(sec, source, baseDir, rng, train.task().classes());
        } catch (io.gradscale.data.DataFormatException | IllegalArgumentException e) {
            // as for the data section: a file that cannot be read stays an I/O error, a defect keeps its type
            throw new ConfigException(name + ": " + e.getMessage(), e);
        }
        sec.done();
        Dataset x = l.data();
        if (!x.exampleShape().equals(train.exampleShape()) || l.layout() != layout) {
            throw new ConfigException(name + ": the " + name + " data has " + describe(x.exampleShape().dims(), l.layout())
                    + " but the training data (data) has " + describe(train.exampleShape().dims(), layout));
        }
        if (!sameTask(x, train)) {
            throw new ConfigException(name + ": the " + name + " data is " + x.task() + " but the training data (data) is "
                    + train.task());
        }
        if (x.size() == 0) {
            throw new ConfigException(name + ": the " + name + " data has no examples");
        }
        return l;
    }

    /**
     * A {@code validation} or {@code test} section as the fields it is read with: data's (those a held-out section
     * inherits), overridden by its own; a file source's section must name its own files.
     */
    public static ConfigNode heldOutSection(String name, ConfigNode d, ConfigNode root, String dataSource) {
        ObjectNode own = root.raw(name) instanceof ObjectNode o ? o : null;
        if (own == null) {
            throw new ConfigException(name + ": expected an object with the fields of data (path, labels, ...), got "
                    + root.raw(name));
        }
        ObjectNode merged = own.objectNode();
        d.fields().forEach((k, v) -> {
            if (!NOT_INHERITED.contains(k)) {
                merged.set(k, v);
            }
        });
        merged.setAll(own.deepCopy());
        merged.remove("weights"); // the test section's own field, read by RunSpec
        ConfigNode sec = new ConfigNode(merged, name);
        String source = sec.choice("source", dataSource, SOURCES);
        if (FILE_SOURCES.contains(source) && !own.has("path")) {
            throw new ConfigException(name + ".path: required: the " + name + " examples' own file (a " + source
                    + " file like data.path)");
        }
        if (source.equals("idx") && !own.has("labels")) {
            throw new ConfigException(name + ".labels: required: the IDX labels file of the " + name + " images");
        }
        return new ConfigNode(merged, name);
    }

    private static boolean sameTask(Dataset a, Dataset b) {
        if (!a.task().equals(b.task())) {
            return false;
        }
        return a.task().hasLabels() || a.targets().shape().without(0).equals(b.targets().shape().without(0));
    }

    /**
     * The IDX training source, split as it is read: {@code share} of its images held out for validation by {@code rng}
     * ({@link IdxReader#readSplit}; the data set is the training part, or the whole set when there is nothing to split).
     */
    private static Loaded loadIdx(ConfigNode d, Path baseDir, double share, Rng rng) {
        d.integer("size", 2000, 1, 10_000_000); // read (and checked) for every source, used by the generated ones
        Path images = baseDir.resolve(d.string("path"));
        Path labels = baseDir.resolve(d.string("labels"));
        int k = d.integer("classes", 10, 2, 1 << 20);
        Dataset.Split s = IdxReader.readSplit(images, labels, k, share, rng);
        int n = s.train().size() + (s.validation() == null ? 0 : s.validation().size());
        return new Loaded(s.train(), Layout.IMAGE, idxSummary(images, labels, n, s.train()), s.validation() == null ? null : s);
    }

    private static String idxSummary(Path images, Path labels, int n, Dataset x) {
        return "IDX " + images + " with " + labels + ", " + n + " images of " + times(x.exampleShape().dims());
    }

    /** Reads one source; {@code classes > 0} fixes a file's class count to the training set's. */
    private static Loaded load(ConfigNode d, String source, Path baseDir, Rng rng, int classes) {
        int size = d.integer("size", 2000, 1, 10_000_000);
        return switch (source) {
            case "two_spirals" -> {
                double noise = d.number("noise", 0.05, 0, 10);
                double turns = d.number("turns", 1.5, 0.1, 20);
                MemoryBudget.data(d.path(), 3.0 * size, "two spirals of " + size + " points");
                yield new Loaded(TwoSpirals.generate(size, turns, noise, rng), Layout.FEATURES,
                        "two spirals, " + size + " points, " + turns + " turns, noise " + noise);
            }
            case "adding" -> {
                int len = d.integer("length", 50, 2, 100_000);
                MemoryBudget.data(d.path(), (double) size * (2.0 * len + 1), size + " adding-problem sequences of length " + len);
                yield new Loaded(AddingProblem.generate(size, len, rng), Layout.SEQUENCE,
                        "adding problem, " + size + " sequences of length " + len);
            }
            case "temporal_order" -> {
                int len = d.integer("length", 50, 8, 100_000);
                MemoryBudget.data(d.path(), (double) size * ((double) len * TemporalOrder.SYMBOLS + 1),
                        size + " temporal-order sequences of length " + len);
                yield new Loaded(TemporalOrder.generate(size, len, rng), Layout.SEQUENCE,
                        "temporal order problem, " + size + " sequences of length " + len);
            }
            case "copy" -> {
                int delay = d.integer("length", 20, 1, 100_000);
                MemoryBudget.data(d.path(), (double) size * (delay + 2.0 * CopyMemory.DEFAULT_COPY_LENGTH) * (CopyMemory.DEFAULT_SYMBOLS + 3),
                        size + " copy-task sequences with delay " + delay);
                yield new Loaded(CopyMemory.generate(size, delay, CopyMemory.DEFAULT_SYMBOLS, CopyMemory.DEFAULT_COPY_LENGTH, rng),
                        Layout.SEQUENCE, "copy task, " + size + " sequences, delay " + delay);
            }
            case "sine" -> {
                int len = d.integer("length", 2000, 10, 10_000_000);
                double noise = d.number("noise", 0.05, 0, 10);
                int window = d.integer("window", DEFAULT_WINDOW, 1, 100_000);
                int horizon = d.integer("horizon", DEFAULT_HORIZON, 1, 100_000);
                double period = d.number("period", 50, 1e-3, 1e9);
                MemoryBudget.data(d.path(), (double) Math.max(0, len - window - horizon + 1) * (window + 1) + len,
                        "a noisy sine of " + len + " points in windows of " + window);
                yield new Loaded(NoisySine.generate(len, period, noise, window, horizon, rng), Layout.SEQUENCE,
                        "noisy sine, " + len + " points, window " + window + ", horizon " + horizon);
            }
            case "csv" -> {
                Path p = baseDir.resolve(d.string("path"));
                String label = d.string("label");
                String task = d.choice("task", "classification", "classification", "regression");
                CsvDataset.Options o = task.equals("classification") ? CsvDataset.Options.classification(label)
                        : CsvDataset.Options.regression(label);
                if (classes > 0 && task.equals("classification")) {
                    o = o.classes(classes);
                }
                Dataset x = CsvDataset.read(p, o);
                yield new Loaded(x, Layout.FEATURES, "CSV " + p + ", label '" + label + "' (" + task + "), "
                        + x.exampleShape().dim(0) + " features");
            }
            case "idx" -> {
                Path images = baseDir.resolve(d.string("path"));
                Path labels = baseDir.resolve(d.string("labels"));
                int k = d.integer("classes", 10, 2, 1 << 20);
                Dataset x = IdxReader.readDataset(images, labels, k);
                yield new Loaded(x, Layout.IMAGE, idxSummary(images, labels, x.size(), x));
            }
            default -> {
                Path p = baseDir.resolve(d.string("path"));
                List<String> cols = strings(d, "columns");
                List<String> targets = d.has("targets") ? strings(d, "targets") : cols;
                int window = d.integer("window", DEFAULT_WINDOW, 1, MAX_SEQUENCE_CSV_WINDOW);
                int horizon = d.integer("horizon", DEFAULT_HORIZON, 1, MAX_SEQUENCE_CSV_WINDOW);
                CsvTable table = CsvTable.read(p);
                MemoryBudget.data(d.path(), (double) Math.max(0, table.rows() - window - horizon + 1) * ((double) window * cols.size() + targets.size()),
                        "windows of " + window + " over " + table.rows() + " rows of " + p);
                yield new Loaded(SequenceCsv.fromTable(table, cols, targets, window, horizon), Layout.SEQUENCE,
                        "sequence CSV " + p + ", window " + window + ", horizon " + horizon);
            }
        };
    }

    /** An example's shape in a configuration's terms, e.g. "784 features per example (28×28 images)". */
    static String describe(int[] dims, Layout layout) {
        int features = 1;
        for (int x : dims) {
            features *= x;
        }
        return switch (layout) {
            case IMAGE -> features + " features per example (" + times(dims) + " images)";
            case SEQUENCE -> dims.length == 2
                    ? dims[1] + " features per time step (sequences of " + dims[0] + " steps)"
                    : "1 feature per time step (sequences of " + features + " steps)";
            case FEATURES -> features + " features per example" + (dims.length > 1 ? " (" + times(dims) + ")" : "");
        };
    }

    private static String times(int[] dims) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : "×").append(dims[i]);
        }
        return b.toString();
    }

    /** Replaces the first feature of a share of the examples, drawn from {@code rng}, by NaN; returns how many. */
    private static int corrupt(Dataset all, double share, Rng rng) {
        int n = all.size();
        int perExample = all.features().size() / n;
        float[] x = all.features().data();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (rng.nextDouble() < share) {
                x[i * perExample] = Float.NaN;
                count++;
            }
        }
        return count;
    }

    /** A field holding column names: one name, or a list of them (sequence_csv's {@code columns} and {@code targets}). */
    public static List<String> strings(ConfigNode d, String name) {
        var raw = d.raw(name);
        if (raw == null) {
            throw new ConfigException(d.path() + "." + name + ": required (a list of column names)");
        }
        if (raw.isTextual()) {
            return List.of(raw.asText());
        }
        if (!raw.isArray()) {
            throw new ConfigException(d.path() + "." + name + ": expected a list of column names, got " + raw);
        }
        String[] out = new String[raw.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = raw.get(i).asText();
        }
        return Arrays.asList(out);
    }
}
