package io.gradscale.spark;

import io.gradscale.data.CsvTable;
import io.gradscale.data.DataFormatException;
import io.gradscale.data.Dataset;
import io.gradscale.data.ExactMoments;
import io.gradscale.data.IdxReader;
import io.gradscale.data.SequenceCsv;
import io.gradscale.data.Standardizer;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * A data set whose examples live on the executors, as an RDD of {@link Example}s with indices {@code 0..n-1}:
 * read there from a file system path (any Hadoop URI: {@code file:}, {@code hdfs:}, {@code s3a:} ...), never
 * collected through the driver. The driver keeps only the count and the {@link Layout}. An executor reads its range
 * of an uncompressed IDX file with one seek; a gzip-compressed one it decompresses from the start and skips to its
 * range (a deflate stream cannot be entered midway), so a compressed file costs each partition up to a whole pass.
 *
 * <p>The readers produce the same numbers as the single-machine ones: IDX images are scaled by
 * {@code (float) (b & 0xff) / 255f} as {@link IdxReader#readImages} does, CSV cells are parsed by
 * {@link CsvTable} one record at a time (so a quoted field may not span lines here), and
 * {@link #standardize} applies {@link Standardizer#apply}. The standardizer's statistics are exact sums
 * ({@link ExactMoments}), so they have a single file's bits whatever the partitioning.
 */
public final class DistributedDataset {
    private final JavaRDD<Example> rows;
    private final int size;
    private final Layout layout;
    private final String source;

    public DistributedDataset(JavaRDD<Example> rows, int size, Layout layout, String source) {
        this.rows = rows;
        this.size = size;
        this.layout = layout;
        this.source = source;
    }

    /** An in-memory data set spread over {@code partitions} (built-in tasks and tests: the data passes through the driver). */
    public static DistributedDataset of(JavaSparkContext sc, Dataset d, int partitions) {
        Layout layout = Layout.of(d);
        List<Example> ex = new ArrayList<>(d.size());
        for (int i = 0; i < d.size(); i++) {
            ex.add(layout.example(d, i));
        }
        return new DistributedDataset(sc.parallelize(ex, partitions).cache(), d.size(), layout, "in-memory " + d);
    }

    public JavaRDD<Example> rows() {
        return rows;
    }

    public int size() {
        return size;
    }

    public Layout layout() {
        return layout;
    }

    /** Where the examples came from, for summaries and messages. */
    public String source() {
        return source;
    }

    /**
     * Reads an MNIST-style pair of IDX files (unsigned-byte images {@code [n, rows, cols]} and labels {@code [n]})
     * (plain or gzip-compressed) on the executors, each partition reading its range of examples.
     */
    public static DistributedDataset idx(JavaSparkContext sc, String images, String labels, int classes, int partitions) {
        Configuration conf = sc.hadoopConfiguration();
        IdxHeader imageHeader = idxHeader(conf, images, IdxReader.IMAGES_MAGIC, 3, "images");
        IdxHeader labelHeader = idxHeader(conf, labels, IdxReader.LABELS_MAGIC, 1, "labels");
        int[] imageDims = imageHeader.dims();
        int[] labelDims = labelHeader.dims();
        boolean gzImages = imageHeader.gzip();
        boolean gzLabels = labelHeader.gzip();
        int n = imageDims[0];
        if (labelDims[0] != n) {
            throw new DataFormatException("image file " + images + " holds " + n + " images but label file " + labels + " holds "
                    + labelDims[0] + " labels");
        }
        int pixels = imageDims[1] * imageDims[2];
        Layout layout = new Layout(new int[] {imageDims[1], imageDims[2]}, null, classes, 1);
        List<int[]> ranges = ranges(n, partitions);
        JavaRDD<Example> rows = sc.parallelize(ranges, ranges.size()).flatMap(r -> {
            Configuration c = new Configuration();
            List<Example> out = new ArrayList<>(r[1] - r[0]);
            byte[] px = new byte[(r[1] - r[0]) * pixels];
            byte[] lb = new byte[r[1] - r[0]];
            readRange(c, images, gzImages, 16 + (long) r[0] * pixels, px);
            readRange(c, labels, gzLabels, 8 + (long) r[0], lb);
            for (int i = 0; i < lb.length; i++) {
                int label = lb[i] & 0xff;
                if (label >= classes) {
                    throw new DataFormatException(labels + ": label " + (r[0] + i) + " is " + label + ", outside [0, " + classes + ")");
                }
                float[] x = new float[pixels];
                for (int j = 0; j < pixels; j++) {
                    x[j] = (float) (px[i * pixels + j] & 0xff) / 255f;
                }
                out.add(new Example(r[0] + i, x, null, new int[] {label}));
            }
            return out.iterator();
        });
        return new DistributedDataset(rows.cache(), n, layout, "IDX " + images + " with " + labels);
    }

    /**
     * Reads a CSV file with a header line on the executors: the numeric columns other than {@code label} are the
     * features; the label column holds class labels {@code 0, 1, ...} ({@code classes} of them, or the largest plus
     * one when {@code classes} is 0) or, with {@code classes < 0}, regression targets.
     */
    public static DistributedDataset csv(JavaSparkContext sc, String file, String label, int classes, int partitions) {
        String header = firstLine(sc.hadoopConfiguration(), file);
        CsvTable head = CsvTable.parse(Path.of(name(file)), header + "\n" + header);
        int labelColumn = head.column(label);
        int columns = head.header().size();
        if (columns < 2) {
            throw new DataFormatException(file + " has only the label column '" + label + "': no features");
        }
        boolean regression = classes < 0;
        JavaRDD<Example> rows = sc.textFile(file, partitions).zipWithIndex().filter(t -> t._2() > 0).map(t -> {
            int line = (int) (t._2() + 1);
            CsvTable row = record(file, header, t._1(), line);
            float[] x = new float[columns - 1];
            for (int c = 0, j = 0; c < columns; c++) {
                if (c != labelColumn) {
                    x[j++] = number(row, c, file, line);
                }
            }
            if (regression) {
                return new Example(line - 2, x, new float[] {number(row, labelColumn, file, line)}, null);
            }
            String s = row.cell(0, labelColumn).strip();
            if (!s.matches("\\d{1,9}") || (classes > 0 && Integer.parseInt(s) >= classes)) {
                throw new DataFormatException(file + ", line " + line + ", column '" + label + "': expected a class label (an integer 0, 1, ..."
                        + (classes > 0 ? ", below " + classes : "") + "), got '" + s + "'");
            }
            return new Example(line - 2, x, null, new int[] {Integer.parseInt(s)});
        }).cache();
        int n;
        int k;
        try {
            n = (int) rows.count();
            k = regression || n == 0 ? 0 : classes > 0 ? classes : rows.map(e -> e.labels()[0]).reduce(Math::max) + 1;
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw readFailure(file, e);
        }
        if (n == 0) {
            throw new DataFormatException(file + " has a header line but no data rows");
        }
        if (!regression && k < 2) {
            throw new DataFormatException(file + ", column '" + label + "': every label is 0; a classification set needs at least 2 classes");
        }
        Layout layout = new Layout(new int[] {columns - 1}, regression ? new int[] {1} : null, k, regression ? 0 : 1);
        return new DistributedDataset(rows, n, layout, "CSV " + file + ", label '" + label + "'");
    }

    /**
     * Reads a time series CSV file (a header line, then one row per time step, in time order) on the executors and cuts
     * it into the forecasting windows of {@link io.gradscale.data.SequenceCsv}: example {@code i} has inputs rows
     * {@code i .. i+window-1} of {@code columns} ({@code [window, f]}) and targets row {@code i+window-1+horizon} of
     * {@code targets} (each one of {@code columns}).
     *
     * <p>Windows overlap, and Spark splits the file between partitions at line breaks: a partition's windows need up to
     * {@code window + horizon - 1} rows past its end. Each partition's first {@code window + horizon - 1} rows are
     * collected (at most that many rows per partition, however big the file) and broadcast, which holds every row a
     * partition needs past its end, also when the next partitions are shorter than that. Each window is then cut where
     * its first row lies; no row moves otherwise.
     */
    public static DistributedDataset sequenceCsv(JavaSparkContext sc, String file, List<String> columns, List<String> targets,
                                                 int window, int horizon, int partitions) {
        String header = firstLine(sc.hadoopConfiguration(), file);
        CsvTable head = CsvTable.parse(Path.of(name(file)), header + "\n" + header);
        int f = columns.size();
        int[] cols = new int[f];
        for (int j = 0; j < f; j++) {
            cols[j] = head.column(columns.get(j));
        }
        int[] targetIdx = SequenceCsv.targetIndices(head, columns, targets);
        int halo = window + horizon - 1;
        // (time step, the selected cells), in file order within each partition and from partition to partition
        JavaRDD<Tuple2<Long, float[]>> steps = sc.textFile(file, partitions).zipWithIndex().filter(t -> t._2() > 0).map(t -> {
            int line = (int) (t._2() + 1);
            CsvTable row = record(file, header, t._1(), line);
            float[] x = new float[f];
            for (int j = 0; j < f; j++) {
                x[j] = number(row, cols[j], file, line);
            }
            return new Tuple2<>(t._2() - 1, x);
        }).cache();
        long rowCount;
        Map<Long, float[]> heads = new HashMap<>();
        try {
            rowCount = steps.count();
            steps.mapPartitions(it -> {
                List<Tuple2<Long, float[]>> out = new ArrayList<>(halo);
                while (it.hasNext() && out.size() < halo) {
                    out.add(it.next());
                }
                return out.iterator();
            }).collect().forEach(t -> heads.put(t._1(), t._2()));
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw readFailure(file, e);
        }
        long n = rowCount - window - horizon + 1;
        if (n < 1) {
            throw new DataFormatException(file + ": a series of " + rowCount + " steps is too short for window " + window
                    + " and horizon " + horizon + " (needs at least " + (window + horizon) + " steps)");
        }
        if (n > Integer.MAX_VALUE) {
            throw new DataFormatException(file + ": " + n + " windows are more than a data set's " + Integer.MAX_VALUE + " examples");
        }
        Broadcast<Map<Long, float[]>> after = sc.broadcast(heads);
        JavaRDD<Example> rows = steps.mapPartitions(it -> {
            List<Tuple2<Long, float[]>> own = new ArrayList<>();
            it.forEachRemaining(own::add);
            List<Example> out = new ArrayList<>();
            for (int a = 0; a < own.size(); a++) {
                long i = own.get(a)._1();
                if (i >= n) {
                    break;
                }
                float[] x = new float[window * f];
                for (int r = 0; r < window; r++) {
                    System.arraycopy(row(own, a, r, after.value()), 0, x, r * f, f);
                }
                float[] last = row(own, a, window - 1 + horizon, after.value());
                float[] y = new float[targetIdx.length];
                for (int k = 0; k < y.length; k++) {
                    y[k] = last[targetIdx[k]];
                }
                out.add(new Example((int) i, x, y, null));
            }
            return out.iterator();
        }).cache();
        Layout layout = new Layout(new int[] {window, f}, new int[] {targetIdx.length}, 0, 0);
        return new DistributedDataset(rows, (int) n, layout, "sequence CSV " + file + ", window " + window + ", horizon " + horizon);
    }

    /** The row {@code r} steps after {@code own}'s row {@code a}: in the partition, or among the next partitions' first rows. */
    private static float[] row(List<Tuple2<Long, float[]>> own, int a, int r, Map<Long, float[]> after) {
        if (a + r < own.size()) {
            return own.get(a + r)._2();
        }
        float[] x = after.get(own.get(a)._1() + r);
        if (x == null) {
            throw new IllegalStateException("time step " + (own.get(a)._1() + r) + " is neither in this partition nor among the"
                    + " next partitions' first rows");
        }
        return x;
    }

    /**
     * Fits a standardizer over every example with the bits of {@link Standardizer#fit} on one machine: each partition
     * sums its rows exactly ({@link ExactMoments}), and exact sums merged in any order are the same sums (the
     * population standard deviation, 0 replaced by 1).
     */
    public Standardizer fitStandardizer() {
        return fit(layout.exampleDims()[layout.exampleDims().length - 1]);
    }

    /**
     * One mean and one standard deviation over every element ({@link Standardizer#fitPooled}, IDX
     * {@code scaling: standardize}), with the exact sums of {@link #fitStandardizer}.
     */
    public Standardizer fitPooledStandardizer() {
        return fit(1);
    }

    private Standardizer fit(int f) {
        try {
            return rows.mapPartitions(it -> {
                ExactMoments s = new ExactMoments(f);
                it.forEachRemaining(e -> s.addRows(e.features()));
                return List.of(s).iterator();
            }).reduce(ExactMoments::merge).standardizer();
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw readFailure(source, e);
        }
    }

    /** The examples with their features standardized by {@code s} (fitted elsewhere: on the training part), on the executors. */
    public DistributedDataset standardize(Standardizer s) {
        float[] mean = s.mean();
        float[] std = s.std();
        int f = mean.length;
        JavaRDD<Example> out = rows.map(e -> {
            Tensor t = new Standardizer(mean, std).apply(Tensor.wrap(e.features(), e.features().length / f, f));
            return new Example(e.index(), t.data(), e.targets(), e.labels());
        }).cache();
        return new DistributedDataset(out, size, layout, source + ", standardised");
    }

    /**
     * A failed read on the executors as one clear error: the data's own message (file, line, column) when the data
     * was at fault, else what Spark reported.
     */
    static RuntimeException readFailure(String what, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataFormatException d) {
                return new DataFormatException(d.getMessage(), e);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return new IllegalStateException("reading " + what + " on the executors failed: " + e.getMessage(), e);
    }

    /** The split {@link Dataset#split} makes of a data set of this size with the same generator: same examples, same order. */
    public Split split(double validationFraction, Rng rng) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
        }
        int nVal = (int) Math.round(validationFraction * size);
        if (nVal == 0 || nVal == size) {
            throw new IllegalArgumentException("validationFraction " + validationFraction + " of " + size + " examples leaves "
                    + (nVal == 0 ? "no validation" : "no training") + " examples");
        }
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        rng.shuffle(order);
        return new Split(subset(Arrays.copyOfRange(order, nVal, size)), subset(Arrays.copyOfRange(order, 0, nVal)));
    }

    /** A training and a validation part. */
    public record Split(DistributedDataset train, DistributedDataset validation) {
    }

    /** The examples at {@code indices}, re-indexed {@code 0..indices.length-1} in that order. */
    public DistributedDataset subset(int[] indices) {
        int[] where = new int[size];
        Arrays.fill(where, -1);
        for (int i = 0; i < indices.length; i++) {
            where[indices[i]] = i;
        }
        Broadcast<int[]> map = JavaSparkContext.fromSparkContext(rows.context()).broadcast(where);
        JavaRDD<Example> out = rows.filter(e -> map.value()[e.index()] >= 0).map(e -> e.at(map.value()[e.index()])).cache();
        return new DistributedDataset(out, indices.length, layout, source);
    }

    private static List<int[]> ranges(int n, int partitions) {
        int p = Math.max(1, Math.min(n, partitions));
        List<int[]> out = new ArrayList<>(p);
        for (int i = 0; i < p; i++) {
            out.add(new int[] {(int) ((long) i * n / p), (int) ((long) (i + 1) * n / p)});
        }
        return out;
    }

    /** Line {@code line} of {@code file}, one record, parsed under the file's header line; errors name the line. */
    private static CsvTable record(String file, String header, String text, int line) {
        try {
            return CsvTable.parse(Path.of(name(file)), header + "\n" + text);
        } catch (DataFormatException e) {
            throw new DataFormatException(e.getMessage().replace(", line 2", ", line " + line)
                    + " (on Spark each record is one line: a quoted field cannot span lines)");
        }
    }

    private static float number(CsvTable row, int column, String file, int line) {
        try {
            return row.number(0, column);
        } catch (DataFormatException e) {
            throw new DataFormatException(e.getMessage().replace(", line 2", ", line " + line));
        }
    }

    private static String name(String uri) {
        int slash = uri.lastIndexOf('/');
        return slash < 0 ? uri : uri.substring(slash + 1);
    }

    private static FileSystem fs(Configuration conf, org.apache.hadoop.fs.Path p, String uri) {
        try {
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) {
                throw new DataFormatException("data file " + uri + " does not exist (a path on the executors' file system:"
                        + " a Hadoop URI such as file:/data/x.csv or hdfs://namenode/data/x.csv)");
            }
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + uri + ": " + e.getMessage(), e);
        }
    }

    /** An IDX file's header: its dimensions, and whether the file is gzip-compressed. */
    record IdxHeader(int[] dims, boolean gzip) {
    }

    private static IdxHeader idxHeader(Configuration conf, String uri, int magic, int rank, String what) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = fs(conf, p, uri);
        try (InputStream raw = new BufferedInputStream(fs.open(p))) {
            boolean gzip = isGzip(raw);
            DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw) : raw);
            String where = uri + (gzip ? " (after gzip decompression)" : "");
            int m = in.readInt();
            if (m != magic) {
                throw new DataFormatException(where + ": expected an IDX " + what + " file, magic " + String.format("0x%08X", magic)
                        + " (unsigned bytes, " + rank + " dimensions), got " + String.format("0x%08X", m));
            }
            int[] dims = new int[rank];
            long elements = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                elements *= dims[i];
            }
            long expected = 4L + 4L * rank + elements;
            // a compressed file's length says nothing of its content: a short one fails where an executor reads past its end
            long actual = fs.getFileStatus(p).getLen();
            if (!gzip && actual != expected) {
                throw new DataFormatException(uri + ": the header's dimensions " + Arrays.toString(dims) + " need " + expected
                        + " bytes, the file has " + actual);
            }
            return new IdxHeader(dims, gzip);
        } catch (java.io.EOFException e) {
            throw new DataFormatException(uri + ": the IDX header is truncated", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    /** True when the stream starts with gzip's magic bytes (the stream is reset to its start). */
    private static boolean isGzip(InputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }

    /**
     * Reads {@code into.length} bytes at {@code offset} of the file's content: one positioned read of a plain file; a
     * gzip file is decompressed from its start and the bytes before {@code offset} skipped, since a deflate stream has
     * no entry point midway (each partition then decompresses up to the end of its range).
     */
    private static void readRange(Configuration conf, String uri, boolean gzip, long offset, byte[] into) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        try (FSDataInputStream in = p.getFileSystem(conf).open(p)) {
            if (!gzip) {
                in.readFully(offset, into);
                return;
            }
            try (InputStream z = new GZIPInputStream(new BufferedInputStream(in))) {
                z.skipNBytes(offset);
                new DataInputStream(z).readFully(into);
            } catch (java.io.EOFException e) {
                throw new DataFormatException(uri + " (after gzip decompression) ends before byte " + (offset + into.length)
                        + ", which its header's dimensions need: the file is truncated", e);
            }
        }
    }

    private static String firstLine(Configuration conf, String uri) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = fs(conf, p, uri);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
            String line = r.readLine();
            if (line == null || line.isBlank()) {
                throw new DataFormatException(uri + " is empty: expected a header line of column names");
            }
            return line.startsWith("\uFEFF") ? line.substring(1) : line;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }
}
