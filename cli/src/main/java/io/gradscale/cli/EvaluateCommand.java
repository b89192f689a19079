package io.gradscale.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.cli.config.ConfigNode;
import io.gradscale.cli.config.DataBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.data.Batch;
import io.gradscale.data.CsvDataset;
import io.gradscale.data.Dataset;
import io.gradscale.data.Task;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.Json;
import io.gradscale.train.Objective;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gradscale evaluate RUN_DIR --data CONFIG_OR_FILE}: the loss (and accuracy) of a trained run's model on
 * other data, printed and appended to {@code RUN_DIR/}{@value #FILE_NAME}.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Score a trained run's model (its recorded configuration, and the weights its test used) on data: a CSV file"
                + " with the training CSV's columns, or a configuration whose data section is read (its validation part,"
                + " the same rows as in training) or, with a test section, the test data. Features get the training run's standardisation.")
final class EvaluateCommand implements Callable<Integer> {
    /** The evaluations of a run, one JSON object per line, next to its metrics log. */
    static final String FILE_NAME = "evaluations.jsonl";

    @Mixin
    TrainedRunOptions run;

    @Option(names = "--data", required = true, paramLabel = "CONFIG_OR_FILE",
            description = "A CSV file (.csv, .csv.gz) with the label column, or a run configuration (.yaml, .yml, .json).")
    Path data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return run.withModel(this::evaluate);
    }

    private int evaluate(TrainedModel m, Engine engine) throws IOException {
        Scored s = read(m);
        int[] got = s.data().exampleShape().dims();
        if (!java.util.Arrays.equals(got, m.shape().example())) {
            throw new IllegalArgumentException(data + ": " + s.what() + " has examples of shape " + java.util.Arrays.toString(got)
                    + " but the model of " + run.runDir + " was trained on " + java.util.Arrays.toString(m.shape().example()));
        }
        Objective objective = Objective.forTask(m.task());
        double lossSum = 0;
        double accSum = 0;
        int n = s.data().size();
        for (int lo = 0; lo < n; lo += TrainedModel.BATCH) {
            Batch b = s.data().batch(lo, Math.min(n, lo + TrainedModel.BATCH));
            Var out = m.model().forward(Tape.noGrad(engine).constant(b.inputs()));
            lossSum += objective.loss(out, b).item() * b.size();
            accSum += objective.accuracy(out.value(), b) * b.size();
        }
        double loss = lossSum / n;
        double accuracy = m.task().hasLabels() ? accSum / n : Double.NaN;
        var o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "evaluate %s (%s weights) on %s (%d examples): loss %.5g%s%n", run.runDir, m.weights(), s.what(), n, loss,
                Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, ", accuracy %.2f%%", 100 * accuracy));
        ObjectNode rec = Json.mapper().createObjectNode();
        rec.put("data", data.toAbsolutePath().toString());
        rec.put("part", s.what());
        rec.put("weights", m.weights());
        rec.put("examples", n);
        rec.put("loss", loss);
        if (!Double.isNaN(accuracy)) {
            rec.put("accuracy", accuracy);
        }
        rec.put("at", Instant.now().toString());
        Files.writeString(run.runDir.resolve(FILE_NAME), Json.mapper().writeValueAsString(rec) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        o.println("recorded in " + run.runDir.resolve(FILE_NAME));
        return Main.OK;
    }

    /** The data to score and a description of which part of the source it is. */
    private record Scored(Dataset data, String what) {
    }

    private Scored read(TrainedModel m) {
        String name = data.getFileName() == null ? "" : data.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) {
            JsonNode root = RunSpec.read(data);
            // the same generator path as RunSpec.build, so that a held-out part is the rows training held out
            Rng rng = new Rng(root.path("seed").asLong(RunSpec.DEFAULT_SEED));
            ConfigNode c = new ConfigNode(root, "");
            DataBuilder.Built built = DataBuilder.build(c.object("data"), c, data.toAbsolutePath().getParent(), rng.split(),
                    m.standardizer());
            if (built.test() != null) {
                return new Scored(built.test(), "its test section");
            }
            return built.validation() != null ? new Scored(built.validation(), "its validation data")
                    : new Scored(built.train(), "its data section");
        }
        if (m.label() == null) {
            throw new IllegalArgumentException("--data " + data + ": the model of " + run.runDir + " was not trained on a CSV file;"
                    + " give a configuration (.yaml, .yml, .json) whose data section describes the data");
        }
        CsvDataset.Options o = m.task() instanceof Task.Classification c ? CsvDataset.Options.classification(m.label()).classes(c.classes())
                : CsvDataset.Options.regression(m.label());
        if (m.features() != null) {
            o = o.features(m.features());
        }
        if (m.standardizer() != null) {
            o = o.standardizeWith(m.standardizer());
        }
        return new Scored(CsvDataset.read(data, o), "the CSV file");
    }
}
