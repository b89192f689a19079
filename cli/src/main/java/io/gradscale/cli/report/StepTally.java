package io.gradscale.cli.report;

import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;

/**
 * What a run's summary says of its step records, counted one record at a time: how many were logged, the first
 * and last steps and epochs, the last finite loss, how many steps were clipped, skipped or non-finite, the guard's
 * count of zeroed elements, and the privacy spent at the last step.
 *
 * <p>The report counts a whole metrics log with {@link #of}; the live view adds each record as it arrives and
 * keeps no record, so its memory does not grow with the run and its records die young (a held record survives
 * the collector's young-generation passes, which then copy it: see docs/PERFORMANCE.md, issue 18).
 */
public final class StepTally {
    private long count;
    private long firstStep;
    private int firstEpoch;
    private long lastStep;
    private int lastEpoch;
    private double lastElapsedMillis;
    private double lastFiniteLoss = Double.NaN;
    private long lastFiniteLossStep = -1;
    private long clipped;
    private long skipped;
    private long nonFinite;
    private double zeroed;
    private Double epsilon;
    private Double delta;

    /** The tally of {@code steps}, in order. */
    public static StepTally of(Iterable<StepRecord> steps) {
        StepTally t = new StepTally();
        steps.forEach(t::add);
        return t;
    }

    /** Counts the next logged step. */
    public void add(StepRecord r) {
        if (count == 0) {
            firstStep = r.step();
            firstEpoch = r.epoch();
        }
        count++;
        lastStep = r.step();
        lastEpoch = r.epoch();
        lastElapsedMillis = r.elapsedMillis();
        if (Double.isFinite(r.loss())) {
            lastFiniteLoss = r.loss();
            lastFiniteLossStep = r.step();
        } else {
            nonFinite++;
        }
        if (r.clippedOrShrunk()) {
            clipped++;
        }
        if (r.skipped()) {
            skipped++;
        }
        zeroed = Math.max(zeroed, r.transforms().getOrDefault(PageSections.ZEROED_TOTAL, 0.0));
        epsilon = r.transforms().get(Trainer.EPSILON_METRIC);
        delta = r.transforms().get(Trainer.DELTA_METRIC);
    }

    /** Forgets every step (the followed log was replaced by a new run). */
    public void reset() {
        count = 0;
        lastFiniteLoss = Double.NaN;
        lastFiniteLossStep = -1;
        clipped = 0;
        skipped = 0;
        nonFinite = 0;
        zeroed = 0;
        epsilon = null;
        delta = null;
    }

    /** Steps logged. */
    public long count() {
        return count;
    }

    long firstStep() {
        return firstStep;
    }

    int firstEpoch() {
        return firstEpoch;
    }

    long lastStep() {
        return lastStep;
    }

    int lastEpoch() {
        return lastEpoch;
    }

    double lastElapsedMillis() {
        return lastElapsedMillis;
    }

    /** The loss of the last step whose loss was finite; NaN when none was. */
    double lastFiniteLoss() {
        return lastFiniteLoss;
    }

    /** The step of {@link #lastFiniteLoss}; -1 when none. */
    long lastFiniteLossStep() {
        return lastFiniteLossStep;
    }

    long clipped() {
        return clipped;
    }

    long skipped() {
        return skipped;
    }

    long nonFinite() {
        return nonFinite;
    }

    /** The largest count of zeroed gradient elements the guard reported (a running total). */
    double zeroed() {
        return zeroed;
    }

    /** Privacy spent (ε) as of the last step; null when the run does not account for it. */
    Double epsilon() {
        return epsilon;
    }

    /** The δ that goes with {@link #epsilon}; null when none. */
    Double delta() {
        return delta;
    }
}
