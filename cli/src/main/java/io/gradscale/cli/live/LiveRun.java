package io.gradscale.cli.live;

import io.gradscale.cli.report.LiveState;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TestRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the live page knows of a run: the records seen so far (for the doctor and the summary), whether it has
 * finished, the doctor's verdicts, and the page's state ({@link LiveState}, which keeps the charts' numbers
 * itself, updated record by record). Owned by the server's publishing thread; not thread-safe.
 *
 * <p>Memory stays bounded on long runs: when more than {@link #MAX_KEPT_STEPS} step records are held,
 * every second one is dropped, separately among the records with per-layer statistics and among those
 * without, and never a skipped or non-finite step; the doctor sees the thinned run, as it sees a metrics log
 * that logs every n-th step.
 */
final class LiveRun {
    /** Step records held before thinning; four times what a chart draws. */
    static final int MAX_KEPT_STEPS = 8000;

    private final GradientDoctor doctor = GradientDoctor.standard();
    private final ModelFacts facts;
    private Provenance provenance;
    private List<StepRecord> steps = new ArrayList<>();
    private final List<EvalRecord> evals = new ArrayList<>();
    private final List<EventRecord> events = new ArrayList<>();
    private final List<TestRecord> tests = new ArrayList<>();
    private long seenSteps;
    private List<Verdict> finalVerdicts;
    private String finishedNote = "";
    private final LiveState state = new LiveState();

    LiveRun(ModelFacts facts) {
        this.facts = facts;
    }

    /** Adds one record: a {@link Provenance}, {@link StepRecord}, {@link EvalRecord}, {@link TestRecord} or {@link EventRecord}. */
    void add(Object record) {
        state.add(record);
        switch (record) {
            case Provenance p -> provenance = p;
            case StepRecord r -> {
                steps.add(r);
                seenSteps++;
                if (steps.size() > MAX_KEPT_STEPS) {
                    steps = thin(steps);
                }
            }
            case EvalRecord r -> evals.add(r);
            case EventRecord r -> events.add(r);
            case TestRecord r -> tests.add(r);
            default -> throw new IllegalArgumentException("not a metrics record: " + record.getClass().getName());
        }
    }

    /** Forgets everything (the followed log was replaced by a new run). */
    void reset() {
        provenance = null;
        steps = new ArrayList<>();
        evals.clear();
        events.clear();
        tests.clear();
        seenSteps = 0;
        finalVerdicts = null;
        finishedNote = "";
        state.reset();
    }

    /** The run has ended; {@code verdicts} are the final diagnosis (as in the report), {@code note} says how it ended. */
    void finish(List<Verdict> verdicts, String note) {
        finalVerdicts = List.copyOf(verdicts);
        finishedNote = note;
    }

    boolean finished() {
        return finalVerdicts != null;
    }

    /** Every second ordinary record, separately for records with and without per-layer statistics. */
    static List<StepRecord> thin(List<StepRecord> steps) {
        List<StepRecord> kept = new ArrayList<>(steps.size() / 2 + 16);
        int withLayers = 0;
        int without = 0;
        for (int i = 0; i < steps.size(); i++) {
            StepRecord r = steps.get(i);
            boolean special = r.skipped() || !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())
                    || i == steps.size() - 1;
            boolean even = r.layers().isEmpty() ? without++ % 2 == 0 : withLayers++ % 2 == 0;
            if (special || even) {
                kept.add(r);
            }
        }
        return kept;
    }

    /**
     * Brings the page's state up to date and returns it, ready for {@link LiveState#delta} or {@link LiveState#full}:
     * while training, the doctor's verdicts on the records seen so far; once finished, the final ones.
     *
     * @param dropped records the feed had to drop because the page fell behind (0 when none)
     */
    LiveState update(long dropped) {
        MetricsLog.Contents log = new MetricsLog.Contents(provenance, steps, evals, events, tests);
        List<Verdict> verdicts = finished() ? finalVerdicts : doctor.diagnose(new RunView(steps, facts, Double.NaN));
        StringBuilder status = new StringBuilder();
        if (finished()) {
            status.append("finished");
            if (!finishedNote.isEmpty()) {
                status.append(": ").append(finishedNote);
            }
        } else if (steps.isEmpty()) {
            status.append("live: waiting for the first step");
        } else {
            StepRecord last = steps.getLast();
            status.append(String.format(Locale.ROOT, "live: step %d, epoch %d, loss %.4g", last.step(), last.epoch() + 1, last.loss()));
        }
        if (dropped > 0) {
            status.append(" (").append(dropped).append(" records dropped: the page fell behind)");
        }
        state.update(log, verdicts, finished(), status.toString());
        return state;
    }

    /** The page's state as last brought up to date by {@link #update}. */
    LiveState state() {
        return state;
    }

    long seenSteps() {
        return seenSteps;
    }
}
