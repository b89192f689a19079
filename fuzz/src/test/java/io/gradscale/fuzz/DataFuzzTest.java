package io.gradscale.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gradscale.data.CsvDataset;
import io.gradscale.data.CsvTable;
import io.gradscale.data.DataFormatException;
import io.gradscale.data.Dataset;
import io.gradscale.data.IdxReader;
import io.gradscale.data.SequenceCsv;
import io.gradscale.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Fuzz targets for the data readers: CSV tables and CSV data sets, sequence CSV, IDX plain and gzip.
 *
 * <p>The contract under test: whatever the bytes, a reader returns a well-formed data set or throws
 * {@link DataFormatException} (whose message names the file and, for text, the line and column). Any
 * other exception, a hang, or an allocation out of proportion to the input (the fuzz JVM runs with a
 * small heap) is a finding. Each method's committed corpus is under
 * {@code src/test/resources/io/gradscale/fuzz/DataFuzzTestInputs/<method>/}.
 */
class DataFuzzTest {
    /** A CSV file read as a table, then as a regression and a classification set on its last column. */
    @FuzzTest
    void csvDataset(byte[] input) {
        Path file = Scratch.write("data.csv", input);
        CsvTable table;
        try {
            table = CsvTable.read(file);
        } catch (DataFormatException expected) {
            return;
        }
        String label = table.header().get(table.header().size() - 1);
        try {
            check(CsvDataset.fromTable(table, CsvDataset.Options.regression(label).standardize()));
        } catch (DataFormatException expected) {
            // a non-numeric cell, or the label is the only column
        }
        try {
            check(CsvDataset.fromTable(table, CsvDataset.Options.classification(label)));
        } catch (DataFormatException expected) {
            // a label that is not a class number
        }
    }

    /** A CSV time series: every column a series, the last one forecast one step ahead over windows of 3. */
    @FuzzTest
    void sequenceCsv(byte[] input) {
        Path file = Scratch.write("series.csv", input);
        try {
            CsvTable table = CsvTable.read(file);
            List<String> columns = table.header();
            check(SequenceCsv.fromTable(table, columns, List.of(columns.get(columns.size() - 1)), 3, 1));
        } catch (DataFormatException expected) {
            return;
        }
    }

    /** Any IDX file, plain or gzip (the reader detects which), as a tensor, as images and as labels. */
    @FuzzTest
    void idx(byte[] input) {
        readIdx(Scratch.write("data.idx", input));
    }

    /** The input gzip-compressed first, so that the fuzzer explores the IDX format behind the decompressor. */
    @FuzzTest
    void idxGzip(byte[] input) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        readIdx(Scratch.write("data.idx.gz", bytes.toByteArray()));
    }

    private static void readIdx(Path file) {
        try {
            Tensor t = IdxReader.readTensor(file);
            for (int i = 0; i < t.size(); i++) {
                if (!Float.isFinite(t.data()[i])) {
                    throw new AssertionError("a non-finite element " + t.data()[i] + " was read, not refused");
                }
            }
        } catch (DataFormatException expected) {
            // fall through: the same file is tried as images and labels too
        }
        try {
            Tensor images = IdxReader.readImages(file);
            if (images.shape().rank() != 3) {
                throw new AssertionError("images of rank " + images.shape().rank());
            }
        } catch (DataFormatException expected) {
            // not an image file
        }
        try {
            int[] labels = IdxReader.readLabels(file);
            for (int l : labels) {
                if (l < 0 || l > 255) {
                    throw new AssertionError("label " + l);
                }
            }
        } catch (DataFormatException expected) {
            // not a label file
        }
    }

    /** A data set that was returned must be usable: its first batch can be taken. */
    private static void check(Dataset d) {
        if (d.size() > 0) {
            d.batch(0, Math.min(d.size(), 4));
        }
    }
}
