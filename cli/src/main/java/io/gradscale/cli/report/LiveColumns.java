package io.gradscale.cli.report;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.Arrays;

/**
 * A table of numbers for the live page, column by column, that grows by rows, keeps every {@code stride}-th
 * row offered, doubles the stride (dropping every second row held) when it holds more than its bound, and
 * tells what changed since its last {@link #mark}: which of the rows then present survive ({@link
 * #writeDelta}'s {@code keep}) and which rows came after.
 *
 * <p>Rows are counted separately in each {@code group} (so that rows of a rarer kind, e.g. the steps with
 * per-layer statistics, keep their share): a row is held when its number in its group is a multiple of the
 * stride, or when it is special (a skipped or non-finite step; while they are at most half the bound, beyond
 * which they are thinned like the others). So the rows held are evenly spread over the run, between half the
 * bound and the bound of them, and a thinning happens only each time the run doubles. The page holds the same
 * rows in the same order: {@code keep} names, by their indices at the mark, the rows that survive, so that
 * applying a delta to the marked rows gives exactly this table's rows.
 *
 * <p>Not thread-safe: owned by the live server's publishing thread.
 */
final class LiveColumns {
    private final int maxRows;
    private double[][] cols;
    private boolean[] special = new boolean[16];
    private int[] group = new int[16];
    // each row's number in its group, among all rows offered
    private long[] ordinal = new long[16];
    // rows offered so far, per group
    private long[] offered = new long[2];
    private long stride = 1;
    private int specials;
    private int rows;
    // rows present at the last mark that are still here (they are rows 0 .. survivors - 1)
    private int survivors;
    // null while no row present at the mark was dropped; else, for each survivor, its index at the mark
    private int[] keepFromMark;

    LiveColumns(int width, int maxRows) {
        if (maxRows < 4) {
            throw new IllegalArgumentException("a live table holds at least 4 rows, got " + maxRows);
        }
        this.maxRows = maxRows;
        cols = new double[width][16];
    }

    int rows() {
        return rows;
    }

    int width() {
        return cols.length;
    }

    double get(int col, int row) {
        return cols[col][row];
    }

    /** Adds a column, NaN (drawn as a gap) in every row so far. */
    void addColumn() {
        double[][] wider = Arrays.copyOf(cols, cols.length + 1);
        wider[cols.length] = new double[special.length];
        Arrays.fill(wider[cols.length], Double.NaN);
        cols = wider;
    }

    /**
     * Counts the next row of {@code rowGroup} as offered and returns true when the table would not hold it (neither
     * its number a multiple of the stride nor a special row it has room for), so that the caller need not build it;
     * returns false, counting nothing, when it would: then {@link #append} it. On a long run most rows are skipped.
     */
    boolean skips(boolean isSpecial, int rowGroup) {
        if (rowGroup < offered.length && !holds(offered[rowGroup], isSpecial)) {
            offered[rowGroup]++;
            return true;
        }
        return false;
    }

    /** True when the row numbered {@code number} in its group is held: a multiple of the stride, or special with room. */
    private boolean holds(long number, boolean isSpecial) {
        return number % stride == 0 || isSpecial && specials < maxRows / 2;
    }

    /**
     * Offers a row: {@code values} has one value per column (NaN for none); the table keeps no reference to it.
     * Holds it when the stride says so or it is special; thins the table when it then holds more than its bound.
     * {@code rowGroup} is a small non-negative number.
     */
    void append(double[] values, boolean isSpecial, int rowGroup) {
        if (values.length != cols.length) {
            throw new IllegalArgumentException("a row of " + values.length + " values for " + cols.length + " columns");
        }
        if (rowGroup >= offered.length) {
            offered = Arrays.copyOf(offered, rowGroup + 1);
        }
        long number = offered[rowGroup]++;
        if (!holds(number, isSpecial)) {
            return;
        }
        boolean keepSpecial = isSpecial && specials < maxRows / 2;
        if (rows == special.length) {
            int capacity = rows * 2;
            for (int c = 0; c < cols.length; c++) {
                cols[c] = Arrays.copyOf(cols[c], capacity);
            }
            special = Arrays.copyOf(special, capacity);
            group = Arrays.copyOf(group, capacity);
            ordinal = Arrays.copyOf(ordinal, capacity);
        }
        for (int c = 0; c < cols.length; c++) {
            cols[c][rows] = values[c];
        }
        special[rows] = keepSpecial;
        group[rows] = rowGroup;
        ordinal[rows] = number;
        specials += keepSpecial ? 1 : 0;
        rows++;
        while (rows > maxRows) {
            stride *= 2;
            thin();
        }
    }

    /** Drops the rows the stride no longer keeps (specials stay). */
    private void thin() {
        int kept = 0;
        int keptSpecials = 0;
        int keptSurvivors = 0;
        if (survivors > 0 && keepFromMark == null) {
            keepFromMark = new int[survivors];
            for (int k = 0; k < survivors; k++) {
                keepFromMark[k] = k;
            }
        }
        for (int i = 0; i < rows; i++) {
            if (!special[i] && ordinal[i] % stride != 0) {
                continue;
            }
            for (int c = 0; c < cols.length; c++) {
                cols[c][kept] = cols[c][i];
            }
            special[kept] = special[i];
            group[kept] = group[i];
            ordinal[kept] = ordinal[i];
            keptSpecials += special[i] ? 1 : 0;
            if (i < survivors) {
                // compacted in place: keptSurvivors <= i
                keepFromMark[keptSurvivors++] = keepFromMark[i];
            }
            kept++;
        }
        if (keepFromMark != null) {
            survivors = keptSurvivors;
        }
        rows = kept;
        specials = keptSpecials;
    }

    /** True when rows were added or dropped since the last {@link #mark}. */
    boolean changed() {
        return keepFromMark != null || rows != survivors;
    }

    /** The page now holds this table: what changes from here on goes into the next delta. */
    void mark() {
        survivors = rows;
        keepFromMark = null;
    }

    /**
     * Writes the whole table: {@code {"rows": [[column 0...], [column 1...], ...]}}, the columns in {@code order}
     * (indices of this table's columns; null: as they are).
     */
    void writeFull(JsonGenerator g, int[] order) throws IOException {
        g.writeStartObject();
        writeRows(g, 0, order);
        g.writeEndObject();
    }

    /**
     * Writes what changed since the mark: {@code {"keep": [indices at the mark of the surviving rows], "rows":
     * [[new values of column 0...], ...]}}, {@code keep} only when a row present at the mark was dropped; columns as
     * in {@link #writeFull}.
     */
    void writeDelta(JsonGenerator g, int[] order) throws IOException {
        g.writeStartObject();
        if (keepFromMark != null) {
            g.writeArrayFieldStart("keep");
            for (int k = 0; k < survivors; k++) {
                g.writeNumber(keepFromMark[k]);
            }
            g.writeEndArray();
        }
        writeRows(g, survivors, order);
        g.writeEndObject();
    }

    private void writeRows(JsonGenerator g, int from, int[] order) throws IOException {
        g.writeArrayFieldStart("rows");
        for (int c = 0; c < cols.length; c++) {
            double[] col = cols[order == null ? c : order[c]];
            g.writeStartArray();
            for (int i = from; i < rows; i++) {
                LiveState.writeNumber(g, col[i]);
            }
            g.writeEndArray();
        }
        g.writeEndArray();
    }
}
