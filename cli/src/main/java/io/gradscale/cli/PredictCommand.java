package io.gradscale.cli;

import io.gradscale.data.CsvTable;
import io.gradscale.data.Task;
import io.gradscale.io.AtomicFiles;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gradscale predict RUN_DIR INPUT --out predictions.csv}: a trained run's model applied to the rows of a CSV
 * file. The feature columns are found by the names the training CSV gave them (any order, other columns such
 * as the label are ignored); a model trained on other data takes every column, which must then number its
 * inputs. Features get the training run's standardisation.
 *
 * <p>Output, one row per input row: {@code row} (0-based), {@code prediction} (the class with the highest
 * probability, or the regression output; {@code prediction_j} for several outputs) and, for classification,
 * {@code p_0, p_1, ...}: the softmax of the model's logits.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Apply a trained run's model (its recorded configuration, and the weights its test used) to the rows of a CSV file"
                + " (.csv, .csv.gz) and write one prediction per row.")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    TrainedRunOptions run;

    @Parameters(index = "1", paramLabel = "INPUT", description = "A CSV file with the feature columns the model was trained on.")
    Path input;

    @Option(names = "--out", defaultValue = "predictions.csv", description = "Where to write the predictions (default: ${DEFAULT-VALUE}).")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return run.withModel(this::predict);
    }

    private int predict(TrainedModel m, Engine engine) throws IOException {
        if (m.shape().layout() != io.gradscale.cli.config.DataBuilder.Layout.FEATURES) {
            throw new IllegalArgumentException("the model of " + run.runDir + " was trained on " + m.shape().layout().noun()
                    + "; predict reads one CSV row of features per example: score such data with"
                    + " `gradscale evaluate RUN_DIR --data CONFIG`");
        }
        CsvTable table = CsvTable.read(input);
        int[] columns = featureColumns(m, table);
        Tensor x = Tensor.wrap(table.numbers(columns), table.rows(), columns.length);
        if (m.standardizer() != null) {
            x = m.standardizer().apply(x);
        }
        Tensor y = m.outputs(x, engine);
        boolean classes = m.task() instanceof Task.Classification;
        AtomicFiles.write(out, os -> {
            Writer w = new OutputStreamWriter(os, StandardCharsets.UTF_8);
            write(w, y, classes);
            w.flush();
        });
        spec.commandLine().getOut().println("predicted " + table.rows() +  " rows of " + input + " with the " + m.weights() + " weights of " + run.runDir
                + ": " + out.toAbsolutePath());
        return Main.OK;
    }

    private int[] featureColumns(TrainedModel m, CsvTable table) {
        int inputs = m.shape().features();
        if (m.features() != null) {
            int[] cols = new int[m.features().size()];
            for (int j = 0; j < cols.length; j++) {
                cols[j] = table.column(m.features().get(j));
            }
            return cols;
        }
        List<Integer> cols = new ArrayList<>();
        for (int c = 0; c < table.header().size(); c++) {
            if (!table.header().get(c).equals(m.label())) {
                cols.add(c);
            }
        }
        if (cols.size() != inputs) {
            throw new IllegalArgumentException(input + " has " + cols.size() + " feature columns (" + String.join(", ", table.header())
                    + ") but the model of " + run.runDir + " takes " + inputs + " inputs");
        }
        return cols.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void write(Writer w, Tensor y, boolean classes) throws IOException {
        int n = y.dim(0);
        int k = y.dim(1);
        float[] v = y.data();
        StringBuilder sb = new StringBuilder("row,");
        if (classes) {
            sb.append("prediction");
            for (int j = 0; j < k; j++) {
                sb.append(",p_").append(j);
            }
        } else if (k == 1) {
            sb.append("prediction");
        } else {
            for (int j = 0; j < k; j++) {
                sb.append(j == 0 ? "" : ",").append("prediction_").append(j);
            }
        }
        w.write(sb.append('\n').toString());
        double[] p = new double[k];
        for (int i = 0; i < n; i++) {
            sb.setLength(0);
            sb.append(i);
            if (classes) {
                int best = softmax(v, i * k, k, p);
                sb.append(',').append(best);
                for (int j = 0; j < k; j++) {
                    sb.append(',').append(String.format(Locale.ROOT, "%.6g", p[j]));
                }
            } else {
                for (int j = 0; j < k; j++) {
                    sb.append(',').append(v[i * k + j]);
                }
            }
            w.write(sb.append('\n').toString());
        }
    }

    /** Softmax of {@code v[off, off + k)} into {@code p} (shifted by the maximum, in double); returns the arg max. */
    private static int softmax(float[] v, int off, int k, double[] p) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (v[off + j] > v[off + best]) {
                best = j;
            }
        }
        double sum = 0;
        for (int j = 0; j < k; j++) {
            p[j] = Math.exp(v[off + j] - v[off + best]);
            sum += p[j];
        }
        for (int j = 0; j < k; j++) {
            p[j] /= sum;
        }
        return best;
    }
}
