package io.gradscale.cli.doctor;

import io.gradscale.cli.config.RunSpec;
import io.gradscale.diag.RunView;
import io.gradscale.diag.TrainingProgress;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One labelled case run through the probe and examined by the doctor.
 *
 * @param labelled the case
 * @param verdicts the doctor's verdicts, most severe first
 * @param diagnosed the conditions the verdicts diagnose
 * @param steps the steps the probe took (fewer than asked when the run diverged and stopped)
 * @param lossRatio the loss at the end of the probe over its baseline ({@link TrainingProgress#progress})
 * @param millis wall time of the probe and the examination
 */
public record CaseRun(LabelledCase labelled, List<Verdict> verdicts, Set<Condition> diagnosed, long steps, double lossRatio,
                      double millis) {

    /** Runs {@code c} for {@link Corpus#PROBE_STEPS} steps on {@code engine} and has the doctor examine it. */
    public static CaseRun run(LabelledCase c, Engine engine) {
        long t0 = System.nanoTime();
        RunSpec spec = RunSpec.build(c.config(), Path.of("."), engine, c.id());
        List<StepRecord> records = new ArrayList<>();
        Trainer trainer = new Trainer(spec.model().model(), spec.objective(), spec.optimizer().factory(), engine, spec.settings());
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepRecord r) {
                records.add(r);
            }
        });
        Trainer.Result result = trainer.run(spec.data().train(), spec.data().validation(), Corpus.PROBE_STEPS);
        List<Verdict> verdicts = Probe.diagnose(spec, records, engine);
        double progress = TrainingProgress.progress(new RunView(records, spec.facts(), Double.NaN, Probe.baseline(spec)));
        return new CaseRun(c, verdicts, Condition.diagnosed(verdicts), result.steps(), progress,
                (System.nanoTime() - t0) / 1e6);
    }

    /** True when the doctor diagnosed exactly what it must, give or take the tolerated conditions. */
    public boolean correct() {
        return missed().isEmpty() && falseAlarms().isEmpty();
    }

    /** Labelled conditions the doctor did not diagnose. */
    public Set<Condition> missed() {
        Set<Condition> m = java.util.EnumSet.noneOf(Condition.class);
        for (Condition x : labelled.labels()) {
            if (!diagnosed.contains(x)) {
                m.add(x);
            }
        }
        return m;
    }

    /** Conditions diagnosed that are neither labelled nor tolerated. */
    public Set<Condition> falseAlarms() {
        Set<Condition> m = java.util.EnumSet.noneOf(Condition.class);
        for (Condition x : diagnosed) {
            if (!labelled.labels().contains(x) && !labelled.tolerated().contains(x)) {
                m.add(x);
            }
        }
        return m;
    }

    /** True when the loss fell below {@link TrainingProgress#TRAINED_BELOW} of its baseline. */
    public boolean trained() {
        return lossRatio < TrainingProgress.TRAINED_BELOW;
    }

    /** The verdicts in one line: severity, detector and title. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Verdict v : verdicts) {
            sb.append(sb.isEmpty() ? "" : "; ").append(v.severity()).append(' ').append(v.detector()).append(": ").append(v.title());
            if (v.detector().startsWith("lr_") || v.detector().equals("exploding") || v.detector().equals("vanishing_through_time")
                    || v.detector().equals("not_training")) {
                sb.append(" [").append(String.join(" / ", v.evidence())).append(']');
            }
        }
        return sb.toString();
    }

    /** True when the doctor called the run plain healthy: no verdict at WARNING or above. */
    public boolean calledHealthy() {
        return verdicts.stream().noneMatch(v -> v.severity().compareTo(Condition.DIAGNOSED_AT) >= 0);
    }
}
