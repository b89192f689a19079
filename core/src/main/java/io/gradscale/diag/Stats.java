package io.gradscale.diag;

import java.util.Arrays;

/** Small robust statistics the detectors share. Non-finite values are ignored unless said otherwise. */
final class Stats {
    private Stats() {
    }

    static double[] finite(double[] x) {
        return Arrays.stream(x).filter(Double::isFinite).toArray();
    }

    static double median(double[] x) {
        double[] f = finite(x);
        if (f.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(f);
        return f.length % 2 == 1 ? f[f.length / 2] : 0.5 * (f[f.length / 2 - 1] + f[f.length / 2]);
    }

    /** The q-quantile of the finite values (the element at rank floor(q (n - 1)) of the sorted values); NaN when none. */
    static double quantile(double[] x, double q) {
        double[] f = finite(x);
        if (f.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(f);
        return f[(int) Math.floor(q * (f.length - 1))];
    }

    static double mean(double[] x) {
        double[] f = finite(x);
        return f.length == 0 ? Double.NaN : Arrays.stream(f).average().orElse(Double.NaN);
    }

    /** Least-squares slope of y against 0, 1, 2, ... over the finite points. */
    static double slope(double[] y) {
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        int n = 0;
        for (int i = 0; i < y.length; i++) {
            if (Double.isFinite(y[i])) {
                sx += i;
                sy += y[i];
                sxx += (double) i * i;
                sxy += i * y[i];
                n++;
            }
        }
        double den = n * sxx - sx * sx;
        return n < 2 || den == 0 ? Double.NaN : (n * sxy - sx * sy) / den;
    }

    static double log10(double v) {
        return v > 0 ? Math.log10(v) : Double.NaN;
    }

    /** Mean of the first {@code n} finite values. */
    static double head(double[] x, int n) {
        return mean(Arrays.copyOf(finite(x), Math.min(n, finite(x).length)));
    }

    /** Mean of the last {@code n} finite values. */
    static double tail(double[] x, int n) {
        double[] f = finite(x);
        return mean(Arrays.copyOfRange(f, Math.max(0, f.length - n), f.length));
    }

    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e4) ? String.format(java.util.Locale.ROOT, "%.2e", v)
                : String.format(java.util.Locale.ROOT, "%.3g", v);
    }
}
