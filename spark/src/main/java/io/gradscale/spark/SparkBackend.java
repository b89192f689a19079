package io.gradscale.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.gradscale.cli.ClusterBackend;
import io.gradscale.cli.config.ClusterSpec;
import io.gradscale.cli.config.ConfigException;
import io.gradscale.cli.config.ConfigNode;
import io.gradscale.cli.config.DataBuilder;
import io.gradscale.cli.config.ModelBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.data.Dataset;
import io.gradscale.data.Standardizer;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Rng;
import io.gradscale.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The command line's Spark backend ({@code ./gradscale train CONFIG --spark MASTER}, or a {@code spark:} section).
 * CSV and IDX data are read by the executors ({@link DistributedDataset}); the built-in tasks are generated on the
 * driver and spread over the partitions. The data section is read as {@link DataBuilder#build} reads it, with the
 * same draws from the run's generator (the validation split) and the CSV standardizer fitted on the training part,
 * so a run with {@code training.micro_batches: k} trains the same bits here as in one JVM. A separate
 * {@code validation} or {@code test} section of a file source is read by the executors too and evaluated there, with
 * the bits of {@link Trainer#evaluate} in one JVM. Sequence CSV files are cut into their overlapping windows on the
 * executors ({@link DistributedDataset#sequenceCsv}).
 */
public final class SparkBackend implements ClusterBackend {
    private ClusterSpec spec;
    private JavaSparkContext sc;
    private int partitions;
    private DistributedDataset train;
    private DistributedDataset validation;
    /** A file source's test section, read and scored by the executors (null: none, or a built-in task's, held here). */
    private DistributedDataset test;
    private Dataset localValidation;
    private DataBuilder.Layout dataLayout;
    private SparkGradients gradients;

    @Override
    public void open(ClusterSpec s) {
        SparkSettings settings = new SparkSettings(s.master(), s.partitions(), s.conf());
        this.spec = s;
        this.sc = settings.open();
        this.partitions = settings.partitionsOn(sc);
    }

    @Override
    public DataBuilder.Built load(ConfigNode d, ConfigNode root, Path baseDir, Rng rng) {
        JsonNode src = d.raw("source");
        String source = src == null ? "" : src.asText();
        boolean file = source.equals("csv") || source.equals("idx") || source.equals("sequence_csv");
        if (!file) {
            if (root.has("validation") || root.has("test")) {
                // generated on the driver like the training set: held-out sections stay there too
                DataBuilder.Built b = DataBuilder.build(d, root, baseDir, rng);
                train = DistributedDataset.of(sc, b.train(), partitions);
                localValidation = b.validation();
                dataLayout = b.layout();
                return new DataBuilder.Built(head(train), b.validation(), b.test(), b.layout(), b.summary()
                        + " (generated on the driver, training set spread over " + partitions + " partitions)");
            }
            DataBuilder.Built b = DataBuilder.build(d, root, baseDir, rng);
            train = DistributedDataset.of(sc, b.train(), partitions);
            localValidation = b.validation();
            dataLayout = b.layout();
            return new DataBuilder.Built(head(train), b.validation(), null, b.layout(), b.summary()
                    + " (generated on the driver, spread over " + partitions + " partitions)");
        }
        d.string("source");
        boolean ownValidation = root.has("validation");
        double share = d.number("validation", ownValidation ? 0.0 : DataBuilder.DEFAULT_VALIDATION_SHARE, 0.0, 0.9);
        if (ownValidation && share > 0) {
            throw new ConfigException(d.path() + ".validation: a share of the training data and a validation section exclude"
                    + " each other; remove one of them");
        }
        boolean standardize = false;
        boolean pooled = false;
        if (source.equals("idx")) {
            pooled = d.choice("scaling", DataBuilder.DEFAULT_IDX_SCALING, "unit", "standardize").equals("standardize");
        } else if (source.equals("csv")) {
            standardize = d.bool("standardize", DataBuilder.DEFAULT_CSV_STANDARDIZE);
        }
        rng.split(); // DataBuilder draws the loading's generator here for every source
        d.integer("size", 2000, 1, 10_000_000); // read for every source by DataBuilder; no meaning for files
        String path = uri(baseDir, d.string("path"));
        DistributedDataset all;
        String summary;
        if (source.equals("idx")) {
            all = DistributedDataset.idx(sc, path, uri(baseDir, d.string("labels")), d.integer("classes", 10, 2, 1 << 20), partitions);
            dataLayout = DataBuilder.Layout.IMAGE;
            summary = all.source();
        } else if (source.equals("sequence_csv")) {
            all = sequenceCsv(d, path);
            dataLayout = DataBuilder.Layout.SEQUENCE;
            summary = all.source();
        } else {
            String label = d.string("label");
            boolean classification = d.choice("task", "classification", "classification", "regression").equals("classification");
            all = DistributedDataset.csv(sc, path, label, classification ? 0 : -1, partitions);
            dataLayout = DataBuilder.Layout.FEATURES;
            summary = all.source();
        }
        d.done();
        train = all;
        validation = null;
        if (share > 0 && all.size() >= 2) {
            DistributedDataset.Split s = all.split(share, rng.split());
            train = s.train();
            validation = s.validation();
        }
        rng.split(); // DataBuilder's generator of held-out sections, drawn whether or not one is used
        if (ownValidation) {
            validation = heldOut("validation", DataBuilder.heldOutSection("validation", d, root, source), source, baseDir, train);
        }
        test = root.has("test") ? heldOut("test", DataBuilder.heldOutSection("test", d, root, source), source, baseDir, train) : null;
        if (standardize || pooled) {
            Standardizer st = pooled ? train.fitPooledStandardizer() : train.fitStandardizer();
            train = train.standardize(st);
            validation = validation == null ? null : validation.standardize(st);
            test = test == null ? null : test.standardize(st);
            summary += pooled ? String.format(java.util.Locale.ROOT,
                    ", pixels / 255, then standardized (mean %.4g, std %.4g over the training pixels)", st.mean()[0], st.std()[0])
                    : ", features standardized (mean 0, std 1 per column, fitted on the training rows)";
        } else if (source.equals("idx")) {
            summary += ", pixels scaled to [0, 1] (/ 255)";
        }
        summary += validation == null ? "; " + train.size() + " train, no validation"
                : "; " + train.size() + " train / " + validation.size() + " validation"
                + (ownValidation ? " from " + validation.source() : "");
        if (test != null) {
            summary += "; test: " + test.size() + " from " + test.source();
        }
        return new DataBuilder.Built(head(train), validation == null ? null : head(validation), test == null ? null : head(test),
                dataLayout, summary + "; read by the executors");
    }

    /**
     * Reads a separate validation or test section's files on the executors, as {@link DataBuilder#build} reads them in one JVM:
     * the data section's fields overridden by the section's own, the class count fixed to the training set's, the
     * same example shape and task required.
     */
    private DistributedDataset heldOut(String name, ConfigNode sec, String dataSource, Path baseDir, DistributedDataset trainSet) {
        String source = sec.choice("source", dataSource, dataSource);
        sec.integer("size", 2000, 1, 10_000_000); // read for every source by DataBuilder; no meaning for files
        Layout t = trainSet.layout();
        DistributedDataset v;
        try {
            if (source.equals("idx")) {
                v = DistributedDataset.idx(sc, uri(baseDir, sec.string("path")), uri(baseDir, sec.string("labels")),
                        t.classes(), partitions);
                sec.integer("classes", 10, 2, 1 << 20);
            } else if (source.equals("sequence_csv")) {
                v = sequenceCsv(sec, uri(baseDir, sec.string("path")));
            } else {
                boolean classification = sec.choice("task", "classification", "classification", "regression").equals("classification");
                v = DistributedDataset.csv(sc, uri(baseDir, sec.string("path")), sec.string("label"),
                        classification ? t.classes() : -1, partitions);
            }
        } catch (io.gradscale.data.DataFormatException | IllegalArgumentException e) {
            throw new ConfigException(name + ": " + e.getMessage(), e);
        }
        sec.done();
        Layout l = v.layout();
        if (!java.util.Arrays.equals(l.exampleDims(), t.exampleDims()) || !java.util.Arrays.equals(l.targetDims(), t.targetDims())
                || l.classes() != t.classes() || l.steps() != t.steps()) {
            throw new ConfigException(name + ": the " + name + " data's examples are " + describe(l) + " but the training data's are "
                    + describe(t));
        }
        return v;
    }

    /** A sequence CSV file's windows, the section's fields read as {@link DataBuilder#build} reads them. */
    private DistributedDataset sequenceCsv(ConfigNode d, String path) {
        List<String> cols = DataBuilder.strings(d, "columns");
        List<String> targets = d.has("targets") ? DataBuilder.strings(d, "targets") : cols;
        int window = d.integer("window", DataBuilder.DEFAULT_WINDOW, 1, DataBuilder.MAX_SEQUENCE_CSV_WINDOW);
        int horizon = d.integer("horizon", DataBuilder.DEFAULT_HORIZON, 1, DataBuilder.MAX_SEQUENCE_CSV_WINDOW);
        return DistributedDataset.sequenceCsv(sc, path, cols, targets, window, horizon, partitions);
    }

    private static String describe(Layout l) {
        return java.util.Arrays.toString(l.exampleDims()) + (l.classes() > 0 ? " in " + l.classes() + " classes"
                : " with targets " + java.util.Arrays.toString(l.targetDims()));
    }

    /** The first example of a distributed set, standing for it in the configuration's checks. */
    private static Dataset head(DistributedDataset d) {
        return d.layout().toDataset(List.of(first(d).at(0)));
    }

    private static Example first(DistributedDataset d) {
        try {
            return d.rows().filter(e -> e.index() == 0).first();
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw DistributedDataset.readFailure(d.source(), e);
        }
    }

    @Override
    public int trainSize() {
        return train.size();
    }

    /** A relative path is the configuration's directory's; anything with a scheme is a Hadoop URI, kept as written. */
    static String uri(Path baseDir, String path) {
        if (path.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !path.matches("[A-Za-z]:\\\\.*")) {
            return path;
        }
        return baseDir.resolve(path).toAbsolutePath().toUri().toString();
    }

    /**
     * Builds the run's architecture on an executor from the model section and one example (the model's input width
     * and layout come from the data, as in {@link RunSpec#build}); the weights are the driver's, loaded each step.
     */
    public record CliModelFactory(String modelJson, Example probe, Layout layout, DataBuilder.Layout dataLayout, long seed)
            implements ModelFactory {
        @Override
        public Module create() {
            try {
                JsonNode m = JsonMapper.builder().build().readTree(modelJson);
                Dataset one = layout.toDataset(List.of(probe));
                int outputs = layout.classes() > 0 ? layout.classes() : Layout.product(layout.targetDims());
                return ModelBuilder.build(new ConfigNode(m, "model"), new DataBuilder.Built(one, null, null, dataLayout, ""),
                        outputs, layout.classes() > 0 && layout.steps() > 1, new Rng(seed)).model();
            } catch (IOException e) {
                throw new IllegalStateException("model section: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public Trainer.Result train(Trainer trainer, RunSpec run, long untilStep) {
        ModelFactory factory = new CliModelFactory(run.config().path("model").toString(), first(train).at(0), train.layout(),
                dataLayout, run.seed());
        SparkGradients.Reduction r = spec.reduction().equals("tree_aggregate") ? SparkGradients.Reduction.TREE_AGGREGATE
                : SparkGradients.Reduction.FIXED_TREE;
        gradients = new SparkGradients(sc, train, run.model().model(), factory, partitions, r);
        Trainer.Validation val = null;
        if (validation != null) {
            DistributedDataset v = validation;
            val = validation(v.size(), () -> gradients.evaluate(v));
        } else if (localValidation != null && localValidation.size() > 0) {
            Dataset v = localValidation;
            val = validation(v.size(), () -> trainer.evaluate(v));
        }
        try {
            return trainer.run(gradients, val, untilStep);
        } finally {
            gradients.close();
        }
    }

    private static Trainer.Validation validation(int size, java.util.function.Supplier<Trainer.Evaluation> evaluation) {
        return new Trainer.Validation() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Trainer.Evaluation evaluate() {
                return evaluation.get();
            }
        };
    }

    @Override
    public Scored test(Trainer trainer) {
        if (test == null) {
            return null;
        }
        if (gradients == null) {
            throw new IllegalStateException("the test section is scored after training (train was not called)");
        }
        return new Scored(test.size(), gradients.evaluate(test));
    }

    @Override
    public String describe() {
        return "Spark " + sc.master() + ", " + partitions + " partitions, " + spec.reduction().replace('_', ' ');
    }

    @Override
    public String timings() {
        return gradients == null ? "no steps" : gradients.times().toString();
    }

    @Override
    public void close() {
        if (sc != null) {
            sc.stop();
        }
    }
}
