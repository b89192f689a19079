package io.gradscale.data;

import io.gradscale.tensor.Tensor;

/**
 * Cuts a multivariate time series into supervised forecasting examples by a sliding window.
 *
 * <p>For a series {@code s[t][j]}, {@code t < T}, with window length {@code w} and horizon {@code h},
 * example {@code i} ({@code 0 <= i < T - w - h + 1}) has inputs {@code s[i .. i+w-1][*]} (shape
 * {@code [w, f]}) and targets {@code s[i+w-1+h][targets]}: horizon 1 forecasts the step right after
 * the window. Windows overlap with stride 1.
 */
public final class Windows {
    private Windows() {}

    /**
     * Windows of {@code series} ({@code [T, f]} row-major); the targets are the columns {@code targetColumns}.
     *
     * @return a regression data set, inputs {@code [n, window, f]}, targets {@code [n, targetColumns.length]}
     */
    public static Dataset of(Tensor series, int window, int horizon, int... targetColumns) {
        if (series.rank() != 2) {
            throw new IllegalArgumentException("a series must have shape [T, features], got " + series.shape());
        }
        int steps = series.dim(0);
        int f = series.dim(1);
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        if (horizon < 1) {
            throw new IllegalArgumentException("horizon must be >= 1, got " + horizon);
        }
        if (targetColumns.length == 0) {
            throw new IllegalArgumentException("at least one target column is needed");
        }
        for (int c : targetColumns) {
            if (c < 0 || c >= f) {
                throw new IllegalArgumentException("target column " + c + " is outside the series' " + f + " columns");
            }
        }
        int n = steps - window - horizon + 1;
        if (n < 1) {
            throw new IllegalArgumentException("a series of " + steps + " steps is too short for window " + window
                    + " and horizon " + horizon + " (needs at least " + (window + horizon) + " steps)");
        }
        float[] s = series.data();
        float[] x = new float[Math.multiplyExact(n, window * f)];
        float[] y = new float[n * targetColumns.length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(s, i * f, x, i * window * f, window * f);
            int t = i + window - 1 + horizon;
            for (int k = 0; k < targetColumns.length; k++) {
                y[i * targetColumns.length + k] = s[t * f + targetColumns[k]];
            }
        }
        return Dataset.regression(Tensor.wrap(x, n, window, f), Tensor.wrap(y, n, targetColumns.length));
    }
}
