package io.gradscale.data;

import io.gradscale.io.FileErrors;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A CSV file as text cells: a header row of column names, then data rows, each remembering the
 * 1-based line it starts on.
 *
 * <p>The grammar is RFC 4180 ("Common Format and MIME Type for Comma-Separated Values Files"):
 * fields separated by commas, records by CRLF (a bare LF is accepted too), a field may be enclosed
 * in double quotes and then hold commas, line breaks and doubled quotes ({@code ""} for {@code "}).
 * A UTF-8 byte order mark is skipped. The final line break is optional. A gzip-compressed file (told by
 * the gzip magic bytes, as {@link IdxReader} does; {@code .csv.gz} by convention) is decompressed first.
 *
 * <p>Anything else is reported, never skipped: an empty file, a header without data rows, a
 * duplicate or empty column name, a row whose field count differs from the header's (including an
 * empty line), a quote inside an unquoted field, text after a closing quote and an unclosed quote.
 * Every message names the file and the line.
 *
 * <p>Speed: the file stays one array of UTF-8 bytes and the table keeps only where each field starts (an
 * {@code int} per field, no {@code String} per cell); {@link #number} reads a cell's digits in place.
 * Every structural byte of CSV is ASCII and no byte of a multi-byte UTF-8 sequence is, so scanning
 * bytes finds the same fields as scanning characters. A number with at most {@value #FAST_DIGITS}
 * significant digits and a decimal exponent within {@code ±}{@value #FAST_EXPONENT} is the exact
 * quotient or product of two doubles (Clinger's fast path, "How to read floating point numbers
 * accurately", PLDI 1990), rounded once to double; rounding that double to float gives the correctly
 * rounded float unless the double lies exactly halfway between two floats, where
 * {@link Float#parseFloat} decides (as it does for every longer number), so the bits are always
 * those of {@code Float.parseFloat}.
 */
public final class CsvTable {
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    /** Significant decimal digits that always fit a double's 53-bit significand exactly (10^15 < 2^53). */
    static final int FAST_DIGITS = 15;
    /** Powers of ten up to this one are exact doubles (5^22 < 2^53). */
    static final int FAST_EXPONENT = 22;
    private static final double[] POWERS_OF_TEN = new double[FAST_EXPONENT + 1];

    static {
        double p = 1;
        for (int i = 0; i <= FAST_EXPONENT; i++) {
            POWERS_OF_TEN[i] = p;
            p *= 10;
        }
    }

    private final Path file;
    private final List<String> header;
    private final byte[] text; // the file's bytes (UTF-8), BOM skipped by offset
    private final int columns;
    private final int rows;
    // The scan's arrays, kept as they are (copying them would cost a pass): entry 0 is the header, so data row r
    // is record r + 1, and, every record having as many fields as the header, its fields start at (r + 1) * columns.
    private final int[] fieldStart; // byte offset where each field starts (its opening quote, if quoted)
    private final int[] recordEnd; // offset of the byte ending each record (its line break, or the end of the text)
    private final int[] recordLine; // 1-based line on which each record starts

    private CsvTable(Path file, List<String> header, byte[] text, Scan scan, int rows) {
        this.file = file;
        this.header = List.copyOf(header);
        this.text = text;
        this.columns = header.size();
        this.rows = rows;
        this.fieldStart = scan.fieldStart;
        this.recordEnd = scan.recordEnd;
        this.recordLine = scan.recordLine;
    }

    /** Reads and checks a UTF-8 CSV file with a header line, plain or gzip-compressed. */
    public static CsvTable read(Path file) {
        return parse(file, bytes(file));
    }

    /** The file's bytes, decompressed when they start with the gzip magic. */
    private static byte[] bytes(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV file " + file + ": " + FileErrors.reason(e), e);
        } catch (OutOfMemoryError e) {
            throw new DataFormatException(file + " is too large to read into memory (a CSV file is read whole; at most 2 GiB)", e);
        }
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1f && (bytes[1] & 0xFF) == 0x8b) {
            bytes = gunzip(file, bytes);
        }
        return bytes;
    }

    private static int bomLength(byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
    }

    /** The column names of a CSV file (plain or gzip), from its first record only: no data row is checked. */
    public static List<String> header(Path file) {
        byte[] bytes = bytes(file);
        checkUtf8(file, bytes);
        int begin = bomLength(bytes);
        if (begin == bytes.length) {
            throw new DataFormatException(file + " is empty: expected a header line of column names");
        }
        Scanner sc = new Scanner(file, bytes, begin);
        sc.record();
        Scan s = sc.s;
        String[] head = new String[s.fields];
        for (int c = 0; c < head.length; c++) {
            head[c] = fieldText(bytes, s.fieldStart[c], c + 1 < head.length ? s.fieldStart[c + 1] - 1 : s.recordEnd[0]);
        }
        return List.of(head);
    }

    private static byte[] gunzip(Path file, byte[] compressed) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed), 1 << 16)) {
            return in.readAllBytes();
        } catch (ZipException | EOFException e) {
            throw new DataFormatException(file + ": the gzip stream is corrupt or truncated (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decompress CSV file " + file + ": " + FileErrors.reason(e), e);
        } catch (OutOfMemoryError e) {
            throw new DataFormatException(file + " decompresses to more than fits in memory (at most 2 GiB)", e);
        }
    }

    /** Parses CSV text; {@code file} is used in error messages only. */
    public static CsvTable parse(Path file, String text) {
        return parse(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses UTF-8 CSV bytes (not copied: the table keeps the array); {@code file} is used in error messages only. */
    public static CsvTable parse(Path file, byte[] bytes) {
        checkUtf8(file, bytes);
        int begin = bomLength(bytes);
        if (begin == bytes.length) {
            throw new DataFormatException(file + " is empty: expected a header line of column names");
        }
        Scan s = new Scanner(file, bytes, begin).scan();
        int records = s.records;
        String[] head = new String[s.recordFirst[1] - s.recordFirst[0]];
        for (int c = 0; c < head.length; c++) {
            head[c] = fieldText(bytes, s.fieldStart[c], c + 1 < head.length ? s.fieldStart[c + 1] - 1 : s.recordEnd[0]);
        }
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
        if (records == 1) {
            throw new DataFormatException(file + " has a header line but no data rows");
        }
        for (int r = 1; r < records; r++) {
            int fields = s.recordFirst[r + 1] - s.recordFirst[r];
            if (fields != head.length) {
                boolean empty = fields == 1 && fieldText(bytes, s.fieldStart[s.recordFirst[r]], s.recordEnd[r]).isEmpty();
                String what = empty ? "is empty" : "has " + fields + " fields";
                throw new DataFormatException(file + ", line " + s.recordLine[r] + " " + what + " but the header (line 1) has "
                        + head.length + " columns: " + String.join(", ", head));
            }
        }
        return new CsvTable(file, Arrays.asList(head), bytes, s, records - 1);
    }

    /** Fails with the file's name unless {@code bytes} are valid UTF-8; an ASCII file costs one pass over its bytes. */
    private static void checkUtf8(Path file, byte[] bytes) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (!ascii) {
            try {
                StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            } catch (CharacterCodingException e) {
                throw new DataFormatException(file + ": not valid UTF-8 text", e);
            }
        }
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
        return rows;
    }

    /** The 1-based line on which data row {@code row} (0-based) starts. */
    public int line(int row) {
        return recordLine[record(row)];
    }

    private int record(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " is outside [0, " + rows + ")");
        }
        return row + 1;
    }

    /** The text of a cell (quotes removed and doubled quotes undone for a quoted field). */
    public String cell(int row, int column) {
        return fieldText(text, start(row, column), end(row, column));
    }

    private int start(int row, int column) {
        if (column < 0 || column >= columns) {
            throw new IndexOutOfBoundsException("column " + column + " is outside [0, " + columns + ")");
        }
        return fieldStart[record(row) * columns + column];
    }

    private int end(int row, int column) {
        return column + 1 < columns ? fieldStart[record(row) * columns + column + 1] - 1 : recordEnd[record(row)];
    }

    /** The text of the field in {@code [from, to)} of {@code bytes}, a quoted one unquoted. */
    private static String fieldText(byte[] bytes, int from, int to) {
        if (from < to && bytes[from] == '"') {
            // the scanner has checked that the field ends with the closing quote
            return new String(bytes, from + 1, to - from - 2, StandardCharsets.UTF_8).replace("\"\"", "\"");
        }
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
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
     * The cells of {@code columns} (indices) of every row as numbers, row-major into a new array
     * {@code [rows * columns.length]}: the same values and errors as {@link #number} cell by cell.
     */
    public float[] numbers(int[] columns) {
        for (int c : columns) {
            start(0, c);
        }
        int k = columns.length;
        float[] out = new float[Math.multiplyExact(rows(), k)];
        for (int r = 0, o = 0; r < rows; r++) {
            int base = (r + 1) * this.columns;
            for (int j = 0; j < k; j++) {
                int c = columns[j];
                int to = c + 1 < this.columns ? fieldStart[base + c + 1] - 1 : recordEnd[r + 1];
                out[o++] = numberIn(r, c, fieldStart[base + c], to);
            }
        }
        return out;
    }

    /** Integers of at most this many digits are exact floats (9 999 999 < 2^24): their own fast path. */
    static final int SHORT_INTEGER_DIGITS = 7;

    /**
     * The value of the unsigned decimal integer that is all of {@code [from, to)} (at most
     * {@value #SHORT_INTEGER_DIGITS} digits, leading zeros allowed), or -1 when the field is empty or holds anything
     * else (a sign, a point, a space, a quote): then the general path reads it. Pixel tables are mostly such cells
     * of one to three bytes, where the general path's sign, fraction and exponent checks and its rounding test cost
     * more than the digits. The value converts to the float {@link Float#parseFloat} gives, exactly.
     */
    static int shortInteger(byte[] b, int from, int to) {
        if (from == to) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /**
     * A cell as a finite decimal number ({@code [+-]digits[.digits][e[+-]digits]}, surrounding spaces
     * allowed), or an error naming file, line, column, and the text found.
     */
    public float number(int row, int column) {
        return numberIn(row, column, start(row, column), end(row, column));
    }

    /** The number in the field {@code [from, to)} of {@code row}, {@code column}. */
    private float numberIn(int row, int column, int from, int to) {
        if (to - from <= SHORT_INTEGER_DIGITS) {
            int v = shortInteger(text, from, to);
            if (v >= 0) {
                return v;
            }
        }
        while (from < to && isAsciiSpace(text[from])) {
            from++;
        }
        while (to > from && isAsciiSpace(text[to - 1])) {
            to--;
        }
        long bits = fastNumber(text, from, to);
        if (bits != NOT_FAST) {
            return Float.intBitsToFloat((int) bits);
        }
        return slowNumber(row, column);
    }

    /** The result of {@link #fastNumber} when the cell needs the general path (or is not a number at all). */
    private static final long NOT_FAST = Long.MIN_VALUE;

    /**
     * The float bits of the ASCII decimal in {@code [from, to)} when the fast path decides them exactly and the
     * value is finite; else {@link #NOT_FAST}.
     */
    static long fastNumber(byte[] b, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && (b[i] == '+' || b[i] == '-')) {
            negative = b[i] == '-';
            i++;
        }
        long mantissa = 0;
        int significant = 0;
        int digits = 0;
        int scale = 0; // power of ten to apply to the mantissa
        while (i < to && b[i] >= '0' && b[i] <= '9') {
            if (mantissa != 0 || b[i] != '0') {
                if (++significant > FAST_DIGITS) {
                    return NOT_FAST;
                }
                mantissa = mantissa * 10 + (b[i] - '0');
            }
            digits++;
            i++;
        }
        if (i < to && b[i] == '.') {
            i++;
            while (i < to && b[i] >= '0' && b[i] <= '9') {
                if (mantissa != 0 || b[i] != '0') {
                    if (++significant > FAST_DIGITS) {
                        return NOT_FAST;
                    }
                    mantissa = mantissa * 10 + (b[i] - '0');
                }
                scale--;
                digits++;
                i++;
            }
        }
        if (digits == 0) {
            return NOT_FAST;
        }
        if (i < to && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            boolean negExp = false;
            if (i < to && (b[i] == '+' || b[i] == '-')) {
                negExp = b[i] == '-';
                i++;
            }
            int expDigits = 0;
            int exp = 0;
            while (i < to && b[i] >= '0' && b[i] <= '9') {
                if (++expDigits > 4) {
                    return NOT_FAST;
                }
                exp = exp * 10 + (b[i] - '0');
                i++;
            }
            if (expDigits == 0) {
                return NOT_FAST;
            }
            scale += negExp ? -exp : exp;
        }
        if (i != to) {
            return NOT_FAST;
        }
        double d;
        if (mantissa == 0) {
            d = 0;
        } else if (scale >= 0 && scale <= FAST_EXPONENT) {
            d = mantissa * POWERS_OF_TEN[scale];
        } else if (scale < 0 && scale >= -FAST_EXPONENT) {
            d = mantissa / POWERS_OF_TEN[-scale];
        } else {
            return NOT_FAST;
        }
        float f = (float) d;
        if (!Float.isFinite(f)) {
            return NOT_FAST;
        }
        if (d != f) {
            // a double exactly halfway between two floats may be the rounding of a value on either side of it
            float other = d > f ? Math.nextUp(f) : Math.nextDown(f);
            if ((double) f + (double) other == 2 * d) {
                return NOT_FAST;
            }
        }
        return Float.floatToRawIntBits(negative ? -f : f);
    }

    private float slowNumber(int row, int column) {
        String raw = cell(row, column);
        String s = raw.strip();
        if (!DECIMAL.matcher(s).matches()) {
            throw new DataFormatException(file + ", line " + line(row) + ", column '" + header.get(column) + "': expected a number, got "
                    + (s.isEmpty() ? "an empty cell" : "'" + raw + "'"));
        }
        float v = Float.parseFloat(s);
        if (!Float.isFinite(v)) {
            throw new DataFormatException(file + ", line " + line(row) + ", column '" + header.get(column) + "': " + s
                    + " is outside the float32 range");
        }
        return v;
    }

    /** The ASCII characters {@link String#strip()} removes ({@link Character#isWhitespace}). */
    private static boolean isAsciiSpace(byte c) {
        return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
    }

    /** What one pass found: where each record's fields start and where it ends. */
    private static final class Scan {
        int records;
        int[] fieldStart = new int[1024];
        int fields;
        int[] recordFirst = new int[64]; // [records + 1]: index in fieldStart of each record's first field
        int[] recordEnd = new int[64];
        int[] recordLine = new int[64];
    }

    /** The bytes that end an unquoted field's scan: comma, line breaks, and a quote (an error there). */
    private static final boolean[] ENDS_UNQUOTED = new boolean[256];

    static {
        for (char c : new char[] {',', '\n', '\r', '"'}) {
            ENDS_UNQUOTED[c] = true;
        }
    }

    /** One pass over the bytes, by the RFC 4180 grammar. */
    private static final class Scanner {
        private final Path file;
        private final byte[] b;
        private int pos;
        private int line = 1;
        private final Scan s = new Scan();

        Scanner(Path file, byte[] bytes, int begin) {
            this.file = file;
            this.b = bytes;
            this.pos = begin;
        }

        Scan scan() {
            int n = b.length;
            while (pos < n) {
                record();
            }
            s.recordFirst = grow(s.recordFirst, s.records + 1);
            s.recordFirst[s.records] = s.fields;
            return s;
        }

        private void record() {
            int r = s.records;
            if (r + 1 >= s.recordFirst.length) {
                int cap = s.recordFirst.length * 2;
                s.recordFirst = Arrays.copyOf(s.recordFirst, cap);
                s.recordEnd = Arrays.copyOf(s.recordEnd, cap);
                s.recordLine = Arrays.copyOf(s.recordLine, cap);
            }
            s.recordFirst[r] = s.fields;
            s.recordLine[r] = line;
            int n = b.length;
            while (true) {
                addField(pos);
                field();
                if (pos >= n) {
                    s.recordEnd[r] = pos;
                    break;
                }
                if (b[pos] == ',') {
                    pos++;
                } else {
                    s.recordEnd[r] = pos;
                    endOfLine();
                    break;
                }
            }
            s.records = r + 1;
        }

        private void addField(int at) {
            if (s.fields == s.fieldStart.length) {
                s.fieldStart = Arrays.copyOf(s.fieldStart, s.fieldStart.length * 2);
            }
            s.fieldStart[s.fields++] = at;
        }

        private void endOfLine() {
            if (b[pos] == '\r') {
                pos++;
                if (pos < b.length && b[pos] == '\n') {
                    pos++;
                }
            } else {
                pos++;
            }
            line++;
        }

        /** Moves past one field, leaving {@code pos} on the comma, line break or end that follows it. */
        private void field() {
            int n = b.length;
            int p = pos;
            if (p < n && b[p] == '"') {
                int openLine = line;
                p++;
                while (true) {
                    if (p >= n) {
                        throw new DataFormatException(file + ", line " + openLine + ": a quoted field opened here is not closed"
                                + " before the end of the file");
                    }
                    byte c = b[p++];
                    if (c == '"') {
                        if (p < n && b[p] == '"') {
                            p++;
                        } else {
                            break;
                        }
                    } else if (c == '\n' || (c == '\r' && (p >= n || b[p] != '\n'))) {
                        line++;
                    }
                }
                if (p < n && b[p] != ',' && b[p] != '\r' && b[p] != '\n') {
                    throw new DataFormatException(file + ", line " + line + ": unexpected '" + charAt(p)
                            + "' after a closing quote (expected a comma or the end of the line)");
                }
                pos = p;
                return;
            }
            while (p < n && !ENDS_UNQUOTED[b[p] & 0xFF]) {
                p++;
            }
            if (p < n && b[p] == '"') {
                throw new DataFormatException(file + ", line " + line + ": a double quote inside an unquoted field"
                        + " (RFC 4180 allows quotes only in fields enclosed in quotes, doubled)");
            }
            pos = p;
        }

        /** The character starting at byte {@code p} (one code point, decoded from its UTF-8 bytes). */
        private String charAt(int p) {
            int len = 1;
            int lead = b[p] & 0xFF;
            if (lead >= 0xF0) {
                len = 4;
            } else if (lead >= 0xE0) {
                len = 3;
            } else if (lead >= 0xC0) {
                len = 2;
            }
            return new String(b, p, Math.min(len, b.length - p), StandardCharsets.UTF_8);
        }

        private static int[] grow(int[] a, int need) {
            return need <= a.length ? a : Arrays.copyOf(a, Math.max(need, a.length * 2));
        }
    }
}
