package io.gradscale.cli.live;

import io.gradscale.cli.report.LiveState;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.Verdict;
import io.gradscale.train.StepRecord;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the live page knows of a run: the page's state ({@link LiveState}, which takes each record's numbers into
 * its tables and counts and keeps no record), the last {@link LiveDoctor#DEFAULT_WINDOW} steps for the doctor,
 * whether the run has finished, and the verdicts to show. Owned by the server's publishing thread; not thread-safe.
 *
 * <p>While the run trains, the page shows the verdicts of the trainer's own {@link LiveDoctor} when the source has
 * them ({@link RecordSource#verdicts}: the same verdicts as the progress line and the metrics log's condition
 * events), else the same doctor's judgment of the window held here ({@link LiveDoctor#judgeWindow}: a run followed
 * by {@code watch}, or trained with the live doctor off). Either way they judge the recent steps, not the whole run:
 * whether the run as a whole trains is said by the final diagnosis, shown when it ends.
 *
 * <p>Memory is bounded and does not grow with the run: nothing but the window and the state's fixed-size tables
 * is held, so a record the trainer made dies young (records held for long were what made a live run's garbage
 * collections 25 times longer than a plain run's; docs/PERFORMANCE.md, issue 18). The window itself is held only
 * when the page judges it ({@link #holdWindow}): 200 records referenced from an array that has moved to the old
 * generation are scanned and copied by every young collection, which made a live run's young pauses 2.6-4.8 ms
 * against a plain run's 0.8 ms, about 2 % of the trainer's processor.
 */
final class LiveRun {
    private final GradientDoctor doctor = GradientDoctor.standard();
    private final ModelFacts facts;
    private final ArrayDeque<StepRecord> window = new ArrayDeque<>(LiveDoctor.DEFAULT_WINDOW);
    /** Whether the page judges the window itself (no verdicts from the producer's own doctor). */
    private boolean holdWindow = true;
    private long seenSteps;
    private long lastStep;
    private int lastEpoch;
    private double lastLoss;
    private List<Verdict> finalVerdicts;
    private String finishedNote = "";
    private final LiveState state = new LiveState();

    LiveRun(ModelFacts facts) {
        this.facts = facts;
    }

    /** Adds one record: a {@link io.gradscale.train.Provenance}, {@link StepRecord}, evaluation, test or event record. */
    void add(Object record) {
        state.add(record);
        if (record instanceof StepRecord r) {
            if (holdWindow) {
                if (window.size() == LiveDoctor.DEFAULT_WINDOW) {
                    window.removeFirst();
                }
                window.addLast(r);
            }
            seenSteps++;
            lastStep = r.step();
            lastEpoch = r.epoch();
            lastLoss = r.loss();
        }
    }

    /**
     * Whether to hold the last {@link LiveDoctor#DEFAULT_WINDOW} steps for the page's own judgment: true (the default)
     * unless the source's producer has a live doctor whose verdicts the page shows ({@link RecordSource#verdicts});
     * turned off, the window is dropped at once.
     */
    void holdWindow(boolean hold) {
        holdWindow = hold;
        if (!hold) {
            window.clear();
        }
    }

    /** Forgets everything (the followed log was replaced by a new run). */
    void reset() {
        window.clear();
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

    /**
     * Brings the page's state up to date and returns it, ready for {@link LiveState#delta} or {@link LiveState#full}:
     * while training, the current verdicts on the recent steps; once finished, the final diagnosis.
     *
     * @param live the trainer's live doctor's verdicts, when the source has them
     * @param dropped records the feed had to drop because the page fell behind (0 when none)
     */
    LiveState update(Optional<List<Verdict>> live, long dropped) {
        List<Verdict> verdicts = finished() ? finalVerdicts : live.orElseGet(() -> LiveDoctor.judgeWindow(doctor, window, facts));
        StringBuilder status = new StringBuilder();
        if (finished()) {
            status.append("finished");
            if (!finishedNote.isEmpty()) {
                status.append(": ").append(finishedNote);
            }
        } else if (seenSteps == 0) {
            status.append("live: waiting for the first step");
        } else {
            status.append(String.format(Locale.ROOT, "live: step %d, epoch %d, loss %.4g", lastStep, lastEpoch + 1, lastLoss));
        }
        if (dropped > 0) {
            status.append(" (").append(dropped).append(" records dropped: the page fell behind)");
        }
        state.update(verdicts, finished(), status.toString());
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
