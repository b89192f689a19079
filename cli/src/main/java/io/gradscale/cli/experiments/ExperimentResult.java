package io.gradscale.cli.experiments;

import java.util.ArrayList;
import java.util.List;

/**
 * What an experiment found: a summary table (one row per variant or group of variants), a conclusion
 * drawn from the measured numbers, and every run it trained.
 *
 * @param name the experiment's name
 * @param title the experiment's title
 * @param header the table's column names
 * @param rows the table's rows, each as long as the header
 * @param conclusion what the numbers show, in a sentence or two
 * @param runs every variant that was trained, with its run directory and key numbers
 */
public record ExperimentResult(String name, String title, List<String> header, List<List<String>> rows, String conclusion,
                               List<RunOutcome> runs) {
    public ExperimentResult {
        header = List.copyOf(header);
        List<List<String>> copy = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).size() != header.size()) {
                throw new IllegalArgumentException("experiment '" + name + "': table row " + i + " has " + rows.get(i).size()
                        + " cells but the header has " + header.size() + " columns " + header);
            }
            copy.add(List.copyOf(rows.get(i)));
        }
        rows = List.copyOf(copy);
        runs = List.copyOf(runs);
    }

    /** The run labelled {@code label}; fails naming the labels there are. */
    public RunOutcome run(String label) {
        for (RunOutcome r : runs) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("experiment '" + name + "' has no run '" + label + "'; it has "
                + runs.stream().map(RunOutcome::label).toList());
    }

    /** The table as aligned plain text, columns separated by two spaces, with a rule under the header. */
    public String table() {
        int[] width = new int[header.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = header.get(c).length();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width);
        for (int c = 0; c < width.length; c++) {
            sb.append("-".repeat(width[c])).append(c + 1 < width.length ? "  " : "\n");
        }
        for (List<String> r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width) {
        for (int c = 0; c < width.length; c++) {
            String s = cells.get(c);
            sb.append(s);
            if (c + 1 < width.length) {
                sb.append(" ".repeat(width[c] - s.length() + 2));
            }
        }
        sb.append('\n');
    }
}
