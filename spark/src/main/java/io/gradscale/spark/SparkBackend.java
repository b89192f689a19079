package io.gradscale.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.ClusterBackend;
import io.gradscale.cli.config.ClusterSpec;
import io.gradscale.cli.config.ConfigNode;
import io.gradscale.cli.config.DataBuilder;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.data.Dataset;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Rng;
import io.gradscale.train.Trainer;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The command line's Spark backend ({@code ./gradscale train CONFIG --spark MASTER}, or a {@code spark:} section):
 * CSV and IDX data are read by the executors ({@link DistributedDataset}); the built-in tasks are generated on the
 * driver and spread over the partitions. The validation split draws from the run's generator as on one machine,
 * so a run with {@code training.micro_batches: k} trains the same bits here as in one JVM.
 */
public final class SparkBackend implements ClusterBackend {
    private ClusterSpec spec;
    private JavaSparkContext sc;
    private int partitions;
    private DistributedDataset train;
    private DistributedDataset validation;
    private Dataset localValidation;
    private SparkGradients gradients;

    @Override
    public void open(ClusterSpec s) {
        this.spec = s;
        this.sc = new SparkSettings(s.master(), s.partitions(), s.conf()).open();
        this.partitions = new SparkSettings(s.master(), s.partitions(), s.conf()).partitionsOn(sc);
    }

    @Override
    public DataBuilder.Built load(ConfigNode d, Path baseDir, Rng rng) {
        JsonNode src = d.raw("source");
        String source = src == null ? "" : src.asText();
        if (!source.equals("csv") && !source.equals("idx")) {
            DataBuilder.Built b = DataBuilder.build(d, baseDir, rng);
            train = DistributedDataset.of(sc, b.train(), partitions);
            localValidation = b.validation();
            return new DataBuilder.Built(null, null, b.summary() + " (generated on the driver, spread over " + partitions
                    + " partitions)", b.facts());
        }
        d.string("source");
        d.integer("size", 0, 0, Integer.MAX_VALUE); // read for every source by DataBuilder; no meaning for files
        double fraction = d.number("validation", 0.2, 0.0, 0.9);
        String path = uri(baseDir, d.string("path"));
        DistributedDataset all;
        if (source.equals("idx")) {
            all = DistributedDataset.idx(sc, path, uri(baseDir, d.string("labels")), d.integer("classes", 10, 2, 1 << 20), partitions);
        } else {
            String label = d.string("label");
            boolean classification = d.choice("task", "classification", "classification", "regression").equals("classification");
            all = DistributedDataset.csv(sc, path, label, classification ? 0 : -1, partitions);
            if (d.bool("standardize", true)) {
                all = all.standardize();
            }
        }
        d.done();
        String summary = all.source() + ", read by the executors";
        if (fraction > 0 && all.size() >= 2) {
            DistributedDataset.Split s = all.split(fraction, rng.split());
            train = s.train();
            validation = s.validation();
            summary += "; " + train.size() + " train / " + validation.size() + " validation";
        } else {
            train = all;
        }
        Layout l = train.layout();
        int width = l.classes() == 0 ? Layout.product(l.targetDims()) : 1;
        return new DataBuilder.Built(null, null, summary, new DataBuilder.Facts(l.task(), l.exampleShape(), width, train.size()));
    }

    /** A relative path is the configuration's directory's; anything with a scheme is a Hadoop URI, kept as written. */
    static String uri(Path baseDir, String path) {
        if (path.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !path.matches("[A-Za-z]:\\\\.*")) {
            return path;
        }
        return baseDir.resolve(path).toAbsolutePath().toUri().toString();
    }

    @Override
    public Trainer.Result train(Trainer trainer, RunSpec run, long untilStep) {
        String modelJson = run.config().path("model").toString();
        RunSpec.ModelShape shape = run.modelShape();
        long seed = run.seed();
        ModelFactory factory = () -> shape.create(modelJson, seed);
        Module model = run.model().model();
        SparkGradients.Reduction r = spec.reduction().equals("tree_aggregate") ? SparkGradients.Reduction.TREE_AGGREGATE
                : SparkGradients.Reduction.FIXED_TREE;
        gradients = new SparkGradients(sc, train, model, factory, partitions, r);
        Supplier<Trainer.Evaluation> val = validation != null ? () -> gradients.evaluate(validation)
                : localValidation != null && localValidation.size() > 0 ? () -> trainer.evaluate(localValidation) : null;
        try {
            return trainer.run(gradients, val, untilStep);
        } finally {
            gradients.close();
        }
    }

    @Override
    public String describe() {
        return "Spark " + sc.master() + ", " + partitions + " partitions, " + spec.reduction().replace('_', ' ');
    }

    @Override
    public String timings() {
        return gradients == null ? "no steps" : gradients.times().toString();
    }

    @Override
    public void close() {
        if (sc != null) {
            sc.stop();
        }
    }
}
