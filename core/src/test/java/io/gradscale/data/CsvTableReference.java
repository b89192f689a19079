package io.gradscale.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The character-by-character CSV parser {@link CsvTable} replaced (a {@code String} per cell, a regular
 * expression per number), kept as the reference the fast table is held to: same cells, lines, numbers and
 * error messages (see {@code CsvTableTest}).
 */
final class CsvTableReference {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private final Path file;
    private final List<String> header;
    private final List<String[]> rows;
    private final int[] lines;

    private CsvTableReference(Path file, List<String> header, List<String[]> rows, int[] lines) {
        this.file = file;
        this.header = List.copyOf(header);
        this.rows = rows;
        this.lines = lines;
    }

    /** Reads and checks a UTF-8 CSV file with a header line. */
    static CsvTableReference read(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new DataFormatException(file + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV file " + file + ": " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** Parses CSV text; {@code file} is used in error messages only. */
    static CsvTableReference parse(Path file, String text) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (text.isEmpty()) {
            throw new DataFormatException(file + " is empty: expected a header line of column names");
        }
        List<String[]> records = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        new Parser(file, text).parse(records, starts);
        String[] head = records.get(0);
        Map<String, Integer> seen = new HashMap<>();
        for (int c = 0; c < head.length; c++) {
            if (head[c].isBlank()) {
                throw new DataFormatException(file + ", line 1: column " + (c + 1) + " has an empty name");
            }
            Integer prev = seen.put(head[c], c);
            if (prev != null) {
                throw new DataFormatException(file + ", line 1: column name '" + head[c] + "' appears twice (columns "
                        + (prev + 1) + " and " + (c + 1) + ")");
            }
        }
        if (records.size() == 1) {
            throw new DataFormatException(file + " has a header line but no data rows");
        }
        List<String[]> rows = new ArrayList<>(records.size() - 1);
        int[] lines = new int[records.size() - 1];
        for (int r = 1; r < records.size(); r++) {
            String[] row = records.get(r);
            int line = starts.get(r);
            if (row.length != head.length) {
                String what = row.length == 1 && row[0].isEmpty() ? "is empty" : "has " + row.length + " fields";
                throw new DataFormatException(file + ", line " + line + " " + what + " but the header (line 1) has "
                        + head.length + " columns: " + String.join(", ", head));
            }
            rows.add(row);
            lines[r - 1] = line;
        }
        return new CsvTableReference(file, List.of(head), rows, lines);
    }

    public Path file() {
        return file;
    }

    /** The column names in file order. */
    public List<String> header() {
        return header;
    }

    /** Number of data rows. */
    public int rows() {
        return rows.size();
    }

    /** The 1-based line on which data row {@code row} (0-based) starts. */
    public int line(int row) {
        return lines[row];
    }

    /** The text of a cell. */
    public String cell(int row, int column) {
        return rows.get(row)[column];
    }

    /** The index of the column called {@code name}, or an error listing the columns found. */
    public int column(String name) {
        int c = header.indexOf(name);
        if (c < 0) {
            throw new DataFormatException(file + " has no column '" + name + "'; columns found: " + String.join(", ", header));
        }
        return c;
    }

    /**
     * A cell as a finite decimal number ({@code [+-]digits[.digits][e[+-]digits]}, surrounding spaces
     * allowed), or an error naming file, line, column, and the text found.
     */
    public float number(int row, int column) {
        String s = rows.get(row)[column].strip();
        if (!DECIMAL.matcher(s).matches()) {
            throw new DataFormatException(file + ", line " + lines[row] + ", column '" + header.get(column) + "': expected a number, got "
                    + (s.isEmpty() ? "an empty cell" : "'" + rows.get(row)[column] + "'"));
        }
        float v = Float.parseFloat(s);
        if (!Float.isFinite(v)) {
            throw new DataFormatException(file + ", line " + lines[row] + ", column '" + header.get(column) + "': " + s
                    + " is outside the float32 range");
        }
        return v;
    }

    /** One pass over the text, by the RFC 4180 grammar. */
    private static final class Parser {
        private final Path file;
        private final String text;
        private int pos;
        private int line = 1;

        Parser(Path file, String text) {
            this.file = file;
            this.text = text;
        }

        void parse(List<String[]> records, List<Integer> starts) {
            int n = text.length();
            while (pos < n) {
                starts.add(line);
                records.add(record());
            }
        }

        private String[] record() {
            List<String> fields = new ArrayList<>();
            while (true) {
                fields.add(field());
                if (pos >= text.length()) {
                    return fields.toArray(new String[0]);
                }
                char c = text.charAt(pos);
                if (c == ',') {
                    pos++;
                } else {
                    endOfLine();
                    return fields.toArray(new String[0]);
                }
            }
        }

        private void endOfLine() {
            if (text.charAt(pos) == '\r') {
                pos++;
                if (pos < text.length() && text.charAt(pos) == '\n') {
                    pos++;
                }
            } else {
                pos++;
            }
            line++;
        }

        private String field() {
            int n = text.length();
            if (pos < n && text.charAt(pos) == '"') {
                int openLine = line;
                pos++;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    if (pos >= n) {
                        throw new DataFormatException(file + ", line " + openLine + ": a quoted field opened here is not closed"
                                + " before the end of the file");
                    }
                    char c = text.charAt(pos++);
                    if (c == '"') {
                        if (pos < n && text.charAt(pos) == '"') {
                            sb.append('"');
                            pos++;
                        } else {
                            break;
                        }
                    } else {
                        if (c == '\n' || (c == '\r' && (pos >= n || text.charAt(pos) != '\n'))) {
                            line++;
                        }
                        sb.append(c);
                    }
                }
                if (pos < n && text.charAt(pos) != ',' && text.charAt(pos) != '\r' && text.charAt(pos) != '\n') {
                    throw new DataFormatException(file + ", line " + line + ": unexpected '" + text.charAt(pos)
                            + "' after a closing quote (expected a comma or the end of the line)");
                }
                return sb.toString();
            }
            int start = pos;
            while (pos < n) {
                char c = text.charAt(pos);
                if (c == ',' || c == '\r' || c == '\n') {
                    break;
                }
                if (c == '"') {
                    throw new DataFormatException(file + ", line " + line + ": a double quote inside an unquoted field"
                            + " (RFC 4180 allows quotes only in fields enclosed in quotes, doubled)");
                }
                pos++;
            }
            return text.substring(start, pos);
        }
    }
}
