package io.gradscale.cli.experiments;

import java.util.Arrays;
import java.util.Locale;

/** Formats numbers for the summary tables: the same look in every experiment. */
final class Cells {
    private Cells() {
    }

    /** Three significant digits in scientific notation ({@code 3.21e-04}), or {@code NaN}/{@code inf}. */
    static String sci(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%.2e", v);
    }

    /** {@code digits} decimals, or {@code NaN}/{@code inf}. */
    static String fixed(double v, int digits) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** A short form for a list of numbers in one cell: compact scientific notation separated by spaces. */
    static String series(double[] vs) {
        StringBuilder sb = new StringBuilder();
        for (double v : vs) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(Double.isFinite(v) ? String.format(Locale.ROOT, "%.0e", v) : sci(v));
        }
        return sb.toString();
    }

    /** The median of finite and non-finite values alike (NaN sorts last). */
    static double median(double[] vs) {
        if (vs.length == 0) {
            return Double.NaN;
        }
        double[] s = vs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
