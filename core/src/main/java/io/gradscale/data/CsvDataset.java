package io.gradscale.data;

import io.gradscale.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads a table from a CSV file ({@link CsvTable}: RFC 4180, header line required) into a
 * {@link Dataset}: numeric feature columns become features {@code [n, f]}, the label column (named)
 * becomes regression targets {@code [n, 1]} or class labels.
 *
 * <p>Class labels must be written as non-negative integers {@code 0, 1, ...}; the class count is the
 * largest label plus one unless {@link Options#classes(int)} states it (needed when a split file
 * lacks the last class). Feature cells must be finite decimal numbers. A bad cell fails with the file,
 * line and column; a missing column fails with the list of columns found.
 *
 * <p>Standardisation is optional: {@link Options#standardize()} fits the statistics on this file (use
 * it for the training file), {@link Options#standardizeWith(Standardizer)} applies statistics fitted
 * elsewhere (use it for validation and test files, with the training set's
 * {@link Dataset#standardizer()}).
 */
public final class CsvDataset {
    private CsvDataset() {}

    /** How to read a CSV file into a data set. Immutable; each method returns a modified copy. */
    public static final class Options {
        private final String label;
        private final boolean classification;
        private final int classes;
        private final List<String> features;
        private final boolean fitStandardizer;
        private final Standardizer standardizer;

        private Options(String label, boolean classification, int classes, List<String> features, boolean fitStandardizer,
                        Standardizer standardizer) {
            this.label = label;
            this.classification = classification;
            this.classes = classes;
            this.features = features;
            this.fitStandardizer = fitStandardizer;
            this.standardizer = standardizer;
        }

        /** Regression on the column {@code label}; every other column is a feature. */
        public static Options regression(String label) {
            return new Options(Objects.requireNonNull(label, "label"), false, 0, null, false, null);
        }

        /** Classification on the integer column {@code label}; every other column is a feature. */
        public static Options classification(String label) {
            return new Options(Objects.requireNonNull(label, "label"), true, 0, null, false, null);
        }

        /** The number of classes (labels must lie in {@code [0, classes)}); by default the largest label plus one. */
        public Options classes(int classes) {
            if (!classification) {
                throw new IllegalStateException("classes() applies to classification, but these options are for regression");
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes must be >= 2, got " + classes);
            }
            return new Options(label, true, classes, features, fitStandardizer, standardizer);
        }

        /** Only these columns, in this order, are features. */
        public Options features(List<String> columns) {
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("the list of feature columns is empty");
            }
            return new Options(label, classification, classes, List.copyOf(columns), fitStandardizer, standardizer);
        }

        /** Standardise the features with statistics fitted on this file. */
        public Options standardize() {
            return new Options(label, classification, classes, features, true, null);
        }

        /** Standardise the features with statistics fitted elsewhere. */
        public Options standardizeWith(Standardizer s) {
            return new Options(label, classification, classes, features, false, Objects.requireNonNull(s, "standardizer"));
        }
    }

    /** Reads {@code file} as the options say. */
    public static Dataset read(Path file, Options options) {
        return fromTable(CsvTable.read(file), options);
    }

    /** Builds a data set from an already parsed table. */
    public static Dataset fromTable(CsvTable table, Options options) {
        int labelColumn = table.column(options.label);
        List<Integer> featureColumns = new ArrayList<>();
        if (options.features == null) {
            for (int c = 0; c < table.header().size(); c++) {
                if (c != labelColumn) {
                    featureColumns.add(c);
                }
            }
            if (featureColumns.isEmpty()) {
                throw new DataFormatException(table.file() + " has only the label column '" + options.label + "': no features");
            }
        } else {
            for (String name : options.features) {
                int c = table.column(name);
                if (c == labelColumn) {
                    throw new IllegalArgumentException("column '" + name + "' is both the label and a feature");
                }
                featureColumns.add(c);
            }
        }
        int n = table.rows();
        int f = featureColumns.size();
        float[] x = table.numbers(featureColumns.stream().mapToInt(Integer::intValue).toArray());
        Tensor features = Tensor.wrap(x, n, f);
        Dataset d;
        if (options.classification) {
            d = classificationSet(table, features, labelColumn, options.classes);
        } else {
            float[] y = table.numbers(new int[] {labelColumn});
            d = Dataset.regression(features, Tensor.wrap(y, n, 1));
        }
        if (options.fitStandardizer) {
            return d.standardize();
        }
        return options.standardizer != null ? d.standardize(options.standardizer) : d;
    }

    private static Dataset classificationSet(CsvTable table, Tensor features, int column, int statedClasses) {
        int n = table.rows();
        int[] labels = new int[n];
        int max = 0;
        for (int r = 0; r < n; r++) {
            String s = table.cell(r, column).strip();
            int v;
            try {
                v = s.matches("\\d{1,9}") ? Integer.parseInt(s) : -1;
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0) {
                throw new DataFormatException(table.file() + ", line " + table.line(r) + ", column '" + table.header().get(column)
                        + "': expected a class label (an integer 0, 1, ...), got "
                        + (s.isEmpty() ? "an empty cell" : "'" + table.cell(r, column) + "'"));
            }
            if (statedClasses > 0 && v >= statedClasses) {
                throw new DataFormatException(table.file() + ", line " + table.line(r) + ", column '" + table.header().get(column)
                        + "': class label " + v + " is outside [0, " + statedClasses + ")");
            }
            labels[r] = v;
            max = Math.max(max, v);
        }
        int classes = statedClasses > 0 ? statedClasses : max + 1;
        if (classes < 2) {
            throw new DataFormatException(table.file() + ", column '" + table.header().get(column)
                    + "': every label is 0; a classification set needs at least 2 classes (state them with classes(k))");
        }
        return Dataset.classification(features, labels, classes);
    }
}
