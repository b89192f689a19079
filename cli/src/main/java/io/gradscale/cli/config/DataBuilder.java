package io.gradscale.cli.config;

import io.gradscale.data.CsvDataset;
import io.gradscale.data.Dataset;
import io.gradscale.data.IdxReader;
import io.gradscale.data.SequenceCsv;
import io.gradscale.data.tasks.AddingProblem;
import io.gradscale.data.tasks.CopyMemory;
import io.gradscale.data.tasks.NoisySine;
import io.gradscale.data.tasks.TemporalOrder;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.tensor.Rng;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the {@code data} section: a built-in task or a file, and the validation split.
 *
 * <pre>
 * data:
 *   source: two_spirals   # two_spirals | adding | temporal_order | copy | sine | csv | idx | sequence_csv
 *   size: 2000            # examples of a built-in task
 *   length: 50            # sequence length (adding, temporal_order), delay (copy), series length (sine)
 *   noise: 0.05           # two_spirals, sine
 *   path: data.csv        # csv, sequence_csv, idx (images); relative to the configuration file
 *   labels: labels.idx    # idx: the labels file
 *   label: target         # csv: the label column
 *   task: classification  # csv: classification | regression
 *   columns: [a, b]       # sequence_csv: input columns; targets: [b]
 *   window: 32            # sequence_csv, sine: input window; horizon: 1
 *   standardize: true     # csv: standardize each feature column to mean 0, std 1
 *   validation: 0.2       # share held out for validation (0 = none)
 * </pre>
 */
public final class DataBuilder {
    /** The built data: training and (possibly empty) validation sets, and a description. */
    public record Built(Dataset train, Dataset validation, String summary) {
    }

    private static final String[] SOURCES = {"two_spirals", "adding", "temporal_order", "copy", "sine", "csv", "idx", "sequence_csv"};

    private DataBuilder() {
    }

    public static Built build(ConfigNode d, Path baseDir, Rng rng) {
        String source = d.choice("source", "two_spirals", SOURCES);
        int size = d.integer("size", 2000, 1, 10_000_000);
        double validation = d.number("validation", 0.2, 0.0, 0.9);
        Dataset all;
        String summary;
        switch (source) {
            case "two_spirals" -> {
                double noise = d.number("noise", 0.05, 0, 10);
                double turns = d.number("turns", 1.5, 0.1, 20);
                all = TwoSpirals.generate(size, turns, noise, rng.split());
                summary = "two spirals, " + size + " points, " + turns + " turns, noise " + noise;
            }
            case "adding" -> {
                int len = d.integer("length", 50, 2, 100_000);
                all = AddingProblem.generate(size, len, rng.split());
                summary = "adding problem, " + size + " sequences of length " + len;
            }
            case "temporal_order" -> {
                int len = d.integer("length", 50, 8, 100_000);
                all = TemporalOrder.generate(size, len, rng.split());
                summary = "temporal order problem, " + size + " sequences of length " + len;
            }
            case "copy" -> {
                int delay = d.integer("length", 20, 1, 100_000);
                all = CopyMemory.generate(size, delay, CopyMemory.DEFAULT_SYMBOLS, CopyMemory.DEFAULT_COPY_LENGTH, rng.split());
                summary = "copy task, " + size + " sequences, delay " + delay;
            }
            case "sine" -> {
                int len = d.integer("length", 2000, 10, 10_000_000);
                double noise = d.number("noise", 0.05, 0, 10);
                int window = d.integer("window", 32, 1, 100_000);
                int horizon = d.integer("horizon", 1, 1, 100_000);
                double period = d.number("period", 50, 1e-3, 1e9);
                all = NoisySine.generate(len, period, noise, window, horizon, rng.split());
                summary = "noisy sine, " + len + " points, window " + window + ", horizon " + horizon;
            }
            case "csv" -> {
                Path p = baseDir.resolve(d.string("path"));
                String label = d.string("label");
                String task = d.choice("task", "classification", "classification", "regression");
                CsvDataset.Options o = task.equals("classification") ? CsvDataset.Options.classification(label)
                        : CsvDataset.Options.regression(label);
                if (d.bool("standardize", true)) {
                    o = o.standardize();
                }
                all = CsvDataset.read(p, o);
                summary = "CSV " + p + ", label '" + label + "' (" + task + ")";
            }
            case "idx" -> {
                Path images = baseDir.resolve(d.string("path"));
                Path labels = baseDir.resolve(d.string("labels"));
                int classes = d.integer("classes", 10, 2, 1 << 20);
                all = IdxReader.readDataset(images, labels, classes);
                summary = "IDX " + images + " with " + labels;
            }
            default -> {
                Path p = baseDir.resolve(d.string("path"));
                List<String> cols = strings(d, "columns");
                List<String> targets = d.has("targets") ? strings(d, "targets") : cols;
                int window = d.integer("window", 32, 1, 1_000_000);
                int horizon = d.integer("horizon", 1, 1, 1_000_000);
                all = SequenceCsv.read(p, cols, targets, window, horizon);
                summary = "sequence CSV " + p + ", window " + window + ", horizon " + horizon;
            }
        }
        d.done();
        if (validation <= 0 || all.size() < 2) {
            return new Built(all, null, summary);
        }
        Dataset.Split s = all.split(validation, rng.split());
        return new Built(s.train(), s.validation(), summary + "; " + s.train().size() + " train / " + s.validation().size() + " validation");
    }

    private static List<String> strings(ConfigNode d, String name) {
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
