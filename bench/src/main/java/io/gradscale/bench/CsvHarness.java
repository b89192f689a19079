package io.gradscale.bench;

import io.gradscale.data.CsvDataset;
import io.gradscale.data.CsvTable;
import io.gradscale.data.Dataset;
import io.gradscale.tensor.Rng;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * CSV reading speed on one core, against the time to read the file's bytes at all.
 *
 * <pre>
 *   CsvHarness write FILE ROWS        a digits-like table: 784 integer pixel columns (0-255) and a label column
 *   CsvHarness write-real FILE ROWS   the same shape with decimals of 6 significant digits (standardized values)
 *   CsvHarness run FILE [REPEATS]     per repeat, in this order: the raw bytes (Files.readAllBytes), CsvTable.read,
 *                                     CsvDataset.read (table, numbers, labels); prints one RESULT line with
 *                                     the median of each and MB/s (10^6 bytes of the file per second of this
 *                                     thread's CPU time, so that other processes on a shared machine do not
 *                                     count), and the data set's median wall time
 * </pre>
 *
 * {@code bench/run-csv.sh} runs it next to numpy's {@code loadtxt} and pandas' {@code read_csv} on the same file.
 */
public final class CsvHarness {
    static final int PIXELS = 784;
    static final int CLASSES = 10;
    /** Repeats by default; the first warms the JIT, and the median of all is reported. */
    static final int DEFAULT_REPEATS = 7;

    private CsvHarness() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 3 && args[0].startsWith("write")) {
            write(Path.of(args[1]), Integer.parseInt(args[2]), args[0].equals("write-real"));
        } else if (args.length >= 2 && args[0].equals("run")) {
            System.out.println(run(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_REPEATS));
        } else {
            System.err.println("usage: CsvHarness write|write-real FILE ROWS | CsvHarness run FILE [REPEATS]");
            System.exit(2);
        }
    }

    static void write(Path file, int rows, boolean real) throws IOException {
        Rng rng = new Rng(21);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < PIXELS; j++) {
                sb.append('p').append(j).append(',');
            }
            w.write(sb.append("label\n").toString());
            for (int r = 0; r < rows; r++) {
                sb.setLength(0);
                for (int j = 0; j < PIXELS; j++) {
                    if (real) {
                        sb.append(String.format(Locale.ROOT, "%.6g", rng.nextGaussian()));
                    } else {
                        // most pixels of a digit are 0, as in MNIST
                        sb.append(rng.nextInt(5) == 0 ? rng.nextInt(256) : 0);
                    }
                    sb.append(',');
                }
                w.write(sb.append(rng.nextInt(CLASSES)).append('\n').toString());
            }
        }
    }

    static String run(Path file, int repeats) throws IOException {
        long size = Files.size(file);
        double[] raw = new double[repeats];
        double[] table = new double[repeats];
        double[] dataset = new double[repeats];
        long check = 0;
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] wall = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            check += Files.readAllBytes(file).length;
            long t1 = mx.getCurrentThreadCpuTime();
            check += CsvTable.read(file).rows();
            long t2 = mx.getCurrentThreadCpuTime();
            long w2 = System.nanoTime();
            Dataset d = CsvDataset.read(file, CsvDataset.Options.classification("label"));
            long t3 = mx.getCurrentThreadCpuTime();
            wall[i] = (System.nanoTime() - w2) / 1e9;
            check += d.size();
            raw[i] = (t1 - t0) / 1e9;
            table[i] = (t2 - t1) / 1e9;
            dataset[i] = (t3 - t2) / 1e9;
        }
        double r = median(raw);
        double t = median(table);
        double d = median(dataset);
        double mb = size / 1e6;
        return String.format(Locale.ROOT,
                "RESULT impl=gradscale file=%s mb=%.1f raw_s=%.4f raw_mbps=%.0f table_s=%.4f table_mbps=%.0f dataset_s=%.4f dataset_mbps=%.0f dataset_wall_s=%.4f repeats=%d check=%d",
                file.getFileName(), mb, r, mb / r, t, mb / t, d, mb / d, median(wall), repeats, check);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return StepHarness.quantile(s, 0.5);
    }
}
