package io.gradscale.data;

import io.gradscale.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a time series from a CSV file (one row per time step, in time order; {@link CsvTable}
 * grammar) and cuts it into forecasting windows with {@link Windows}.
 *
 * <p>The input columns {@code columns} form the series {@code [T, f]}; each target column must be one
 * of them. The result has inputs {@code [n, window, f]} and targets {@code [n, targets]},
 * {@code n = T - window - horizon + 1}. Standardise after splitting (fit on the training windows) so
 * that no statistic of the validation period leaks into training.
 */
public final class SequenceCsv {
    private SequenceCsv() {}

    /**
     * Where each target column lies among the series columns, checked against {@code table}'s header (a missing column
     * is named with the columns found): a target must be one of {@code columns}.
     */
    public static int[] targetIndices(CsvTable table, List<String> columns, List<String> targets) {
        if (columns.isEmpty() || targets.isEmpty()) {
            throw new IllegalArgumentException("need at least one series column and one target column, got "
                    + columns + " and " + targets);
        }
        int[] targetIdx = new int[targets.size()];
        for (int k = 0; k < targetIdx.length; k++) {
            table.column(targets.get(k));
            targetIdx[k] = columns.indexOf(targets.get(k));
            if (targetIdx[k] < 0) {
                throw new IllegalArgumentException("target column '" + targets.get(k) + "' must also be a series column "
                        + columns + " (forecasting uses its past values as input)");
            }
        }
        return targetIdx;
    }

    /** Windows over {@code columns} of {@code file}, forecasting {@code targets} {@code horizon} steps ahead. */
    public static Dataset read(Path file, List<String> columns, List<String> targets, int window, int horizon) {
        return fromTable(CsvTable.read(file), columns, targets, window, horizon);
    }

    /** As {@link #read}, on an already parsed table. */
    public static Dataset fromTable(CsvTable table, List<String> columns, List<String> targets, int window, int horizon) {
        if (columns.isEmpty() || targets.isEmpty()) {
            throw new IllegalArgumentException("need at least one series column and one target column, got "
                    + columns + " and " + targets);
        }
        if (window < 1 || horizon < 1) {
            throw new IllegalArgumentException("window and horizon must be >= 1, got " + window + " and " + horizon);
        }
        int f = columns.size();
        int[] cols = new int[f];
        for (int j = 0; j < f; j++) {
            cols[j] = table.column(columns.get(j));
        }
        int[] targetIdx = targetIndices(table, columns, targets);
        int steps = table.rows();
        float[] s = table.numbers(cols);
        try {
            return Windows.of(Tensor.wrap(s, steps, f), window, horizon, targetIdx);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(table.file() + ": " + e.getMessage(), e);
        }
    }
}
