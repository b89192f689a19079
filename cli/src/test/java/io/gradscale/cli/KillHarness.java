package io.gradscale.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.io.Checkpoint;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Crash safety under {@code kill -9}: starts real training runs of the command line ({@code gradscale
 * train ... --checkpoint-every k}, a JVM of its own), kills them with SIGKILL at random moments,
 * resumes them with {@code train --resume}, and kills the resumed runs again, until each chain of runs
 * is let finish. After every kill it checks that
 * <ol>
 *   <li>the newest checkpoint (if one was committed yet) loads and its checksums verify;</li>
 *   <li>no half-written file is taken as a checkpoint: the committed generation verifies, and the
 *       metrics log holds at least the bytes the checkpoint says went with it (a kill during a
 *       checkpoint write shows as a generation directory newer than the committed one, or a temporary
 *       manifest, left behind: those are counted);</li>
 * </ol>
 * and once a chain has finished, that
 * <ol start="3">
 *   <li>the final weights and buffers (bit for bit), optimizer and trainer state, metrics log (time
 *       stamps and step times aside: each step exactly once, in order) and diagnosis equal those of the
 *       same configuration run once without interruption.</li>
 * </ol>
 *
 * <p>Every kill is made once the run has committed a checkpoint (so that every kill gets all three checks), at a
 * random moment after it or, for every other kill (the first included), aimed into a checkpoint write: the killed runs' writes pause at
 * each stage before the commit ({@link RunRecorder#CHECKPOINT_PAUSE_ENV}, a crash-test hook off by default), the
 * harness sees a write begin by its new generation directory appearing, and kills at a random moment of the pauses.
 * The uninterrupted run it compares with writes without pausing.
 *
 * <p>{@code bench/kill-harness.sh} runs the campaign (at least 100 kills over an MLP and an LSTM);
 * {@link KillResumeTest} replays a few kills in {@code ./mvnw verify}.
 */
public final class KillHarness {
    /** A training configuration to kill, and how often it checkpoints. */
    public record Workload(String name, String yaml, int checkpointEvery) {
    }

    /**
     * An MLP on two spirals: batch norm buffers, clipping and Adam moments, the live doctor's window and the best weights
     * so far (tested with: {@code test.weights: best}) all go through the checkpoint.
     */
    public static final Workload MLP = new Workload("kill-mlp", """
            name: kill-mlp
            seed: 11
            data: {source: two_spirals, size: 400, validation: 0.25}
            model: {type: mlp, hidden: [32, 32], activation: relu, init: he, batch_norm: true}
            transforms: [{type: clip_global_norm, max_norm: 1.0}]
            optimizer: {type: adam, lr: 0.003}
            training: {mode: mini_batch, batch_size: 16, epochs: 3}
            test: {size: 100, weights: best}
            monitor: {every: 5}
            """, 3);

    /** An LSTM on the adding problem. */
    public static final Workload LSTM = new Workload("kill-lstm", """
            name: kill-lstm
            seed: 5
            data: {source: adding, size: 320, length: 12, validation: 0.2}
            model: {type: lstm, hidden: [16]}
            transforms: [{type: clip_global_norm, max_norm: 1.0}]
            optimizer: {type: adam, lr: 0.01}
            training: {mode: mini_batch, batch_size: 16, epochs: 3}
            test: {size: 64, weights: best}
            monitor: {every: 4}
            """, 3);

    /**
     * What a campaign counted. Every kill is made once the run has a committed checkpoint, so every kill gets all three
     * checks: its checkpoint (1, 2) and, when its chain has finished, the comparison of the chain's end with the
     * uninterrupted run (3).
     *
     * @param kills SIGKILLs made
     * @param killsAimedIntoWrite kills timed from the moment a checkpoint write began (its generation directory appeared)
     * @param killsDuringCheckpointWrite kills that left an uncommitted write behind (a generation newer than the committed
     *     one, or a temporary manifest)
     * @param killsBeforeAnyCheckpoint kills that found no committed checkpoint (none expected: kills wait for one)
     * @param checkpointsChecked kills after which the committed checkpoint was loaded and checked (1, 2)
     * @param corruptCheckpoints of those, checkpoints that did not load, verify or agree with the metrics log
     * @param killsCompared kills whose chain finished and was compared with the uninterrupted run (3)
     * @param killsNotIdentical of those, kills in a chain that did not end bit-identical
     * @param resumesCompleted chains finished and compared
     * @param resumesNotIdentical chains that did not end bit-identical
     */
    public record Tally(String workload, int kills, int killsAimedIntoWrite, int killsDuringCheckpointWrite, int killsBeforeAnyCheckpoint,
                        int checkpointsChecked, int corruptCheckpoints, int killsCompared, int killsNotIdentical, int resumesCompleted,
                        int resumesNotIdentical, List<String> problems) {
        /** Kills with all three checks made. */
        public int fullyTallied() {
            return Math.min(checkpointsChecked, killsCompared);
        }

        String row() {
            return String.join("\t", workload, "" + kills, "" + killsAimedIntoWrite, "" + killsDuringCheckpointWrite,
                    "" + killsBeforeAnyCheckpoint, "" + checkpointsChecked, "" + corruptCheckpoints, "" + killsCompared,
                    "" + killsNotIdentical, "" + fullyTallied(), "" + resumesCompleted, "" + resumesNotIdentical);
        }

        static final String HEADER = "workload\tkills\tkills_aimed_into_write\tkills_during_checkpoint_write\tkills_before_any_checkpoint"
                + "\tcheckpoints_checked\tcorrupt_checkpoints\tkills_resumed_and_compared\tkills_not_bit_identical\tkills_fully_tallied"
                + "\tchains_completed\tchains_not_bit_identical";
    }

    /** Per-kill counts of a campaign in progress. */
    private static final class Counts {
        int made;
        int aimed;
        int duringWrite;
        int beforeAny;
        int checked;
        int corrupt;
        int compared;
        int killsDifferent;
        int completed;
        int different;
        final List<String> problems = new ArrayList<>();

        Tally tally(String name) {
            return new Tally(name, made, aimed, duringWrite, beforeAny, checked, corrupt, compared, killsDifferent, completed, different,
                    List.copyOf(problems));
        }
    }

    /** When in a run a kill is made. */
    enum Aim {
        /** At a random moment once the run has a committed checkpoint. */
        AFTER_A_CHECKPOINT,
        /** At a random moment of a checkpoint write (paused at each stage, see {@link RunRecorder#CHECKPOINT_PAUSE_ENV}). */
        INTO_A_WRITE
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GENERATION = Pattern.compile("gen-(\\d+)");

    private final List<String> cli;
    private final Path work;
    private final Rng rng;
    private final PrintStream log;
    private final long pauseMillis;

    /**
     * @param cli  the command that runs the command line's main class, e.g. {@code java -cp ... io.gradscale.cli.Main}
     * @param work an empty working directory
     */
    public KillHarness(List<String> cli, Path work, long seed, PrintStream log) {
        this(cli, work, seed, log, DEFAULT_PAUSE_MILLIS);
    }

    /**
     * @param pauseMillis how long the killed runs' checkpoint writes pause at each stage before their commit
     *     ({@link RunRecorder#CHECKPOINT_PAUSE_ENV}), so that kills can be aimed into them; 0: no pause, no aiming
     */
    public KillHarness(List<String> cli, Path work, long seed, PrintStream log, long pauseMillis) {
        this.cli = List.copyOf(cli);
        this.work = work;
        this.rng = new Rng(seed);
        this.log = log;
        this.pauseMillis = pauseMillis;
    }

    /**
     * The write pause of a campaign: long against the 1 ms poll that sees a write begin and against the kill's own
     * latency, short enough that a run of some twenty checkpoints takes a few seconds more.
     */
    public static final long DEFAULT_PAUSE_MILLIS = 40;

    /** The command running {@code io.gradscale.cli.Main} in a new JVM on {@code classpath}, with the Vector API. */
    public static List<String> javaCommand(String classpath) {
        String java = ProcessHandle.current().info().command().orElse("java");
        // the launcher's flags (./gradscale); no -XX:TieredStopAtLevel=1: the Vector API is intrinsified by C2 only,
        // and an LSTM run without it took 230 s instead of seconds
        return List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-cp", classpath, Main.class.getName());
    }

    /**
     * Kills runs of {@code w} until {@code kills} kills were made, in chains of one to four kills each
     * followed by a resume that is let finish, and checks everything described above. Each kill waits for the run's
     * first committed checkpoint; with a write pause, every other one (the first included) is aimed into a checkpoint write.
     */
    public Tally campaign(Workload w, int kills) throws IOException, InterruptedException {
        Path wdir = Files.createDirectories(work.resolve(w.name()));
        Path config = wdir.resolve(w.name() + ".yaml");
        Files.writeString(config, w.yaml());
        long t0 = System.nanoTime();
        // without the write pause: the chains, paused, must still end in the same bits
        Path ref = runToEnd(List.of("train", config.toString(), "--out", wdir.resolve("reference").toString(),
                "--checkpoint-every", "" + w.checkpointEvery()), wdir.resolve("reference.out"), false);
        double refSeconds = (System.nanoTime() - t0) / 1e9;
        long refGenerations = Checkpoint.read(ref.resolve(RunRecorder.CHECKPOINT_DIR)).generation();
        log.printf("%s: uninterrupted run %.1f s, %d checkpoints -> %s%n", w.name(), refSeconds, refGenerations, ref);
        Counts n = new Counts();
        for (int chain = 0; n.made < kills; chain++) {
            Path root = wdir.resolve("chain-" + chain);
            int chainKills = Math.min(kills - n.made, 1 + (int) (rng.nextDouble() * 4));
            Path runDir = null;
            int killsInChain = 0;
            for (int k = 0; k < chainKills; k++) {
                List<String> args = runDir == null
                        ? List.of("train", config.toString(), "--out", root.toString(), "--checkpoint-every", "" + w.checkpointEvery())
                        : List.of("train", "--resume", runDir.toString());
                // alternate, starting aimed: every campaign of one kill or more aims at least one into a write, whatever
                // the timing (a random choice made a three-kill replay miss it one time in eight on a loaded machine)
                Aim aim = pauseMillis > 0 && n.made % 2 == 0 ? Aim.INTO_A_WRITE : Aim.AFTER_A_CHECKPOINT;
                boolean killed = runAndKill(args, root.resolve("attempt-" + k + ".out"), root, runDir, aim, refSeconds, refGenerations);
                if (!killed) {
                    break; // it finished first: the chain is complete
                }
                n.made++;
                killsInChain++;
                if (aim == Aim.INTO_A_WRITE) {
                    n.aimed++;
                }
                if (runDir == null) {
                    runDir = onlyRunDir(root);
                }
                if (runDir == null || !Files.exists(runDir.resolve(TrainCommand.RESUME_FILE))) {
                    throw new IllegalStateException(w.name() + " chain " + chain + " kill " + k + ": killed after its first checkpoint"
                            + " but there is no resumable run directory in " + root);
                }
                Inspection in = inspect(runDir);
                if (in.midWrite()) {
                    n.duringWrite++;
                }
                if (!in.committed()) {
                    n.beforeAny++;
                } else {
                    n.checked++;
                    if (in.problem() != null) {
                        n.corrupt++;
                        n.problems.add(w.name() + " chain " + chain + " kill " + k + ": " + in.problem());
                    }
                }
                log.printf("%s chain %d kill %d: %s%s%s%n", w.name(), chain, k, aim, in.midWrite() ? ", inside a checkpoint write" : "",
                        in.problem() == null ? "" : ", PROBLEM " + in.problem());
            }
            Path finished = runDir == null
                    ? runToEnd(List.of("train", config.toString(), "--out", root.toString(), "--checkpoint-every", "" + w.checkpointEvery()),
                            root.resolve("final.out"), true)
                    : runToEnd(List.of("train", "--resume", runDir.toString()), root.resolve("final.out"), true);
            n.completed++;
            n.compared += killsInChain;
            List<String> diffs = compare(ref, finished);
            if (!diffs.isEmpty()) {
                n.different++;
                n.killsDifferent += killsInChain;
                n.problems.add(w.name() + " chain " + chain + ": " + String.join("; ", diffs));
            }
            Tally sofar = n.tally(w.name());
            progress = sofar;
            log.printf("%s chain %d (%d kills): %s, %s%n", w.name(), chain, killsInChain, diffs.isEmpty() ? "identical" : "DIFFERENT " + diffs,
                    sofar.row());
        }
        return n.tally(w.name());
    }

    /** The tally after the last finished chain of the workload under way: printed if the campaign is stopped (SIGTERM). */
    private volatile Tally progress;

    /**
     * Starts the command line with {@code args} and SIGKILLs it as {@code aim} says; false when it exited first.
     * {@code runDir} is the run directory of a resumed run, null for a new one (then found under {@code root}).
     */
    private boolean runAndKill(List<String> args, Path out, Path root, Path runDir, Aim aim, double refSeconds, long refGenerations)
            throws IOException, InterruptedException {
        long atLaunch = runDir == null ? 0 : newestGeneration(runDir.resolve(RunRecorder.CHECKPOINT_DIR));
        Process p = start(args, out, true);
        Path ck = runDir == null ? null : runDir.resolve(RunRecorder.CHECKPOINT_DIR);
        // the write to aim into: any of those the run has left to make but its last one, and in a new run not its first
        // (a kill there leaves no committed checkpoint to check; the resume starts over)
        long first = Math.max(atLaunch, 1) + 1;
        long target = first + (long) (rng.nextDouble() * Math.max(1, refGenerations - first));
        while (true) {
            if (!p.isAlive()) {
                return finishedFirst(p, args, out);
            }
            if (ck == null) {
                Path d = onlyRunDir(root);
                ck = d == null ? null : d.resolve(RunRecorder.CHECKPOINT_DIR);
            }
            if (ck != null) {
                boolean ready = aim == Aim.INTO_A_WRITE ? Files.isDirectory(ck.resolve(generationName(target)))
                        : Files.exists(ck.resolve(Checkpoint.MANIFEST));
                if (ready) {
                    break;
                }
            }
            Thread.sleep(1);
        }
        long delayMillis = aim == Aim.INTO_A_WRITE
                // the write pauses at its three stages before the commit: anywhere in them, or just after
                ? (long) (rng.nextDouble() * 3.2 * pauseMillis)
                : (long) (rng.nextDouble() * 0.8 * refSeconds * 1000);
        if (p.waitFor(delayMillis, TimeUnit.MILLISECONDS)) {
            return finishedFirst(p, args, out);
        }
        p.destroyForcibly(); // SIGKILL on Unix: no shutdown hook, no finally block runs
        p.waitFor();
        return true;
    }

    private static boolean finishedFirst(Process p, List<String> args, Path out) throws IOException, InterruptedException {
        p.waitFor();
        if (p.exitValue() != 0) {
            throw new IllegalStateException("gradscale " + args + " failed with exit code " + p.exitValue() + ": " + Files.readString(out));
        }
        return false;
    }

    private static long newestGeneration(Path ck) throws IOException {
        long newest = 0;
        if (!Files.isDirectory(ck)) {
            return 0;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(ck)) {
            for (Path p : s) {
                Matcher m = GENERATION.matcher(p.getFileName().toString());
                if (m.matches()) {
                    newest = Math.max(newest, Long.parseLong(m.group(1)));
                }
            }
        }
        return newest;
    }

    private static String generationName(long generation) {
        return String.format(java.util.Locale.ROOT, "gen-%06d", generation);
    }

    private Path runToEnd(List<String> args, Path out, boolean paused) throws IOException, InterruptedException {
        Process p = start(args, out, paused);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("gradscale " + args + " did not finish in 10 minutes");
        }
        String text = Files.readString(out);
        if (p.exitValue() != 0) {
            throw new IllegalStateException("gradscale " + args + " failed with exit code " + p.exitValue() + ": " + text);
        }
        Matcher m = Pattern.compile("run directory: (.*)").matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("gradscale " + args + " printed no run directory: " + text);
        }
        return Path.of(m.group(1).strip());
    }

    private Process start(List<String> args, Path out, boolean paused) throws IOException {
        Files.createDirectories(out.getParent());
        List<String> cmd = new ArrayList<>(cli);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("GRADSCALE_NO_PROGRESS", "1");
        if (paused && pauseMillis > 0) {
            pb.environment().put(RunRecorder.CHECKPOINT_PAUSE_ENV, "" + pauseMillis);
        } else {
            pb.environment().remove(RunRecorder.CHECKPOINT_PAUSE_ENV);
        }
        return pb.start();
    }

    private static Path onlyRunDir(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> s = Files.list(root)) {
            List<Path> dirs = s.filter(Files::isDirectory).toList();
            if (dirs.size() > 1) {
                throw new IllegalStateException("more than one run directory in " + root + ": " + dirs);
            }
            return dirs.isEmpty() ? null : dirs.get(0);
        }
    }

    /** What a killed run left behind. */
    record Inspection(boolean committed, boolean midWrite, String problem) {
    }

    /** Checks 1 and 2 on the run directory of a killed run. */
    static Inspection inspect(Path runDir) throws IOException {
        Path ck = runDir.resolve(RunRecorder.CHECKPOINT_DIR);
        if (!Files.exists(ck.resolve(Checkpoint.MANIFEST))) {
            return new Inspection(false, Files.isDirectory(ck), null);
        }
        long newest = 0;
        boolean tmp = false;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(ck)) {
            for (Path p : s) {
                Matcher m = GENERATION.matcher(p.getFileName().toString());
                if (m.matches()) {
                    newest = Math.max(newest, Long.parseLong(m.group(1)));
                }
                tmp |= p.getFileName().toString().endsWith(".tmp");
            }
        }
        Checkpoint.Contents c;
        try {
            c = Checkpoint.read(ck);
        } catch (IOException | RuntimeException e) {
            return new Inspection(true, tmp || newest > 0, "the newest checkpoint does not load: " + e);
        }
        boolean midWrite = tmp || newest > c.generation();
        long logBytes = c.state().path(RunRecorder.RUN_STATE).path("metrics_log_bytes").asLong(-1);
        long have = Files.size(runDir.resolve(MetricsLog.FILE_NAME));
        if (logBytes < 0 || have < logBytes) {
            return new Inspection(true, midWrite, "the checkpoint records a metrics log of " + logBytes + " bytes, the file has " + have);
        }
        long step = c.state().path("trainer").path("step").asLong(-1);
        long logged = stepsIn(Files.readAllLines(runDir.resolve(MetricsLog.FILE_NAME)).subList(0, linesIn(runDir, logBytes)));
        if (logged != step) {
            return new Inspection(true, midWrite, "the checkpoint is at step " + step + " but its part of the metrics log has " + logged + " steps");
        }
        return new Inspection(true, midWrite, null);
    }

    private static int linesIn(Path runDir, long bytes) throws IOException {
        byte[] b = Files.readAllBytes(runDir.resolve(MetricsLog.FILE_NAME));
        int lines = 0;
        for (int i = 0; i < bytes; i++) {
            if (b[i] == '\n') {
                lines++;
            }
        }
        return lines;
    }

    private static long stepsIn(List<String> lines) throws IOException {
        long n = 0;
        for (String l : lines) {
            if (JSON.readTree(l).path("type").asText().equals("step")) {
                n++;
            }
        }
        return n;
    }

    /** Check 3: everything a finished run leaves equals the uninterrupted run's, time stamps and step times aside. */
    static List<String> compare(Path ref, Path got) throws IOException {
        return compare(ref, got, List.of("startedAt"));
    }

    /** As {@link #compare(Path, Path)}, with the provenance fields {@code headerAside} left out of the comparison. */
    static List<String> compare(Path ref, Path got, List<String> headerAside) throws IOException {
        List<String> d = new ArrayList<>();
        Checkpoint.Contents a = Checkpoint.read(ref.resolve(RunRecorder.CHECKPOINT_DIR));
        Checkpoint.Contents b = Checkpoint.read(got.resolve(RunRecorder.CHECKPOINT_DIR));
        if (!a.tensors().keySet().equals(b.tensors().keySet())) {
            d.add("tensor names " + a.tensors().keySet() + " vs " + b.tensors().keySet());
        } else {
            for (Map.Entry<String, Tensor> e : a.tensors().entrySet()) {
                if (!sameBits(e.getValue().data(), b.tensors().get(e.getKey()).data())) {
                    d.add("tensor " + e.getKey() + " differs");
                }
            }
        }
        ObjectNode sa = a.state().deepCopy();
        ObjectNode sb = b.state().deepCopy();
        sa.remove(RunRecorder.RUN_STATE);
        sb.remove(RunRecorder.RUN_STATE);
        if (!sa.get("optimizer").equals(sb.get("optimizer"))) {
            d.add("optimizer state differs");
        }
        if (!sa.get("trainer").equals(sb.get("trainer"))) {
            d.add("trainer state differs: " + sa.get("trainer") + " vs " + sb.get("trainer"));
        }
        List<String> la = normalizedLog(ref.resolve(MetricsLog.FILE_NAME), headerAside);
        List<String> lb = normalizedLog(got.resolve(MetricsLog.FILE_NAME), headerAside);
        if (!la.equals(lb)) {
            int i = 0;
            while (i < Math.min(la.size(), lb.size()) && la.get(i).equals(lb.get(i))) {
                i++;
            }
            d.add("metrics log differs from line " + (i + 1) + " (" + la.size() + " vs " + lb.size() + " lines)");
        }
        String stepProblem = stepSequence(got.resolve(MetricsLog.FILE_NAME));
        if (stepProblem != null) {
            d.add(stepProblem);
        }
        if (!Files.readString(ref.resolve("diagnosis.json")).equals(Files.readString(got.resolve("diagnosis.json")))) {
            d.add("diagnosis.json differs");
        }
        return d;
    }

    private static boolean sameBits(float[] x, float[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }

    /** The log's lines without the header fields {@code headerAside} and the steps' wall-clock times. */
    static List<String> normalizedLog(Path file, List<String> headerAside) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            ObjectNode o = (ObjectNode) JSON.readTree(line);
            if (o.path("type").asText().equals("header")) {
                o.remove(headerAside);
            }
            o.remove("elapsedMillis");
            out.add(o.toString());
        }
        return out;
    }

    /** Null when the step records are 0, 1, 2, ... each once; else what is wrong. */
    static String stepSequence(Path file) throws IOException {
        long expected = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode o = JSON.readTree(line);
            if (o.path("type").asText().equals("step")) {
                long s = o.path("step").asLong();
                if (s != expected) {
                    return "metrics log: step " + s + " where step " + expected + " was expected ("
                            + (s < expected ? "duplicated" : "missing") + ")";
                }
                expected++;
            }
        }
        return null;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * {@code KillHarness CLASSPATH WORK_DIR KILLS_PER_WORKLOAD [SEED [WORKLOAD,...]]}: the campaign over the
     * MLP and the LSTM (or the workloads named: kill-mlp, kill-lstm); prints one tab-separated row per
     * workload as it finishes and exits 1 if any check failed.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: KillHarness CLASSPATH WORK_DIR KILLS_PER_WORKLOAD [SEED [WORKLOAD,...]]");
            System.exit(2);
        }
        Path work = Files.createDirectories(Path.of(args[1]));
        int kills = Integer.parseInt(args[2]);
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 17;
        List<Workload> workloads = new ArrayList<>();
        for (Workload w : List.of(MLP, LSTM)) {
            if (args.length <= 4 || List.of(args[4].split(",")).contains(w.name())) {
                workloads.add(w);
            }
        }
        KillHarness h = new KillHarness(javaCommand(args[0]), work, seed, System.out);
        Thread stopped = new Thread(() -> {
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
            Tally t = h.progress;
            if (t != null) {
                System.out.println("stopped; the last finished chain's tally:");
                System.out.println(Tally.HEADER);
                System.out.println(t.row());
                t.problems().forEach(p -> System.out.println("  problem: " + p));
            }
        });
        Runtime.getRuntime().addShutdownHook(stopped);
        boolean ok = true;
        for (Workload w : workloads) {
            Tally t = h.campaign(w, kills);
            h.progress = null;
            System.out.println(Tally.HEADER);
            System.out.println(t.row());
            t.problems().forEach(p -> System.out.println("  problem: " + p));
            ok &= t.problems().isEmpty();
        }
        System.exit(ok ? 0 : 1);
    }
}
