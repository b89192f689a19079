package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 4180 parsing, features and labels by column name, and errors that say where the bad input is. */
class CsvDatasetTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void rfc4180QuotingLineBreaksAndLineNumbers() throws IOException {
        Path p = write("q.csv", "\uFEFFname,\"a,b\",c\r\n\"x, \"\"quoted\"\"\",1,2\r\n\"multi\nline\",3,4\r\nplain,5,6");
        CsvTable t = CsvTable.read(p);
        assertEquals(List.of("name", "a,b", "c"), t.header());
        assertEquals(3, t.rows());
        assertEquals("x, \"quoted\"", t.cell(0, 0));
        assertEquals("multi\nline", t.cell(1, 0));
        assertEquals(2, t.line(0));
        assertEquals(3, t.line(1));
        assertEquals(5, t.line(2), "the quoted line break counts as a line");
        assertEquals(6f, t.number(2, 2));
    }

    @Test
    void regressionAndClassificationByColumnName() throws IOException {
        Path p = write("r.csv", "x1,y,x2\n1,0.5,2\n3,-1.5e1,4\n5, 2 ,6\n");
        Dataset r = CsvDataset.read(p, CsvDataset.Options.regression("y"));
        assertEquals(Shape.of(3, 2), r.features().shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, r.features().data());
        assertArrayEquals(new float[] {0.5f, -15f, 2f}, r.targets().data());

        Dataset only = CsvDataset.read(p, CsvDataset.Options.regression("y").features(List.of("x2")));
        assertArrayEquals(new float[] {2, 4, 6}, only.features().data());

        Path c = write("c.csv", "f,label\n0.1,0\n0.2,2\n0.3,1\n0.4,2\n");
        Dataset d = CsvDataset.read(c, CsvDataset.Options.classification("label"));
        assertEquals(3, d.task().classes());
        assertArrayEquals(new int[] {0, 2, 1, 2}, d.labels());
        assertEquals(5, CsvDataset.read(c, CsvDataset.Options.classification("label").classes(5)).task().classes());
    }

    @Test
    void standardisationFitsOnTrainingAndReusesOnTest() throws IOException {
        Path train = write("train.csv", "x,y\n1,0\n3,0\n5,0\n7,0\n");
        Path test = write("test.csv", "x,y\n4,0\n");
        Dataset tr = CsvDataset.read(train, CsvDataset.Options.regression("y").standardize());
        Standardizer s = tr.standardizer().orElseThrow();
        assertArrayEquals(new float[] {4f}, s.mean());
        Dataset te = CsvDataset.read(test, CsvDataset.Options.regression("y").standardizeWith(s));
        assertEquals(0f, te.features().get(0, 0));
        assertEquals((1 - 4) / (float) Math.sqrt(5), tr.features().get(0, 0), 1e-6f);
    }

    /** Each bad file, and the words its error must contain. */
    @Test
    void badInputIsReportedWithFileLineAndColumn() throws IOException {
        Object[][] cases = {
            {"", "regression", "is empty"},
            {"\uFEFF", "regression", "is empty"},
            {"a,y\n", "regression", "no data rows"},
            {"a,y\n1,2\n3,oops\n", "regression", "line 3", "column 'y'", "'oops'"},
            {"a,y\n1,2\n,4\n", "regression", "line 3", "column 'a'", "empty cell"},
            {"a,y\n1,2\n3,1f\n", "regression", "line 3", "'1f'"},
            {"a,y\n1,NaN\n", "regression", "line 2", "'NaN'"},
            {"a,y\n1,1e39\n", "regression", "line 2", "float32 range"},
            {"a,b\n1,2\n", "regression", "no column 'y'", "columns found: a, b"},
            {"a,y\n1,2\n3\n", "regression", "line 3", "has 1 fields", "2 columns"},
            {"a,y\n1,2\n3,4,5\n", "regression", "line 3", "has 3 fields"},
            {"a,y\n1,2\n\n3,4\n", "regression", "line 3 is empty"},
            {"a,y\n1,\"2\n", "regression", "line 2", "not closed"},
            {"a,y\n1,\"2\"x\n", "regression", "line 2", "after a closing quote"},
            {"a,y\n1,2\"\n", "regression", "line 2", "double quote inside an unquoted field"},
            {"a,a,y\n1,2,3\n", "regression", "line 1", "'a' appears twice"},
            {"a,,y\n1,2,3\n", "regression", "line 1", "column 2 has an empty name"},
            {"a,y\n1,0\n2,cat\n", "classification", "line 3", "column 'y'", "class label", "'cat'"},
            {"a,y\n1,0\n2,-1\n", "classification", "line 3", "'-1'"},
            {"a,y\n1,0\n2,0\n", "classification", "at least 2 classes"},
            {"y\n1\n", "regression", "no features"},
        };
        for (Object[] c : cases) {
            Path p = write("bad.csv", (String) c[0]);
            CsvDataset.Options o = c[1].equals("regression") ? CsvDataset.Options.regression("y") : CsvDataset.Options.classification("y");
            DataFormatException e = assertThrows(DataFormatException.class, () -> CsvDataset.read(p, o), (String) c[0]);
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            for (int k = 2; k < c.length; k++) {
                assertTrue(e.getMessage().contains((String) c[k]), "'" + c[k] + "' not in: " + e.getMessage());
            }
        }
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, new byte[] {'a', ',', 'y', '\n', (byte) 0xE9, ',', '1', '\n'});
        DataFormatException e = assertThrows(DataFormatException.class, () -> CsvTable.read(latin1));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void sequenceCsvWindowsTheSeries() throws IOException {
        StringBuilder sb = new StringBuilder("t,temp,load\n");
        for (int t = 0; t < 6; t++) {
            sb.append(t).append(',').append(10 * t).append(',').append(100 * t).append('\n');
        }
        Path p = write("s.csv", sb.toString());
        Dataset d = SequenceCsv.read(p, List.of("temp", "load"), List.of("load"), 3, 2);
        assertEquals(Shape.of(2, 3, 2), d.features().shape());
        assertArrayEquals(new float[] {0, 0, 10, 100, 20, 200, 10, 100, 20, 200, 30, 300}, d.features().data());
        assertArrayEquals(new float[] {400, 500}, d.targets().data(), "horizon 2 after a window ending at t=2 is t=4");

        DataFormatException e = assertThrows(DataFormatException.class,
                () -> SequenceCsv.read(p, List.of("temp"), List.of("temp"), 5, 2));
        assertTrue(e.getMessage().contains("6 steps") && e.getMessage().contains(p.toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SequenceCsv.read(p, List.of("temp"), List.of("load"), 2, 1));
        e = assertThrows(DataFormatException.class, () -> SequenceCsv.read(p, List.of("tmp"), List.of("tmp"), 2, 1));
        assertTrue(e.getMessage().contains("columns found: t, temp, load"), e.getMessage());
    }

    @Test
    void windowsCoverEveryStartOnce() {
        for (int steps : new int[] {2, 5, 17}) {
            for (int window = 1; window < steps; window++) {
                for (int horizon = 1; window + horizon <= steps; horizon++) {
                    float[] s = new float[steps];
                    for (int t = 0; t < steps; t++) {
                        s[t] = t;
                    }
                    Dataset d = Windows.of(io.gradscale.tensor.Tensor.wrap(s, steps, 1), window, horizon, 0);
                    assertEquals(steps - window - horizon + 1, d.size());
                    for (int i = 0; i < d.size(); i++) {
                        assertEquals(i, d.features().get(i, 0, 0));
                        assertEquals(i + window - 1, d.features().get(i, window - 1, 0));
                        assertEquals(i + window - 1 + horizon, d.targets().get(i, 0));
                    }
                }
            }
        }
    }
}
