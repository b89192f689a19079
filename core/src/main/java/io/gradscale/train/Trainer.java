package io.gradscale.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.data.Batch;
import io.gradscale.data.Dataset;
import io.gradscale.diag.GradientMonitor;
import io.gradscale.nn.Module;
import io.gradscale.privacy.RdpAccountant;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.tensor.ThreadPlan;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.Metrics;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a model by gradient descent: batch, stochastic or mini-batch ({@link GradientDescent}).
 *
 * <p>One step: record the forward pass and the loss on a tape (the loss multiplied by the loss scale
 * when loss scaling is on), backpropagate, measure the gradients ({@link GradientMonitor}), let the
 * optimizer transform and apply them, zero the gradients, and send one immutable {@link StepRecord}
 * to the listeners. Each epoch visits the training set in a seeded random order; at its end the
 * validation set (if any) is evaluated and early stopping consulted.
 *
 * <p>Divergence (a non-finite loss, or one far above its early level) stops training with a clear
 * message or rolls back to the last good snapshot with a lower learning rate, by the
 * {@link DivergencePolicy}. {@link #checkpoint()} and {@link #restore} capture everything needed for a
 * resumed run to continue bit for bit: weights, buffers, the optimizer's state, the trainer's position
 * and every random generator.
 */
public final class Trainer {
    /** Everything about a run that is not the model, the data or the optimizer. */
    public record Settings(GradientDescent descent, int epochs, long seed, int monitorEvery, DivergencePolicy divergence,
                           int earlyStoppingPatience, double earlyStoppingMinDelta, int snapshotEvery, boolean poissonSampling,
                           double privacyDelta, int microBatches) {
        /** Sample per-layer statistics every this many steps by default. */
        public static final int DEFAULT_MONITOR_EVERY = 10;
        /** The delta at which a private run's epsilon is reported when none is given (Opacus's examples use it). */
        public static final double DEFAULT_PRIVACY_DELTA = 1e-5;
        /** One forward and backward pass per step by default (no gradient accumulation). */
        public static final int DEFAULT_MICRO_BATCHES = 1;

        public Settings {
            if (!(privacyDelta > 0 && privacyDelta < 1)) {
                throw new IllegalArgumentException("the privacy delta must be in (0, 1), got " + privacyDelta);
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (monitorEvery < 1) {
                throw new IllegalArgumentException("monitor every must be >= 1, got " + monitorEvery);
            }
            if (earlyStoppingPatience < 0) {
                throw new IllegalArgumentException("early stopping patience must be >= 0 (0 = off), got " + earlyStoppingPatience);
            }
            if (microBatches < 1) {
                throw new IllegalArgumentException("micro-batches per step must be >= 1, got " + microBatches);
            }
        }

        /** Mini-batch descent, no early stopping, stop on divergence, snapshots every epoch. */
        public static Settings of(GradientDescent descent, int epochs, long seed) {
            return new Settings(descent, epochs, seed, DEFAULT_MONITOR_EVERY, DivergencePolicy.stop(), 0, 0.0, 0, false,
                    DEFAULT_PRIVACY_DELTA, DEFAULT_MICRO_BATCHES);
        }

        public Settings withMonitorEvery(int n) {
            return new Settings(descent, epochs, seed, n, divergence, earlyStoppingPatience, earlyStoppingMinDelta, snapshotEvery,
                    poissonSampling, privacyDelta, microBatches);
        }

        public Settings withDivergence(DivergencePolicy p) {
            return new Settings(descent, epochs, seed, monitorEvery, p, earlyStoppingPatience, earlyStoppingMinDelta, snapshotEvery,
                    poissonSampling, privacyDelta, microBatches);
        }

        public Settings withEarlyStopping(int patience, double minDelta) {
            return new Settings(descent, epochs, seed, monitorEvery, divergence, patience, minDelta, snapshotEvery,
                    poissonSampling, privacyDelta, microBatches);
        }

        /**
         * Poisson sampling of batches (each example joins each step's batch independently with probability
         * {@code q = batch size / n}, {@code round(1/q)} steps per epoch): the sampling the privacy accountant of
         * DP-SGD assumes. Without it, each epoch visits a shuffled permutation in fixed-size batches.
         */
        public Settings withPoissonSampling(boolean on) {
            return new Settings(descent, epochs, seed, monitorEvery, divergence, earlyStoppingPatience, earlyStoppingMinDelta,
                    snapshotEvery, on, privacyDelta, microBatches);
        }

        /** The delta at which a private run reports the epsilon it spent. */
        public Settings withPrivacyDelta(double delta) {
            return new Settings(descent, epochs, seed, monitorEvery, divergence, earlyStoppingPatience, earlyStoppingMinDelta,
                    snapshotEvery, poissonSampling, delta, microBatches);
        }

        /**
         * Gradient accumulation: each step's batch is cut into this many micro-batches (fewer when the batch is
         * smaller), whose gradient sums are added in the fixed tree of {@link MicroBatches}.
         */
        public Settings withMicroBatches(int m) {
            return new Settings(descent, epochs, seed, monitorEvery, divergence, earlyStoppingPatience, earlyStoppingMinDelta,
                    snapshotEvery, poissonSampling, privacyDelta, m);
        }

        public Settings withEpochs(int e) {
            return new Settings(descent, e, seed, monitorEvery, divergence, earlyStoppingPatience, earlyStoppingMinDelta, snapshotEvery,
                    poissonSampling, privacyDelta, microBatches);
        }
    }

    /** How a run ended. */
    public record Result(long steps, int epochs, double finalTrainLoss, double finalValLoss, double finalValAccuracy,
                         String stopReason, boolean diverged) {
    }

    /** A full snapshot of a run: tensors (weights and buffers, PyTorch names) and JSON state. */
    public record Snapshot(Map<String, Tensor> tensors, JsonNode state) {
    }

    /** The metric holding the epsilon a private run has spent so far (at {@link Settings#privacyDelta()}). */
    public static final String EPSILON_METRIC = "privacy.epsilon";
    /** The metric holding the delta of {@link #EPSILON_METRIC}. */
    public static final String DELTA_METRIC = "privacy.delta";

    private static final ObjectMapper JSON = Json.mapper();
    /**
     * Examples per forward pass of {@link #evaluate}: the loss is summed over these blocks of the data's order, so a
     * cluster that evaluates the same blocks and adds them in the same order gets the same bits.
     */
    public static final int EVAL_BATCH = 1024;

    private final Module model;
    private final Objective objective;
    private final OptimizerFactory factory;
    private final Engine engine;
    private final Settings settings;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final ParameterSet params;
    private GradientStep optimizer;
    private GradientMonitor monitor;
    private final Rng shuffle;
    private TrainerState state;
    private int[] perm;
    private long startNanos;
    /** Steps whose mean loss is the divergence reference (see {@link DivergencePolicy#referenceSteps}). */
    private int referenceSteps = 1;
    private Snapshot lastGood;
    /** The privacy accountant of a private run (see {@link #preparePrivacy}), else null. */
    private RdpAccountant accountant;
    /** Why a listener asked the run to end as failed (see {@link #abort}), or null. */
    private String abortReason;
    /**
     * Whether each step's loops use the pool's threads or the calling thread alone, measured (see {@link ThreadPlan}).
     * Its timings are not written to the metrics log, which stays the same bits on any thread count.
     */
    private final ThreadPlan plan;

    public Trainer(Module model, Objective objective, OptimizerFactory factory, Engine engine, Settings settings) {
        this.model = model;
        this.objective = objective;
        this.factory = factory;
        this.engine = engine;
        this.settings = settings;
        this.params = ParameterSet.of(model);
        this.optimizer = factory.create(1.0);
        this.monitor = new GradientMonitor(optimizer.parameters(), engine, settings.monitorEvery());
        this.shuffle = new Rng(settings.seed());
        this.state = TrainerState.initial(shuffle.state());
        this.plan = new ThreadPlan(engine.parallel());
    }

    /** What the thread plan's last probe measured, or null before the first (or on one thread). */
    public ThreadPlan.Probe lastThreadProbe() {
        return plan.lastProbe();
    }

    public Trainer addListener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    public Module model() {
        return model;
    }

    public GradientStep optimizer() {
        return optimizer;
    }

    /** Steps taken so far. */
    public long step() {
        return state.step();
    }

    /**
     * Ends the run after the step in progress as failed: called by a listener (e.g. the live gradient doctor on
     * a non-finite or exploding run) from {@link TrainingListener#onStep}. The run's {@link Result} then reports
     * it as diverged with {@code reason}, and an {@code "aborted"} event is emitted; the weights are left as that
     * step made them (a caller that kept a good {@link #checkpoint()} restores it).
     */
    public void abort(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("abort needs a reason");
        }
        abortReason = reason;
    }

    /** Trains until the configured epochs are done, early stopping triggers or training diverges. */
    public Result fit(Dataset train, Dataset validation) {
        return run(train, validation, Long.MAX_VALUE);
    }

    /** Like {@link #fit} but stops after the global step count reaches {@code untilStep} (for resumable runs). */
    public Result run(Dataset train, Dataset validation, long untilStep) {
        return run(new LocalGradients(new MicroBatchPass(model, objective, engine), train),
                validation == null || validation.size() == 0 ? null : new Validation() {
                    @Override
                    public int size() {
                        return validation.size();
                    }

                    @Override
                    public Evaluation evaluate() {
                        return Trainer.this.evaluate(validation);
                    }
                }, untilStep);
    }

    /** A validation set, wherever it lives: its size, and the current model's loss and accuracy on it. */
    public interface Validation {
        int size();

        Evaluation evaluate();
    }

    /**
     * Trains on gradients from {@code train} (this JVM, or a cluster's workers) until the configured epochs are done,
     * early stopping triggers, training diverges or the global step count reaches {@code untilStep}; at each epoch's
     * end {@code validation} (null: none) evaluates the model.
     */
    public Result run(GradientSource train, Validation validation, long untilStep) {
        try {
            return loop(train, validation, untilStep);
        } finally {
            plan.release(); // the pool as the run found it: confined, it would hold later work to one thread
        }
    }

    private Result loop(GradientSource train, Validation validation, long untilStep) {
        if (train.size() == 0) {
            throw new IllegalArgumentException("the training set is empty");
        }
        startNanos = System.nanoTime();
        int n = train.size();
        int bs = settings.descent().stepSize(n);
        referenceSteps = DivergencePolicy.referenceSteps(bs);
        boolean poisson = settings.poissonSampling();
        int stepsPerEpoch = stepsPerEpoch(settings, n);
        preparePrivacy((double) bs / n);
        String stopReason = "completed " + settings.epochs() + " epochs";
        boolean diverged = false;
        double lastVal = Double.NaN;
        double lastAcc = Double.NaN;
        double lastTrain = Double.NaN;
        if (lastGood == null && rollsBack()) {
            lastGood = checkpoint();
        }
        outer:
        while (state.epoch() < settings.epochs()) {
            if (state.batchInEpoch() == 0 && perm == null) {
                state = state.startEpoch(shuffle.state());
            }
            if (perm == null && !poisson) {
                shuffle.setState(state.epochShuffleState());
                perm = permutation(n, shuffle);
            }
            model.train();
            for (int b = state.batchInEpoch(); b < stepsPerEpoch; b++) {
                if (state.step() >= untilStep) {
                    stopReason = "reached step " + untilStep;
                    break outer;
                }
                StepRecord r;
                if (poisson) {
                    int[] idx = poissonBatch(n, (double) bs / n, shuffle);
                    if (idx.length == 0) { // a Poisson draw with no example: the noise step is still taken (and spent)
                        r = emptyStep();
                        state = state.afterEmptyStep(shuffle.state());
                        for (TrainingListener l : listeners) {
                            l.onStep(r);
                        }
                        continue;
                    }
                    r = trainStep(train, idx, 0, idx.length, idx.length);
                } else {
                    int lo = b * bs;
                    r = trainStep(train, perm, lo, Math.min(n, lo + bs), bs);
                }
                String why = divergence(r.loss());
                state = state.afterStep(shuffle.state(), r.loss());
                updateReference(r.loss());
                for (TrainingListener l : listeners) {
                    l.onStep(r);
                }
                if (abortReason != null) {
                    stopReason = "aborted at step " + r.step() + ": " + abortReason;
                    abortReason = null;
                    diverged = true;
                    emit(new EventRecord(r.step(), "aborted", stopReason));
                    break outer;
                }
                if (why != null) {
                    if (settings.divergence().action() == DivergencePolicy.Action.ROLLBACK
                            && state.rollbacks() < settings.divergence().maxRollbacks()) {
                        rollback(why, r.step());
                        continue outer;
                    }
                    stopReason = "diverged at step " + r.step() + ": " + why
                            + (settings.divergence().action() == DivergencePolicy.Action.ROLLBACK
                            ? " (after " + state.rollbacks() + " rollbacks)" : "");
                    diverged = true;
                    emit(new EventRecord(r.step(), "diverged", stopReason));
                    break outer;
                }
                if (settings.snapshotEvery() > 0 && state.step() % settings.snapshotEvery() == 0) {
                    lastGood = checkpoint();
                }
                for (TrainingListener l : listeners) {
                    l.onStepDone(state.step());
                }
            }
            lastTrain = state.epochLossCount() == 0 ? Double.NaN : state.epochLossSum() / state.epochLossCount();
            Evaluation ev = validation == null ? new Evaluation(Double.NaN, Double.NaN) : validation.evaluate();
            lastVal = ev.loss();
            lastAcc = ev.accuracy();
            EvalRecord er = new EvalRecord(state.step(), state.epoch(), lastTrain, ev.loss(), ev.accuracy(),
                    validation == null ? 0 : validation.size());
            for (TrainingListener l : listeners) {
                l.onEval(er);
            }
            double best = state.bestValLoss();
            int bad = state.epochsWithoutImprovement();
            if (Double.isFinite(ev.loss())) {
                if (ev.loss() < best - settings.earlyStoppingMinDelta()) {
                    best = ev.loss();
                    bad = 0;
                } else {
                    bad++;
                }
            }
            perm = null;
            state = state.nextEpoch(shuffle.state(), best, bad);
            if (rollsBack()) {
                lastGood = checkpoint();
            }
            if (settings.earlyStoppingPatience() > 0 && bad >= settings.earlyStoppingPatience()) {
                stopReason = "early stopping: validation loss did not improve for " + bad + " epochs (best " + best + ")";
                emit(new EventRecord(state.step(), "early_stop", stopReason));
                break;
            }
        }
        for (TrainingListener l : listeners) {
            l.onEnd();
        }
        return new Result(state.step(), state.epoch(), lastTrain, lastVal, lastAcc, stopReason, diverged);
    }

    private static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        rng.shuffle(p);
        return p;
    }

    /**
     * One step on the batch at positions [from, to) of {@code order} (the epoch's permutation, or a Poisson draw);
     * returns its record (not yet sent to listeners). With per-example clipping in the chain (DP-SGD), each
     * micro-batch's pass clips its own examples, the source adds the clipped sums in the fixed tree, and the chain's
     * private aggregate adds its noise once, to the aggregate: the clipped sum over the micro-batches is the clipped
     * sum over the batch, since each example's weight depends on its own norm only.
     */
    private StepRecord trainStep(GradientSource train, int[] order, int from, int to, int batchSize) {
        plan.beforeStep();
        StepRecord r = planned(train, order, from, to, batchSize);
        plan.afterStep();
        return r;
    }

    private StepRecord planned(GradientSource train, int[] order, int from, int to, int batchSize) {
        long step = state.step();
        double scale = optimizer.lossScale();
        PerExample.Clipping clipping = optimizer.perExampleClipping();
        if (clipping != null && scale != 1.0) {
            throw new IllegalStateException("per-example clipping with loss scaling is not supported: the per-example norms"
                    + " would be of the scaled loss");
        }
        GradientSource.StepResult passes = train.compute(new GradientSource.StepBatch(step, order, from, to, batchSize,
                settings.microBatches(), scale, monitor.samples(step), clipping));
        if (clipping != null && (passes.perExample() == null || passes.perExample().clipping() != clipping)) {
            throw new IllegalStateException("the gradient source did not clip this step's examples by the chain's policy");
        }
        double gradNorm = monitor.beforeUpdate(step, 1.0 / scale);
        Map<String, ActivationStats> acts = passes.activations();
        Metrics m = optimizer.step(monitor.samples(step), passes.perExample()); // the monitor reads the updates when it samples
        return record(step, passes.loss(), gradNorm, m, acts);
    }

    /**
     * Steps per epoch over {@code n} examples: the descent's count, or with Poisson sampling {@code round(n / b)}
     * (about {@code 1/q} draws of expected size {@code b}, as Opacus's Poisson loader).
     */
    public static int stepsPerEpoch(Settings settings, int n) {
        if (settings.poissonSampling()) {
            return Math.max(1, (int) Math.round((double) n / settings.descent().stepSize(n)));
        }
        return settings.descent().stepsPerEpoch(n);
    }

    /** The epsilon this run has spent so far at {@link Settings#privacyDelta()}, or NaN when it is not private. */
    public double epsilonSpent() {
        return accountant == null ? Double.NaN : accountant.epsilon(state.step(), settings.privacyDelta());
    }

    /** Each example of {@code 0..n-1} drawn independently with probability {@code q}, in index order. */
    static int[] poissonBatch(int n, double q, Rng rng) {
        int[] picked = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (rng.nextDouble() < q) {
                picked[k++] = i;
            }
        }
        return java.util.Arrays.copyOf(picked, k);
    }

    /**
     * When the optimizer's chain aggregates per-example gradients privately ({@link PrivateAggregate}): the accountant
     * of this run's sampling rate and noise multiplier. The accounting assumes Poisson sampling; with shuffled
     * fixed-size batches it is the usual approximation (as TF Privacy's "assuming Poisson sampling" statement).
     */
    private void preparePrivacy(double q) {
        accountant = null;
        if (optimizer.perExampleClipping() instanceof PrivateAggregate pa) {
            if (rollsBack()) {
                throw new IllegalArgumentException("privacy: divergence rollback would discard noisy steps whose privacy was"
                        + " already spent; use the stop policy with per-example clipping");
            }
            accountant = new RdpAccountant(Math.min(1.0, q), pa.noiseMultiplier());
        }
    }

    /** The privacy spent once {@code steps} noisy steps are taken, as metrics (empty for a run that is not private). */
    private Map<String, Double> privacyMetrics(long steps) {
        if (accountant == null) {
            return Map.of();
        }
        Map<String, Double> p = new LinkedHashMap<>();
        p.put(EPSILON_METRIC, accountant.epsilon(steps, settings.privacyDelta()));
        p.put(DELTA_METRIC, settings.privacyDelta());
        return p;
    }

    /** A step on an empty Poisson batch: no forward pass; the private aggregate adds its noise to zero gradients. */
    private StepRecord emptyStep() {
        long step = state.step();
        PerExample.Clipping clipping = optimizer.perExampleClipping();
        Metrics m = optimizer.step(monitor.samples(step), clipping == null ? null : PerExample.none(clipping));
        return record(step, Double.NaN, 0.0, m, Map.of());
    }

    private StepRecord record(long step, double loss, double gradNorm, Metrics m, Map<String, ActivationStats> acts) {
        boolean skipped = m.contains("skipped") && m.get("skipped") != 0;
        Map<String, LayerStats> layers = monitor.afterUpdate(optimizer.updates(), skipped);
        model.zeroGrad();
        double lr = m.contains("lr") ? m.get("lr") : Double.NaN;
        Map<String, Double> metrics = m.asMap();
        metrics.putAll(privacyMetrics(step + 1));
        return new StepRecord(step, state.epoch(), loss, lr, (System.nanoTime() - startNanos) / 1e6, gradNorm, skipped,
                layers, metrics, acts, monitor.parameterStats());
    }

    /**
     * True when divergence rolls back to the last good snapshot, the only use of the snapshots taken at each
     * epoch's end: without it they are not taken (a snapshot serializes the optimizer state, which costs more
     * than a whole step of a small model, and batch descent ends an epoch every step).
     */
    private boolean rollsBack() {
        return settings.divergence().action() == DivergencePolicy.Action.ROLLBACK;
    }

    /** Null when the loss is healthy, else why it is judged divergent. */
    private String divergence(double loss) {
        if (!Double.isFinite(loss)) {
            return "the loss is " + loss;
        }
        double ref = state.referenceLoss();
        double f = settings.divergence().explodeFactor();
        if (state.referenceCount() >= referenceSteps && ref > 0 && loss > f * ref) {
            return "the loss " + loss + " exceeds " + f + " times its initial value " + ref;
        }
        return null;
    }

    private void updateReference(double loss) {
        if (state.referenceCount() < referenceSteps && Double.isFinite(loss)) {
            state = state.withReference(loss);
        }
    }

    private void rollback(String why, long atStep) {
        int rollbacks = state.rollbacks() + 1;
        double mult = state.lrMultiplier() * settings.divergence().lrFactor();
        restore(lastGood);
        state = state.rolledBack(mult, rollbacks);
        GradientStep.State os = optimizer.state();
        optimizer = factory.create(mult);
        optimizer.restore(os);
        monitor = new GradientMonitor(optimizer.parameters(), engine, settings.monitorEvery());
        lastGood = checkpoint();
        emit(new EventRecord(atStep, "rollback", "diverged at step " + atStep + " (" + why + "); rolled back to step "
                + state.step() + " with the learning rate multiplied by " + mult + " (rollback " + rollbacks + " of "
                + settings.divergence().maxRollbacks() + ")"));
    }

    private void emit(EventRecord e) {
        for (TrainingListener l : listeners) {
            l.onEvent(e);
        }
    }

    /** Loss and accuracy of a data set, in evaluation mode, without recording a graph. */
    public record Evaluation(double loss, double accuracy) {
    }

    /** Evaluates {@code data} in evaluation mode (running statistics, no dropout); restores the mode after. */
    public Evaluation evaluate(Dataset data) {
        boolean wasTraining = model.isTraining();
        model.eval();
        try {
            double lossSum = 0;
            double accSum = 0;
            int n = data.size();
            for (int lo = 0; lo < n; lo += EVAL_BATCH) {
                Batch b = data.batch(lo, Math.min(n, lo + EVAL_BATCH));
                Tape t = Tape.noGrad(engine);
                Var out = model.forward(t.constant(b.inputs()));
                lossSum += objective.loss(out, b).item() * b.size();
                accSum += objective.accuracy(out.value(), b) * b.size();
            }
            return new Evaluation(lossSum / n, accSum / n);
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
    }

    /** Everything needed to resume this run exactly: weights and buffers (by path), optimizer and trainer state. */
    public Snapshot checkpoint() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            tensors.put(e.getKey(), e.getValue().value().copy());
        }
        for (Map.Entry<String, Tensor> e : model.namedBuffers().entrySet()) {
            tensors.put(e.getKey(), e.getValue().copy());
        }
        Map<String, Long> rngs = new LinkedHashMap<>();
        for (Map.Entry<String, Rng> e : model.namedRngs().entrySet()) {
            rngs.put(e.getKey(), e.getValue().state());
        }
        TrainerState ts = state.withGenerators(shuffle.state(), rngs);
        ObjectNode root = JSON.createObjectNode();
        root.set("trainer", JSON.valueToTree(ts));
        try {
            root.set("optimizer", JSON.readTree(optimizer.writeState()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot serialize the optimizer state", e);
        }
        return new Snapshot(tensors, root);
    }

    /**
     * Writes {@link #checkpoint()} to {@code dir} atomically and checksummed (see {@link io.gradscale.io.Checkpoint}):
     * the weights and buffers as safetensors under their PyTorch-style paths, the optimizer and trainer state as JSON.
     */
    public void saveCheckpoint(java.nio.file.Path dir) throws java.io.IOException {
        Snapshot s = checkpoint();
        io.gradscale.io.Checkpoint.write(dir, s.tensors(), s.state());
    }

    /** Reads and verifies a checkpoint written by {@link #saveCheckpoint} and restores it. */
    public void loadCheckpoint(java.nio.file.Path dir) throws java.io.IOException {
        io.gradscale.io.Checkpoint.Contents c = io.gradscale.io.Checkpoint.read(dir);
        restore(new Snapshot(c.tensors(), c.state()));
    }

    /**
     * Restores a snapshot taken by {@link #checkpoint()} of a run with the same model and optimizer shape.
     * Everything is checked before anything is changed: a snapshot that does not fit (a tensor missing or
     * of another shape, an unreadable trainer or optimizer state, a random generator the model lacks)
     * fails with an {@link IllegalArgumentException} whose message starts with "checkpoint", and leaves
     * the model, the optimizer and the trainer as they were.
     */
    public void restore(Snapshot s) {
        Map<String, Parameter> ps = model.namedParameters();
        Map<String, Tensor> bs = model.namedBuffers();
        for (Map.Entry<String, Parameter> e : ps.entrySet()) {
            checkTensor(s, "parameter", e.getKey(), e.getValue().value());
        }
        for (Map.Entry<String, Tensor> e : bs.entrySet()) {
            checkTensor(s, "buffer", e.getKey(), e.getValue());
        }
        JsonNode trainerNode = s.state() == null ? null : s.state().get("trainer");
        JsonNode optimizerNode = s.state() == null ? null : s.state().get("optimizer");
        if (trainerNode == null || !trainerNode.isObject() || optimizerNode == null || !optimizerNode.isObject()) {
            throw new IllegalArgumentException("checkpoint state must hold a \"trainer\" and an \"optimizer\" object, got "
                    + (s.state() == null ? "none" : "fields " + fieldNames(s.state())));
        }
        TrainerState ts;
        GradientStep.State os;
        try {
            ts = JSON.treeToValue(trainerNode, TrainerState.class);
            os = optimizer.readState(JSON.writeValueAsString(optimizerNode));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint state is not readable: " + e.getMessage(), e);
        }
        checkStateTensors(optimizerNode, "optimizer", optimizer.parameters());
        if (ts.step() < 0 || ts.epoch() < 0 || ts.batchInEpoch() < 0 || ts.referenceCount() < 0 || ts.epochLossCount() < 0
                || ts.epochsWithoutImprovement() < 0 || ts.rollbacks() < 0) {
            throw new IllegalArgumentException("checkpoint trainer state has a negative count: " + trainerNode);
        }
        Map<String, Rng> rngs = model.namedRngs();
        for (String name : ts.moduleRngs().keySet()) {
            if (!rngs.containsKey(name)) {
                throw new IllegalArgumentException("checkpoint has a random generator '" + name + "' the model lacks");
            }
        }
        try {
            optimizer.restore(os);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint optimizer state does not fit: " + e.getMessage(), e);
        }
        for (Map.Entry<String, Parameter> e : ps.entrySet()) {
            e.getValue().value().copyFrom(s.tensors().get(e.getKey()));
        }
        for (Map.Entry<String, Tensor> e : bs.entrySet()) {
            e.getValue().copyFrom(s.tensors().get(e.getKey()));
        }
        for (Map.Entry<String, Long> e : ts.moduleRngs().entrySet()) {
            rngs.get(e.getKey()).setState(e.getValue());
        }
        shuffle.setState(ts.shuffleState());
        state = ts;
        perm = null; // re-derived from the epoch's shuffle state by run()
    }

    /**
     * Every list of tensors in an optimizer's state holds one tensor per parameter, shaped like it, in
     * parameter order (the optimizers' moments and accumulators): checked here, on the JSON, so that a
     * checkpoint whose state does not fit is refused on loading rather than failing at the next step.
     */
    private static void checkStateTensors(JsonNode n, String path, ParameterSet ps) {
        if (n.isArray() && !n.isEmpty() && allTensors(n)) {
            if (n.size() != ps.size()) {
                throw new IllegalArgumentException("checkpoint optimizer state '" + path + "' holds " + n.size()
                        + " tensors for " + ps.size() + " parameters");
            }
            for (int i = 0; i < n.size(); i++) {
                List<Integer> shape = new ArrayList<>();
                n.get(i).get("shape").forEach(d -> shape.add(d.asInt()));
                List<Integer> expected = new ArrayList<>();
                for (int d : ps.parameter(i).value().shape().dims()) {
                    expected.add(d);
                }
                if (!shape.equals(expected)) {
                    throw new IllegalArgumentException("checkpoint optimizer state '" + path + "' of parameter '" + ps.path(i)
                            + "' has shape " + shape + ", the parameter " + expected);
                }
            }
            return;
        }
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> checkStateTensors(e.getValue(), path + "." + e.getKey(), ps));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                checkStateTensors(n.get(i), path + "[" + i + "]", ps);
            }
        }
    }

    private static boolean allTensors(JsonNode arr) {
        for (JsonNode e : arr) {
            if (!e.isObject() || !e.has("dtype") || !e.path("shape").isArray() || !e.has("data")) {
                return false;
            }
        }
        return true;
    }

    private static void checkTensor(Snapshot s, String kind, String name, Tensor expected) {
        Tensor t = s.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException("checkpoint has no tensor for " + kind + " '" + name + "'");
        }
        if (!t.shape().equals(expected.shape())) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' has shape " + t.shape()
                    + " but the model expects " + expected.shape());
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
