package io.gradscale.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.doctor.Probe;
import io.gradscale.cli.live.LiveFeed;
import io.gradscale.cli.live.LiveServer;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.cli.report.RunStatus;
import io.gradscale.data.Dataset;
import io.gradscale.diag.ConditionEpisode;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.LiveDoctorState;
import io.gradscale.diag.Verdict;
import io.gradscale.io.AtomicFiles;
import io.gradscale.io.Checkpoint;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Tensor;
import io.gradscale.tensor.ThreadPlan;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TestRecord;
import io.gradscale.train.Trainer;
import io.gradscale.train.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a configured training in its own run directory and leaves there everything a user needs:
 * {@code config.json}, {@code metrics.jsonl}, {@code diagnosis.json}, {@code report.html} and (for full
 * runs) {@code checkpoint/}.
 */
final class RunRecorder {
    /**
     * What a recorded run produced.
     *
     * @param report the report's path, or null when none was written
     * @param test the test set's metrics, or null
     * @param lossAfter the loss of the model as training left it (the last good state when the live doctor ended the
     *     run) on the validation set, or on the training set when there is none
     * @param stoppedBy the live doctor's critical verdict that ended the run ({@code on_critical: stop}), or null
     * @param status how the run ended
     * @param epsilon the privacy spent (NaN for a run that is not private)
     * @param keptStep when {@code stoppedBy} is set, the step after which the kept state was taken ({@code -1}: the
     *     initial state)
     * @param log the run's metrics log, read back once when training ended
     */
    record Outcome(Path dir, Trainer.Result result, List<Verdict> verdicts, Path report, TestRecord test, double lossAfter,
                   Verdict stoppedBy, long keptStep, RunStatus status, double epsilon, long skippedSteps, MetricsLog.Contents log) {
    }

    /**
     * How to record a run.
     *
     * @param maxSteps train at most this many steps (all epochs when {@code Long.MAX_VALUE})
     * @param fullRun not a probe: write {@code checkpoint/} and evaluate the test set, if any
     * @param report write {@code report.html}
     * @param live where the live doctor's verdict changes are printed as lines (null: nowhere)
     * @param baseDir the configuration's directory, against which data paths resolve
     * @param feed the live view's feed of the run's records, or null without one
     * @param cluster where the steps' passes run (Apache Spark), or null for this JVM
     */
    record Options(long maxSteps, boolean fullRun, boolean report, PrintWriter live, Path baseDir, LiveFeed feed,
                   ClusterBackend cluster) {
        /** In this JVM. */
        Options(long maxSteps, boolean fullRun, boolean report, PrintWriter live, Path baseDir, LiveFeed feed) {
            this(maxSteps, fullRun, report, live, baseDir, feed, null);
        }
    }

    private RunRecorder() {
    }

    static Path newRunDir(Path root, String name) throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = root.resolve(name + "-" + stamp);
        for (int i = 2; Files.exists(dir); i++) {
            dir = root.resolve(name + "-" + stamp + "-" + i);
        }
        Files.createDirectories(dir);
        return dir;
    }

    /**
     * Trains {@code spec} as {@code options} say, in {@code dir}, for at most {@code maxSteps} steps (all epochs when
     * Long.MAX_VALUE). A full run
     * ({@code fullRun}: not a probe) writes a checkpoint and then, if the configuration has a test set, evaluates it
     * once with the weights {@link RunSpec#testWeights()} names, recording the metrics in the metrics log and in
     * {@code diagnosis.json}. A full run also records its model for {@code evaluate} and {@code predict}
     * ({@link TrainedModel}); {@code baseDir} is the configuration's directory, against which data paths resolve.
     *
     * <p>A run that fails leaves no bare directory: when not one step completed, the run directory is deleted
     * (there is nothing in it to look at); after that, {@link RunStatus#FILE_NAME} records the failure, which
     * {@code report} shows. When the live doctor ends the run ({@code on_critical: stop}), the last good state is restored
     * first: the checkpoint and the figures are of it.
     */
    static Outcome run(RunSpec spec, Engine engine, Path dir, Options options) throws IOException {
        return run(spec, engine, dir, options, options.fullRun() ? Checkpoints.AT_END : Checkpoints.NONE, false);
    }

    /** Whether a run is a full one that writes checkpoints (at the end, and also every {@code every} steps when positive). */
    record Checkpoints(boolean enabled, int every) {
        static final Checkpoints NONE = new Checkpoints(false, 0);
        static final Checkpoints AT_END = new Checkpoints(true, 0);
    }

    /** The run directory's checkpoint. */
    static final String CHECKPOINT_DIR = "checkpoint";
    /** Field of a checkpoint's state holding the run's own position: the metrics log's length. */
    static final String RUN_STATE = "run";

    /**
     * As above, writing checkpoints as {@code checkpoints} says. With {@code resume}, continues the run recorded in
     * {@code dir} from its newest checkpoint (from the start when it has none): the metrics log is cut back to its
     * length at that checkpoint and appended to, so a resumed run leaves the same files, bit for bit (time stamps and
     * step times aside), as one never interrupted: the checkpoint also holds the live doctor's window and conditions and
     * the best weights so far ({@link CheckpointPart}). A resumed run that fails never deletes its directory.
     */
    static Outcome run(RunSpec spec, Engine engine, Path dir, Options options, Checkpoints checkpoints, boolean resume)
            throws IOException {
        long maxSteps = options.maxSteps();
        boolean fullRun = options.fullRun();
        Path baseDir = options.baseDir();
        LiveFeed feed = options.feed();
        ClusterBackend cluster = options.cluster();
        Path logFile = dir.resolve(MetricsLog.FILE_NAME);
        Path ckDir = dir.resolve(CHECKPOINT_DIR);
        Trainer trainer = new Trainer(spec.model().model(), spec.objective(), spec.optimizer().factory(), engine, spec.settings());
        long logBytes = -1;
        JsonNode resumedState = null;
        if (resume && Files.exists(ckDir.resolve(Checkpoint.MANIFEST))) {
            Checkpoint.Contents c = Checkpoint.read(ckDir);
            trainer.restore(new Trainer.Snapshot(c.tensors(), c.state()));
            resumedState = c.state();
            logBytes = c.state().path(RUN_STATE).path("metrics_log_bytes").asLong(-1);
            if (logBytes < 0) {
                throw new IOException("the checkpoint in " + ckDir + " does not record the metrics log's length; it was not written by"
                        + " a run directory's training and cannot be resumed from here");
            }
        } else {
            AtomicFiles.write(dir.resolve("config.json"), Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(spec.config()));
        }
        RunStatus.running().write(dir);
        if (fullRun) {
            TrainedModel.record(spec, baseDir, dir);
        }
        int trainSize = cluster != null ? cluster.trainSize() : spec.data().train().size();
        RunClock clock = new RunClock(spec.settings().descent(), trainSize);
        Provenance prov = Provenance.now(spec.config(), spec.seed(), engine.parallel().threads(), Kernels.best().name());
        Dataset test = fullRun ? spec.data().test() : null;
        BestWeights best = test != null && spec.testWeights().equals("best") ? new BestWeights(spec.model().model()) : null;
        List<CheckpointPart> parts = new java.util.ArrayList<>();
        if (best != null) {
            parts.add(best);
        }
        Trainer.Result result;
        TestRecord tested = null;
        trainer.addListener(clock);
        LiveDoctor live = null;
        double lossAfter;
        try (MetricsLog log = logBytes >= 0 ? MetricsLog.resume(logFile, logBytes, spec.logEvery())
                : new MetricsLog(logFile, prov, spec.logEvery())) {
            trainer.addListener(log);
            if (best != null) {
                trainer.addListener(best);
            }
            if (checkpoints.enabled() && checkpoints.every() > 0) {
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStepDone(long steps) {
                        if (steps % checkpoints.every() == 0) {
                            try {
                                saveCheckpoint(trainer, log, ckDir, parts);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException("cannot write the checkpoint in " + ckDir + ": " + e.getMessage(), e);
                            }
                        }
                    }
                });
            }
            if (feed != null) {
                feed.begin(prov);
                trainer.addListener(feed);
            }
            long total = Math.min(maxSteps, (long) spec.settings().epochs()
                    * Trainer.stepsPerEpoch(spec.settings(), trainSize));
            ProgressListener bar = ProgressListener.forTerminal(spec.name(), total);
            if (spec.liveDoctor()) {
                live = new LiveDoctor(GradientDoctor.standard(), spec.facts(), LiveDoctor.DEFAULT_WINDOW, LiveDoctor.DEFAULT_EVERY,
                        List.of(log), (step, v) -> {
                            if (bar != null) {
                                bar.showVerdict(v == null ? "healthy" : v.severity() + " " + v.detector());
                            }
                            if (options.live() != null) {
                                options.live().println("  step " + step + ": doctor: " + headline(v));
                                options.live().flush();
                            }
                        }, spec.onCritical(), trainer);
                trainer.addListener(live);
                parts.add(new LiveDoctorPart(live));
                if (feed != null) {
                    feed.consult(live);
                }
            }
            if (resumedState != null) {
                for (CheckpointPart part : parts) {
                    part.restore(resumedState.get(part.field()));
                }
            }
            if (bar != null) {
                trainer.addListener(bar);
            }
            try {
                result = cluster == null ? trainer.run(spec.data().train(), spec.data().validation(), maxSteps)
                        : cluster.train(trainer, spec, maxSteps);
            } catch (RuntimeException | Error e) {
                log.close();
                throw failed(dir, clock, e, resume);
            }
            if (live != null && live.stoppedBy() != null) {
                trainer.restore(live.lastGood());
            }
            ThreadPlan.Probe plan = trainer.lastThreadProbe();
            if (plan != null && !plan.pooled() && options.live() != null) {
                options.live().println(String.format(Locale.ROOT, "  threads: steps ran faster on one thread than on %d"
                        + " at the last measurement (step %d: median %.3f ms against %.3f ms) and ran there; the bits are"
                        + " the same either way", engine.parallel().threads(), plan.step(), plan.confinedNanos() / 1e6,
                        plan.pooledNanos() / 1e6));
                options.live().flush();
            }
            Dataset eval = spec.data().validation() != null && spec.data().validation().size() > 0 ? spec.data().validation()
                    : spec.data().train();
            lossAfter = trainer.evaluate(eval).loss();
            if (checkpoints.enabled()) {
                saveCheckpoint(trainer, log, ckDir, parts); // the last state, from which a run resumes
            }
            if (test != null) {
                long step = result.steps();
                String weights = TrainedModel.LAST;
                if (best != null && best.restore()) {
                    step = best.step();
                    weights = TrainedModel.BEST;
                    // the weights the test used, for evaluate and predict (the checkpoint holds the last ones)
                    Checkpoint.write(dir.resolve(TrainedModel.BEST_DIR), best.tensors(), best.describe());
                }
                ClusterBackend.Scored held = cluster == null ? null : cluster.test(trainer);
                Trainer.Evaluation ev = held != null ? held.evaluation() : trainer.evaluate(test);
                tested = new TestRecord(step, weights, held != null ? held.size() : test.size(), ev.loss(), ev.accuracy());
                log.onTest(tested);
                if (fullRun) {
                    TrainedModel.recordTest(dir, tested);
                }
            }
        }
        MetricsLog.Contents contents = MetricsLog.read(dir.resolve(MetricsLog.FILE_NAME));
        List<Verdict> verdicts = Probe.diagnose(spec, contents.steps(), engine);
        HtmlReport.writeDiagnosis(dir.resolve(HtmlReport.DIAGNOSIS_FILE), verdicts, tested);
        RunStatus status = clock.status(RunStatus.COMPLETED, result.stopReason());
        status.write(dir);
        Path report = options.report() ? HtmlReport.write(dir, contents) : null;
        Verdict stoppedBy = live == null ? null : live.stoppedBy();
        return new Outcome(dir, result, verdicts, report, tested, lossAfter, stoppedBy, stoppedBy == null ? -1 : live.lastGoodStep(),
                status, trainer.epsilonSpent(), contents.steps().stream().filter(StepRecord::skipped).count(), contents);
    }

    /** Deletes the run directory of a run that took no step, or records the failure in it; the error to raise. */
    private static RunFailedException failed(Path dir, RunClock clock, Throwable e, boolean resumed) throws IOException {
        if (clock.steps() == 0 && !resumed) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
            return new RunFailedException("the run failed before its first step; its directory " + dir + " was removed: "
                    + Main.message(e), e);
        }
        clock.status(RunStatus.FAILED, Main.message(e)).write(dir);
        return new RunFailedException("the run failed at step " + clock.steps() + " (recorded in " + dir.resolve(RunStatus.FILE_NAME)
                + "): " + Main.message(e), e);
    }

    /** A training run that raised an error; the message says what became of its run directory. */
    static final class RunFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RunFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A live headline as the progress line shows it. */
    static String headline(Verdict v) {
        return v == null ? "healthy (no warning or critical verdict)" : v.severity() + " " + v.detector() + ": " + v.title();
    }

    /** The conditions the live doctor recorded in a run's log, one line each (none: nothing is printed). */
    static void printConditions(MetricsLog.Contents log, PrintWriter out) {
        List<ConditionEpisode> eps = ConditionEpisode.from(log.events());
        if (eps.isEmpty()) {
            return;
        }
        out.println("conditions while training (live doctor):");
        for (ConditionEpisode e : eps) {
            out.println("  " + e.condition() + " (" + e.worst() + "): from step " + e.began()
                    + (e.open() ? " to the end" : " to step " + e.ended()) + "; " + e.title());
        }
    }

    /**
     * A piece of a run's state, besides the trainer's, that a checkpoint holds under its own field of the state, so
     * that a resumed run carries on exactly: the live doctor's window, the best weights so far.
     */
    interface CheckpointPart {
        /** The field of the checkpoint's state. */
        String field();

        /** The part's state now, as JSON. */
        JsonNode save();

        /**
         * Puts back what {@link #save} wrote; {@code node} is null for a checkpoint written without this part (by an
         * earlier version), which leaves the part as a fresh run has it. A state that does not fit fails with an
         * {@link IllegalArgumentException} starting with "checkpoint".
         */
        void restore(JsonNode node);
    }

    /** The live doctor's window, conditions and kept state ({@link LiveDoctorState}). */
    private record LiveDoctorPart(LiveDoctor doctor) implements CheckpointPart {
        @Override
        public String field() {
            return "live_doctor";
        }

        @Override
        public JsonNode save() {
            return LiveDoctorState.write(doctor.state());
        }

        @Override
        public void restore(JsonNode node) {
            if (node != null) {
                doctor.restore(LiveDoctorState.read(node));
            }
        }
    }

    /**
     * Keeps a copy of the weights and buffers of the epoch with the lowest validation loss so far (the criterion
     * early stopping uses), to evaluate the test set with them when training has ended. In a checkpoint:
     * {@code {"version": 1, "step": s, "val_loss": v, "tensors": {name: tensor}}}, or {@code "step": -1} and no
     * tensors before any epoch had a finite validation loss.
     */
    private static final class BestWeights implements TrainingListener, CheckpointPart {
        /** The version of the checkpoint form above. */
        static final int VERSION = 1;
        private static final com.fasterxml.jackson.databind.ObjectMapper JSON = Json.mapper()
                .registerModule(io.gradscale.transform.TensorJson.module());

        private final Module model;
        private Map<String, Tensor> kept;
        private double bestLoss = Double.POSITIVE_INFINITY;
        private long step = -1;

        BestWeights(Module model) {
            this.model = model;
        }

        @Override
        public String field() {
            return "best_weights";
        }

        @Override
        public JsonNode save() {
            ObjectNode o = describe();
            if (kept != null) {
                o.set("tensors", JSON.valueToTree(kept));
            }
            return o;
        }

        /** Version, step and validation loss of the kept weights. */
        ObjectNode describe() {
            ObjectNode o = JSON.createObjectNode();
            o.put("version", VERSION);
            o.put("step", step);
            if (kept != null) {
                o.put("val_loss", bestLoss);
            }
            return o;
        }

        @Override
        public void restore(JsonNode node) {
            if (node == null) {
                return;
            }
            if (node.path("version").asInt(-1) != VERSION) {
                throw new IllegalArgumentException("checkpoint best weights have version " + node.get("version") + ", this code reads version "
                        + VERSION);
            }
            if (node.path("step").asLong(-2) < 0) {
                if (node.has("tensors")) {
                    throw new IllegalArgumentException("checkpoint best weights hold tensors but no step");
                }
                kept = null;
                step = -1;
                bestLoss = Double.POSITIVE_INFINITY;
                return;
            }
            JsonNode loss = node.get("val_loss");
            if (loss == null || !loss.isNumber() || !Double.isFinite(loss.asDouble())) {
                throw new IllegalArgumentException("checkpoint best weights: \"val_loss\" must be a finite number, got " + loss);
            }
            Map<String, Tensor> tensors;
            try {
                tensors = JSON.convertValue(node.get("tensors"), new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Tensor>>() {
                });
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("checkpoint best weights are not readable: " + e.getMessage(), e);
            }
            Map<String, Tensor> expected = new LinkedHashMap<>();
            model.namedParameters().forEach((k, p) -> expected.put(k, p.value()));
            expected.putAll(model.namedBuffers());
            if (tensors == null || !tensors.keySet().equals(expected.keySet())) {
                throw new IllegalArgumentException("checkpoint best weights hold tensors " + (tensors == null ? "none" : tensors.keySet())
                        + ", the model has " + expected.keySet());
            }
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                if (!tensors.get(e.getKey()).shape().equals(e.getValue().shape())) {
                    throw new IllegalArgumentException("checkpoint best weights: tensor '" + e.getKey() + "' has shape "
                            + tensors.get(e.getKey()).shape() + ", the model's is " + e.getValue().shape());
                }
            }
            kept = tensors;
            step = node.get("step").asLong();
            bestLoss = loss.asDouble();
        }

        /** The kept weights and buffers (null before any). */
        Map<String, Tensor> tensors() {
            return kept;
        }

        @Override
        public void onEval(EvalRecord r) {
            if (r.validated() && r.valLoss() < bestLoss) { // false for NaN
                bestLoss = r.valLoss();
                step = r.step();
                kept = new LinkedHashMap<>();
                model.namedParameters().forEach((k, p) -> kept.put(k, p.value().copy()));
                model.namedBuffers().forEach((k, b) -> kept.put(k, b.copy()));
            }
        }

        /** Puts the kept weights back; false when no epoch had a finite validation loss. */
        boolean restore() {
            if (kept == null) {
                return false;
            }
            model.namedParameters().forEach((k, p) -> p.value().copyFrom(kept.get(k)));
            model.namedBuffers().forEach((k, b) -> b.copyFrom(kept.get(k)));
            return true;
        }

        long step() {
            return step;
        }
    }

    /** How training ended, in one line: "completed 5 epochs after 625 steps: train loss ..., validation loss ...". */
    static String resultLine(Trainer.Result r, boolean validated) {
        String head = String.format(Locale.ROOT, "%s after %d steps: train loss %.5g", r.stopReason(), r.steps(), r.finalTrainLoss());
        if (!validated) {
            return head + ", no validation data";
        }
        return head + String.format(Locale.ROOT, ", validation loss %.5g", r.finalValLoss())
                + (Double.isNaN(r.finalValAccuracy()) ? "" : String.format(Locale.ROOT, ", validation accuracy %.2f%%", 100 * r.finalValAccuracy()));
    }

    /** The test set's metrics, in one line. */
    static String testLine(TestRecord t) {
        return String.format(Locale.ROOT, "test (%d examples, %s weights from step %d): loss %.5g", t.examples(), t.weights(), t.step(), t.loss())
                + (Double.isNaN(t.accuracy()) ? "" : String.format(Locale.ROOT, ", accuracy %.2f%%", 100 * t.accuracy()));
    }

    /** How a run ended, for the live view's status line. */
    static String ending(Outcome res) {
        return res.result().stopReason() + " after " + res.result().steps() + " steps; report: " + res.report().toAbsolutePath();
    }

    /**
     * Runs {@link #run} with the live view when {@code live} is set: the server is started (and a taken
     * port reported) before anything is trained or written, and shows the final diagnosis at the end.
     */
    static Outcome runLive(RunSpec spec, Path baseDir, Engine engine, Path out, String dirName, long maxSteps, boolean fullRun,
                           boolean live, LiveOptions options, PrintWriter console) throws IOException {
        return runLive(spec, baseDir, engine, () -> newRunDir(out, dirName), maxSteps, fullRun ? Checkpoints.AT_END : Checkpoints.NONE,
                false, live, options, console, null);
    }

    /** Opens the run directory once the live view (if any) has started: a new one, or the one to resume. */
    @FunctionalInterface
    interface RunDirectory {
        Path open() throws IOException;
    }

    /** As below, in this JVM. */
    static Outcome runLive(RunSpec spec, Path baseDir, Engine engine, RunDirectory dir, long maxSteps, Checkpoints checkpoints,
                           boolean resume, boolean live, LiveOptions options, PrintWriter console) throws IOException {
        return runLive(spec, baseDir, engine, dir, maxSteps, checkpoints, resume, live, options, console, null);
    }

    /** As above, in the run directory {@code dir} opens, with {@code checkpoints}, on {@code cluster} (null: this JVM). */
    static Outcome runLive(RunSpec spec, Path baseDir, Engine engine, RunDirectory dir, long maxSteps, Checkpoints checkpoints,
                           boolean resume, boolean live, LiveOptions options, PrintWriter console, ClusterBackend cluster)
            throws IOException {
        LiveFeed feed = live ? new LiveFeed(spec.logEvery()) : null;
        try (LiveServer server = options.startForTraining(spec.name(), feed, spec.facts(), console)) {
            Outcome res = run(spec, engine, dir.open(), new Options(maxSteps, checkpoints.enabled(), true, console, baseDir, feed,
                    cluster), checkpoints, resume);
            if (server != null) {
                server.finish(res.verdicts(), ending(res));
            }
            return res;
        }
    }

    /**
     * Writes the trainer's checkpoint with the length of the metrics log, flushed, that goes with it, and the state of
     * {@code parts}.
     */
    private static void saveCheckpoint(Trainer trainer, MetricsLog log, Path ckDir, List<CheckpointPart> parts) throws IOException {
        log.flush();
        Trainer.Snapshot s = trainer.checkpoint();
        ObjectNode state = (ObjectNode) s.state();
        state.putObject(RUN_STATE).put("metrics_log_bytes", Files.size(log.path()));
        for (CheckpointPart part : parts) {
            state.set(part.field(), part.save());
        }
        Checkpoint.write(ckDir, s.tensors(), state, testPause(System.getenv(CHECKPOINT_PAUSE_ENV)));
    }

    /**
     * Environment variable for crash tests only, unset by default: the milliseconds a run's checkpoint writes pause at
     * each {@link Checkpoint.Stage} before the commit, so that the kill harness can aim kills into writes of small
     * models, whose writes otherwise take a millisecond or two. It changes no result, only the time a write takes.
     */
    static final String CHECKPOINT_PAUSE_ENV = "GRADSCALE_TEST_CHECKPOINT_PAUSE_MS";

    /** The observer {@value #CHECKPOINT_PAUSE_ENV} asks for ({@code value} null or empty: none). */
    static Checkpoint.WriteObserver testPause(String value) {
        if (value == null || value.isBlank()) {
            return Checkpoint.WriteObserver.NONE;
        }
        long millis;
        try {
            millis = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            millis = -1;
        }
        if (millis < 0) {
            throw new IllegalArgumentException(CHECKPOINT_PAUSE_ENV + " must be a number of milliseconds, got '" + value + "'");
        }
        long pause = millis;
        return stage -> {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("checkpoint write interrupted");
            }
        };
    }

    static void printVerdicts(List<Verdict> verdicts, PrintWriter out) {
        for (Verdict v : verdicts) {
            out.println("[" + v.severity() + "] " + v.title());
            for (String e : v.evidence()) {
                out.println("    evidence: " + e);
            }
            for (String r : v.remedies()) {
                out.println("    remedy:   " + r);
            }
        }
    }
}
