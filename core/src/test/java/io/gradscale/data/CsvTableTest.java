package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-level {@link CsvTable} against the character-level parser it replaced ({@link CsvTableReference}):
 * over random texts built from every character the grammar cares about, both accept the same texts with the
 * same cells, lines and numbers, or reject them with the same message; its numbers are {@link Float#parseFloat}'s
 * bits; gzip input reads as the plain file does.
 */
class CsvTableTest {
    private static final Path FILE = Path.of("t.csv");
    private static final String[] PIECES = {"a", "1", "2.5", "-3e2", ".", ",", ",", ",", "\"", "\"\"", "\n", "\n", "\r\n", "\r",
        " ", "é", "x y", "1e39", "NaN", "", "0", "+.5", "7.",
        "007", "255", "9999999", "16777217", "123456789"};

    @Test
    void randomTextsParseAsTheReferenceParserDoes() {
        Random rnd = new Random(21);
        int accepted = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder sb = new StringBuilder(trial % 7 == 0 ? "\uFEFF" : "");
            sb.append(trial % 3 == 0 ? "a,b\n" : "");
            int pieces = rnd.nextInt(30);
            for (int i = 0; i < pieces; i++) {
                sb.append(PIECES[rnd.nextInt(PIECES.length)]);
            }
            if (compare(sb.toString())) {
                accepted++;
            }
        }
        assertTrue(accepted > 500, "too few random texts were valid CSV to compare cells: " + accepted);
    }

    /** True when both parsers accepted {@code text} (and agreed on everything), false when both rejected it alike. */
    private static boolean compare(String text) {
        CsvTableReference ref;
        try {
            ref = CsvTableReference.parse(FILE, text);
        } catch (DataFormatException e) {
            DataFormatException mine = assertThrows(DataFormatException.class, () -> CsvTable.parse(FILE, text), text);
            assertEquals(e.getMessage(), mine.getMessage(), text);
            return false;
        }
        CsvTable t = CsvTable.parse(FILE, text);
        assertEquals(ref.header(), t.header(), text);
        assertEquals(ref.rows(), t.rows(), text);
        for (int r = 0; r < t.rows(); r++) {
            assertEquals(ref.line(r), t.line(r), text);
            for (int c = 0; c < t.header().size(); c++) {
                assertEquals(ref.cell(r, c), t.cell(r, c), text);
                float expected;
                try {
                    expected = ref.number(r, c);
                } catch (DataFormatException e) {
                    int row = r;
                    int col = c;
                    assertEquals(e.getMessage(), assertThrows(DataFormatException.class, () -> t.number(row, col)).getMessage(), text);
                    continue;
                }
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(t.number(r, c)), text);
            }
        }
        return true;
    }

    @Test
    void numbersHaveTheBitsOfParseFloat() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 30_000; trial++) {
            String s = randomDecimal(rnd);
            float expected = Float.parseFloat(s.strip());
            if (!Float.isFinite(expected)) {
                continue;
            }
            CsvTable t = CsvTable.parse(FILE, "v\n" + s + "\n");
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(t.number(0, 0)), s);
        }
    }

    @Test
    void floatMidpointsAndTheirNeighboursRoundAsParseFloatDoes() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 3_000; trial++) {
            float f = Float.intBitsToFloat(rnd.nextInt(0x7f000000));
            BigDecimal mid = new BigDecimal(f).add(new BigDecimal(Math.nextUp(f))).divide(BigDecimal.valueOf(2));
            for (BigDecimal x : new BigDecimal[] {mid, mid.round(new java.math.MathContext(9)), mid.round(new java.math.MathContext(15)),
                mid.round(new java.math.MathContext(16))}) {
                String s = x.toString();
                CsvTable t = CsvTable.parse(FILE, "v\n" + s + "\n");
                assertEquals(Float.floatToRawIntBits(Float.parseFloat(s)), Float.floatToRawIntBits(t.number(0, 0)), s);
            }
        }
        // 2^24 + 1 is exact in double and a tie between two floats: ties to even, as parseFloat does
        assertEquals(16777216f, CsvTable.parse(FILE, "v\n16777217\n").number(0, 0));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(CsvTable.parse(FILE, "v\n-0.000\n").number(0, 0)));
    }

    private static String randomDecimal(Random rnd) {
        StringBuilder sb = new StringBuilder();
        if (rnd.nextInt(4) == 0) {
            sb.append(rnd.nextBoolean() ? ' ' : '\t');
        }
        if (rnd.nextInt(3) == 0) {
            sb.append(rnd.nextBoolean() ? '-' : '+');
        }
        int intDigits = rnd.nextInt(12);
        for (int i = 0; i < intDigits; i++) {
            sb.append((char) ('0' + rnd.nextInt(10)));
        }
        int fracDigits = rnd.nextInt(12);
        if (intDigits == 0 || fracDigits > 0 && rnd.nextBoolean()) {
            sb.append('.');
            for (int i = 0; i < Math.max(1, fracDigits); i++) {
                sb.append((char) ('0' + rnd.nextInt(10)));
            }
        }
        if (rnd.nextInt(3) == 0) {
            sb.append(rnd.nextBoolean() ? 'e' : 'E').append(rnd.nextBoolean() ? "-" : "").append(rnd.nextInt(50));
        }
        if (rnd.nextInt(4) == 0) {
            sb.append(' ');
        }
        return sb.toString();
    }

    @Test
    void gzipFilesReadAsThePlainFile(@TempDir Path dir) throws IOException {
        String text = "x,y\n1,2\n\"3\",4.5\n";
        Path gz = dir.resolve("d.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        CsvTable t = CsvTable.read(gz);
        assertEquals(2, t.rows());
        assertEquals(3f, t.number(1, 0));
        assertEquals(4.5f, t.number(1, 1));
        assertEquals(3, t.line(1));

        Path truncated = dir.resolve("cut.csv.gz");
        byte[] all = Files.readAllBytes(gz);
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length - 6));
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvTable.read(truncated));
        assertTrue(e.getMessage().contains("cut.csv.gz") && e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void unreadableFilesSayWhy(@TempDir Path dir) {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> CsvTable.read(dir.resolve("none.csv")));
        assertTrue(e.getMessage().endsWith("none.csv: no such file"), e.getMessage());
        e = assertThrows(UncheckedIOException.class, () -> CsvTable.read(dir));
        assertTrue(e.getMessage().contains("cannot read CSV file " + dir + ": "), e.getMessage());
    }
}
