package io.gradscale.diag;

import io.gradscale.train.EventRecord;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gradient doctor while training runs: verdicts on the recent steps, condition events in the metrics
 * log, and (on request) an end to a run that has gone non-finite or exploding, with the last good state kept.
 *
 * <p>Incremental and cheap: each step's record is appended to a window of the last {@link #DEFAULT_WINDOW}
 * steps (a ring buffer, O(1)); the detectors of a {@link GradientDoctor} run over that window every
 * {@link #DEFAULT_EVERY}-th step, and at once on a non-finite step while no non-finite condition is on. Nothing is
 * re-read from the log, and the work per evaluation is bounded by the window, so it does not grow with the run.
 * The window is as long as {@code diagnose}'s default probe, so a live verdict
 * judges as many steps as a probe's diagnosis does (without the probes on the model, such as the gradient
 * autocorrelation, which the live doctor does not run).
 *
 * <p>A <em>condition</em> is a detector whose verdict is {@code WARNING} or {@code CRITICAL}. When one begins,
 * changes severity or ends, an {@link EventRecord} of kind {@link #BEGAN}, {@link #CHANGED} or {@link #ENDED} goes
 * to the sinks (the metrics log; the message of a began or changed event is the severity, a space and the
 * verdict's title), so that {@code report} and {@code diagnose} can tell when each held
 * ({@link ConditionEpisode#from}). The <em>headline</em> is the most severe condition (or none: healthy); the
 * {@link Observer} hears when it changes, which is what a progress line shows.
 *
 * <p>With {@link OnCritical#STOP}, the doctor keeps a {@link Trainer#checkpoint()} of the last evaluated step at
 * which none of the {@link #STOPPING} detectors was critical (and one of the initial state), and calls
 * {@link Trainer#abort} at the first step at which one is; the caller restores {@link #lastGood()}.
 */
public final class LiveDoctor implements TrainingListener {
    /** Steps the live verdicts are computed over: the most recent ones (the length of {@code diagnose}'s default probe). */
    public static final int DEFAULT_WINDOW = 200;
    /**
     * Steps between two evaluations. One evaluation over a full window costs about as much as one to three steps of
     * the deep-sigmoid example (MLP 2-32x10-2, batch 32), the cheapest step of the examples; judged on every 10th step
     * the doctor took 24 % of that example's training time, every 50th far less (measured side by side with
     * {@code LiveDoctorBench}, in docs/PERFORMANCE.md), and a condition is still seen within 50 steps of showing in
     * the window (a non-finite step at once).
     */
    public static final int DEFAULT_EVERY = 50;
    /** Event kind: a detector's verdict rose to WARNING or CRITICAL. */
    public static final String BEGAN = "condition_began";
    /** Event kind: a condition went from WARNING to CRITICAL or back. */
    public static final String CHANGED = "condition_changed";
    /** Event kind: a detector's verdict fell below WARNING. */
    public static final String ENDED = "condition_ended";
    /** Detectors whose critical verdict means the run has gone bad and ends it under {@link OnCritical#STOP}. */
    public static final Set<String> STOPPING = Set.of("non_finite", "exploding");

    /** What to do when a {@link #STOPPING} detector turns critical. */
    public enum OnCritical {
        /** Record it and say so; train on. */
        WARN,
        /** End the run and keep the last good state. */
        STOP;

        /** The default: a run is never ended behind the user's back. */
        public static final OnCritical DEFAULT = WARN;
    }

    /** Hears the headline verdict change. */
    @FunctionalInterface
    public interface Observer {
        /**
         * @param step the step whose evaluation changed it
         * @param headline the most severe condition now, or null when none is on (healthy)
         */
        void onHeadline(long step, Verdict headline);
    }

    private final GradientDoctor doctor;
    private final ModelFacts facts;
    private final int window;
    private final int every;
    private final List<TrainingListener> sinks;
    private final Observer observer;
    private final OnCritical onCritical;
    private final Trainer trainer;
    private final ArrayDeque<StepRecord> recent;
    private final Map<String, Verdict> active = new LinkedHashMap<>();
    private Verdict headline;
    // every verdict of the last evaluation, for readers on other threads (a live view); null before the first
    private volatile List<Verdict> latest;
    private Trainer.Snapshot lastGood;
    private long lastGoodStep = -1;
    private Verdict stoppedBy;
    private long evaluations;

    /**
     * @param doctor the detectors to run
     * @param facts what is known of the model, for the verdicts' remedies
     * @param window steps the verdicts are computed over (at least 10)
     * @param every the detectors run on every step whose index is a multiple of this (at least 1)
     * @param sinks where condition events go (e.g. the metrics log)
     * @param observer hears the headline change (may be null)
     * @param onCritical what a critical non-finite or exploding verdict does
     * @param trainer the trainer to checkpoint and abort; required with {@link OnCritical#STOP}, else may be null
     */
    public LiveDoctor(GradientDoctor doctor, ModelFacts facts, int window, int every, List<TrainingListener> sinks, Observer observer,
                      OnCritical onCritical, Trainer trainer) {
        if (window < 10) {
            throw new IllegalArgumentException("live doctor window must be at least 10 steps, got " + window);
        }
        if (every < 1) {
            throw new IllegalArgumentException("live doctor interval must be at least 1 step, got " + every);
        }
        if (onCritical == OnCritical.STOP && trainer == null) {
            throw new IllegalArgumentException("on_critical stop needs the trainer to checkpoint and stop");
        }
        this.doctor = doctor;
        this.facts = facts;
        this.window = window;
        this.every = every;
        this.sinks = List.copyOf(sinks);
        this.observer = observer;
        this.onCritical = onCritical;
        this.trainer = trainer;
        this.recent = new ArrayDeque<>(window);
        if (onCritical == OnCritical.STOP) {
            lastGood = trainer.checkpoint();
            lastGoodStep = trainer.step() - 1;
        }
    }

    @Override
    public void onStep(StepRecord r) {
        remember(r);
        boolean nonFinite = !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm());
        if (r.step() % every == 0 || nonFinite && !active.containsKey("non_finite")) {
            evaluate(r.step());
        }
    }

    /** Appends {@code r} to the window, dropping the oldest step of a full one: the one path by which steps enter it. */
    private void remember(StepRecord r) {
        if (recent.size() == window) {
            recent.removeFirst();
        }
        recent.addLast(r);
    }

    /**
     * Everything the doctor carries from one step to the next, for a checkpoint: a run resumed from it (see
     * {@link #restore}) writes the same condition events, at the same steps, as one never interrupted. Its serialized
     * form is {@link LiveDoctorState}'s.
     *
     * @param window the steps of the window, oldest first
     * @param active the conditions on at the last evaluation, most severe first
     * @param headline the most severe condition at the last evaluation, or null
     * @param evaluations how many times the detectors ran
     * @param lastGood under {@link OnCritical#STOP}, the state kept to go back to; else null
     * @param lastGoodStep the step {@code lastGood} was taken after
     * @param stoppedBy the verdict that ended the run, or null
     */
    public record State(List<StepRecord> window, List<Verdict> active, Verdict headline, long evaluations, Trainer.Snapshot lastGood,
                        long lastGoodStep, Verdict stoppedBy) {
        public State {
            window = List.copyOf(window);
            active = List.copyOf(active);
        }
    }

    /** The doctor's state now (the window's records are immutable and shared, not copied). */
    public State state() {
        return new State(new ArrayList<>(recent), new ArrayList<>(active.values()), headline, evaluations, lastGood, lastGoodStep,
                stoppedBy);
    }

    /**
     * Puts back a state taken by {@link #state()} of a doctor with the same window, interval and {@code on_critical}.
     * The window's steps are appended as {@link #onStep} appends them, without judging them (they were judged
     * before the state was taken). Checked before anything changes: a window longer than this doctor's, or a state
     * without the kept snapshot that {@link OnCritical#STOP} needs, fails with an {@link IllegalArgumentException}
     * whose message starts with "checkpoint".
     */
    public void restore(State s) {
        if (s.window().size() > window) {
            throw new IllegalArgumentException("checkpoint live doctor window holds " + s.window().size() + " steps, this doctor's "
                    + window);
        }
        if (onCritical == OnCritical.STOP && s.lastGood() == null) {
            throw new IllegalArgumentException("checkpoint live doctor state has no last good state, which on_critical stop needs");
        }
        recent.clear();
        s.window().forEach(this::remember);
        active.clear();
        for (Verdict v : s.active()) {
            active.put(v.detector(), v);
        }
        headline = s.headline();
        latest = s.active();
        evaluations = s.evaluations();
        if (onCritical == OnCritical.STOP) {
            lastGood = s.lastGood();
            lastGoodStep = s.lastGoodStep();
        }
        stoppedBy = s.stoppedBy();
    }

    /**
     * Verdicts about whether the run as a whole trains ({@link TrainingProgress}, and a learning rate too low, which
     * is judged by it): a window of a run that has converged is flat, so they are left to the diagnosis of the whole
     * run at its end, which knows the start and the constant-prediction baseline.
     */
    static final java.util.Set<String> WHOLE_RUN_ONLY = java.util.Set.of(TrainingProgress.NAME, LearningRateDetector.TOO_LOW_NAME);

    /**
     * The verdicts of {@code doctor} on a window of recent steps, most severe first, without the {@link #WHOLE_RUN_ONLY}
     * ones: what this doctor judges at each evaluation, and what a live view of a run judges when it has no live
     * doctor's verdicts to show.
     */
    public static List<Verdict> judgeWindow(GradientDoctor doctor, java.util.Collection<StepRecord> window, ModelFacts facts) {
        List<Verdict> verdicts = new ArrayList<>();
        for (Verdict v : doctor.diagnose(new RunView(new ArrayList<>(window), facts, Double.NaN))) {
            if (!WHOLE_RUN_ONLY.contains(v.detector())) {
                verdicts.add(v);
            }
        }
        return List.copyOf(verdicts);
    }

    private void evaluate(long step) {
        evaluations++;
        List<Verdict> verdicts = judgeWindow(doctor, recent, facts);
        latest = verdicts;
        Map<String, Verdict> now = new LinkedHashMap<>();
        for (Verdict v : verdicts) {
            if (v.severity().compareTo(Verdict.Severity.WARNING) >= 0) {
                now.putIfAbsent(v.detector(), v);
            }
        }
        for (Map.Entry<String, Verdict> e : active.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                emit(new EventRecord(step, ENDED, e.getKey() + " ended (was " + e.getValue().severity() + ": "
                        + e.getValue().title() + ")", e.getKey(), Verdict.Severity.OK));
            }
        }
        for (Verdict v : now.values()) {
            Verdict before = active.get(v.detector());
            if (before == null) {
                emit(new EventRecord(step, BEGAN, v.severity() + " " + v.title(), v.detector(), v.severity()));
            } else if (before.severity() != v.severity()) {
                emit(new EventRecord(step, CHANGED, v.severity() + " " + v.title(), v.detector(),
                        v.severity()));
            }
        }
        active.clear();
        active.putAll(now);
        Verdict top = now.isEmpty() ? null : now.values().iterator().next(); // diagnose() sorts most severe first
        if (!sameCondition(top, headline)) {
            headline = top;
            if (observer != null) {
                observer.onHeadline(step, top);
            }
        } else {
            headline = top;
        }
        if (onCritical == OnCritical.STOP && stoppedBy == null) {
            Verdict critical = now.values().stream()
                    .filter(v -> v.severity() == Verdict.Severity.CRITICAL && STOPPING.contains(v.detector())).findFirst().orElse(null);
            if (critical != null) {
                stoppedBy = critical;
                trainer.abort(critical.title() + " (on_critical: stop; the last good state is step " + lastGoodStep + ")");
            } else {
                lastGood = trainer.checkpoint();
                lastGoodStep = step;
            }
        }
    }

    private static boolean sameCondition(Verdict a, Verdict b) {
        return a == null ? b == null : b != null && a.detector().equals(b.detector()) && a.severity() == b.severity();
    }

    private void emit(EventRecord e) {
        for (TrainingListener s : sinks) {
            s.onEvent(e);
        }
    }

    /**
     * Every detector's verdict at the last evaluation (but the {@link #WHOLE_RUN_ONLY} ones), most severe first; after
     * {@link #restore}, the conditions that were on; empty before the first evaluation. Safe to read from any thread.
     */
    public java.util.Optional<List<Verdict>> latest() {
        return java.util.Optional.ofNullable(latest);
    }

    /** The most severe condition at the last evaluation, or null when none is on. */
    public Verdict headline() {
        return headline;
    }

    /** The conditions on at the last evaluation, by detector, most severe first. */
    public Map<String, Verdict> active() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(active));
    }

    /** The critical verdict that ended the run under {@link OnCritical#STOP}, or null. */
    public Verdict stoppedBy() {
        return stoppedBy;
    }

    /** Under {@link OnCritical#STOP}: the state after the last step judged good (the initial state before any); else null. */
    public Trainer.Snapshot lastGood() {
        return lastGood;
    }

    /** The step {@link #lastGood()} was taken after ({@code -1}: before the first step). */
    public long lastGoodStep() {
        return lastGoodStep;
    }

    /** How many times the detectors ran. */
    public long evaluations() {
        return evaluations;
    }
}
