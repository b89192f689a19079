package io.gradscale.cli.remedy;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.gradscale.train.Json;
import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code diagnose --try-remedies} measured: the configuration as given ("before") and each remedy
 * applied to it ("after"), each probed for the same steps on the same seeds, the remedies ranked by their
 * effect on the loss after the probe. Written to {@value #FILE_NAME} in the run directory; the report reads it.
 *
 * @param config the configuration file that was diagnosed
 * @param steps training steps of each probe
 * @param seeds the seeds every variant ran on (the configuration's, then the next ones)
 * @param before the configuration as given
 * @param after the remedies, best first
 * @param best the id of the remedy written to {@code remedied.yaml}, or null when none lowered the loss
 */
public record TrialResults(String config, long steps, List<Long> seeds, Trial before, List<Trial> after, String best) {
    /** The file name inside the run directory. */
    public static final String FILE_NAME = "remedies.json";

    public TrialResults {
        seeds = List.copyOf(seeds);
        after = List.copyOf(after);
    }

    /**
     * One variant's figures over the seeds.
     *
     * @param id {@code before}, or the remedy's id
     * @param remedy the remedy (null for {@code before})
     * @param edits the remedy's edits, one line each against the configuration as given
     * @param runs one entry per seed
     * @param lossAfter mean over the seeds of the loss after the probe
     * @param gradRatio geometric mean over the seeds of the first/last layer gradient-norm ratio ({@link #gradRatio})
     * @param effect relative change of {@code lossAfter} against before: {@code (before - after) / before}, positive
     *     when the remedy lowered the loss; 1 when it made a non-finite loss finite; {@code NaN} for before itself and for a
     *     remedy whose loss is not finite
     * @param verdicts each warning or critical verdict ("CRITICAL vanishing") with the number of seeds that got it
     */
    public record Trial(String id, Remedy remedy, List<String> edits, List<SeedRun> runs, double lossAfter, double gradRatio,
                        double effect, Map<String, Integer> verdicts) {
        public Trial {
            edits = List.copyOf(edits);
            runs = List.copyOf(runs);
            verdicts = Map.copyOf(verdicts);
        }
    }

    /**
     * One probe.
     *
     * @param seed its seed
     * @param lossAfter loss of the final model on the validation set (the training set when there is none)
     * @param gradRatio the first/last layer gradient-norm ratio of the probe ({@link #gradRatio})
     * @param verdicts its warning and critical verdicts, most severe first ("CRITICAL vanishing")
     * @param dir its run directory
     */
    public record SeedRun(long seed, double lossAfter, double gradRatio, List<String> verdicts, String dir) {
        public SeedRun {
            verdicts = List.copyOf(verdicts);
        }
    }

    /**
     * The median over a probe's sampled steps of the first layer's gradient norm over the last layer's (layers in
     * parameter order, input side first): near 1 the gradient keeps its scale through the network, far below 1 it
     * vanishes toward the input, far above it explodes. {@code NaN} with fewer than two layers or no sample.
     */
    public static double gradRatio(List<StepRecord> steps) {
        List<Double> r = new ArrayList<>();
        for (StepRecord s : steps) {
            if (s.layers().size() < 2) {
                continue;
            }
            List<LayerStats> ls = new ArrayList<>(s.layers().values());
            double first = ls.getFirst().gradNorm();
            double last = ls.getLast().gradNorm();
            if (Double.isFinite(first) && Double.isFinite(last) && last > 0) {
                r.add(first / last);
            }
        }
        if (r.isEmpty()) {
            return Double.NaN;
        }
        double[] a = r.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2]);
    }

    /** Writes these results as JSON to {@code file}. */
    public void write(Path file) throws IOException {
        Json.mapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
    }

    /** Reads results written by {@link #write}; a malformed file fails with its name. */
    public static TrialResults read(Path file) throws IOException {
        try {
            return Json.mapper().readValue(file.toFile(), TrialResults.class);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not the results of diagnose --try-remedies: " + e.getOriginalMessage(), e);
        }
    }
}
