package io.gradscale.cli.doctor;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.diag.GradientAutocorrelation;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.RunView;
import io.gradscale.diag.TemporalGradient;
import io.gradscale.diag.TrainingProgress;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.StepRecord;
import java.util.List;

/**
 * The doctor's examination of a configured run, the same for {@code gradscale diagnose}, {@code train}
 * and the benchmark: the shattered-gradients probe on the trained feed-forward network, then every
 * detector over the step records.
 */
public final class Probe {
    /** Mixed into the run's seed for the autocorrelation probe's line, so that it differs from the run's own draws. */
    static final long AUTOCORRELATION_SALT = 0x5A5AL;

    private Probe() {
    }

    /** The verdicts on {@code spec}'s model after training, given the run's step records. */
    public static List<Verdict> diagnose(RunSpec spec, List<StepRecord> steps, Engine engine) {
        double autocorr = Double.NaN;
        if (spec.facts().recurrent().isEmpty() && spec.data().train().exampleShape().rank() == 1) {
            spec.model().model().eval(); // the trained network's function: running statistics, no dropout noise
            autocorr = GradientAutocorrelation.measure(spec.model().model(), spec.data().train().exampleShape().dim(0),
                    GradientAutocorrelation.DEFAULT_POINTS, new Rng(spec.seed() ^ AUTOCORRELATION_SALT), engine);
        }
        return GradientDoctor.standard().diagnose(new RunView(steps, spec.facts(), autocorr, baseline(spec), temporalRatio(spec, engine)));
    }

    /**
     * For a recurrent model, how much of its last output's gradient reaches the first input step
     * ({@link TemporalGradient}), on the first {@link TemporalGradient#DEFAULT_SEQUENCES} training sequences; NaN for
     * other models.
     */
    public static double temporalRatio(RunSpec spec, Engine engine) {
        if (spec.facts().recurrent().isEmpty() || spec.data().train().size() == 0) {
            return Double.NaN;
        }
        var train = spec.data().train();
        spec.model().model().eval();
        return TemporalGradient.firstOverLast(TemporalGradient.norms(spec.model().model(),
                train.batch(0, Math.min(train.size(), TemporalGradient.DEFAULT_SEQUENCES)).inputs(), engine));
    }

    /** The loss of the best constant prediction on the run's training set, the bar a run must clear to have trained. */
    public static double baseline(RunSpec spec) {
        return TrainingProgress.constantBaseline(spec.data().train());
    }
}
