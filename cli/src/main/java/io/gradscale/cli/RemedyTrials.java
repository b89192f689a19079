package io.gradscale.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.remedy.Remedy;
import io.gradscale.cli.remedy.TrialResults;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code diagnose --try-remedies}: reruns the probe for each remedy on the same seeds, measures, ranks, and writes
 * the best patched configuration to {@value #REMEDIED_FILE}.
 *
 * <p>Every variant (the configuration as given, and each remedy applied to it) is probed for the same number of
 * steps on the same seeds: the configuration's own seed, then the next ones. The seed fixes the data and the
 * initialization's random stream, so a remedy is compared with the configuration on the same examples. Each
 * probe is a run directory of its own under {@code trials/<id>/seed-<seed>/} (metrics log and diagnosis).
 * Remedies are ranked by the relative change of the loss after the probe, averaged over the seeds (a loss made finite
 * counts as {@value #NON_FINITE_MADE_FINITE}), ties by the loss.
 */
final class RemedyTrials {
    /**
     * The effect of a remedy whose loss after the probe is finite where the configuration's was not (infinite or NaN): the
     * whole loss removed, the limit of {@code (before - after) / before} as {@code before} grows. Such remedies tie, and
     * are then ranked by their loss.
     */
    static final double NON_FINITE_MADE_FINITE = 1.0;
    /** The best remedy's configuration, written next to the diagnosed run. */
    static final String REMEDIED_FILE = "remedied.yaml";
    /** Configuration fields naming files relative to the configuration file (see DataBuilder), in these sections. */
    private static final List<String> DATA_FILES = List.of("path", "labels");
    private static final List<String> DATA_SECTIONS = List.of("data", "validation", "test");

    private RemedyTrials() {
    }

    /**
     * Probes {@code remedies} (and, on the seeds after the first, the configuration itself; {@code first} is its
     * probe on the configuration's seed) and returns the ranked results, also written to {@code dir}.
     */
    static TrialResults run(JsonNode root, Path config, Engine engine, Path dir, long steps, int seeds,
                            RunRecorder.Outcome first, List<Remedy> remedies, PrintWriter o) throws IOException {
        long seed0 = root.path("seed").asLong(RunSpec.DEFAULT_SEED);
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            seedList.add(seed0 + i);
        }
        List<TrialResults.SeedRun> beforeRuns = new ArrayList<>();
        beforeRuns.add(figures(seed0, first));
        for (int i = 1; i < seeds; i++) {
            beforeRuns.add(probe(root, config, engine, dir.resolve("trials/before/seed-" + seedList.get(i)), steps, seedList.get(i)));
        }
        TrialResults.Trial before = trial("before", null, List.of(), beforeRuns, Double.NaN);
        o.println("before: loss after the probe " + fmt(before.lossAfter()) + " (mean of " + seeds + " seed(s))");
        o.flush();
        List<TrialResults.Trial> after = new ArrayList<>();
        for (Remedy r : remedies) {
            JsonNode patched = r.apply(root);
            List<TrialResults.SeedRun> runs = new ArrayList<>();
            for (long s : seedList) {
                runs.add(probe(patched, config, engine, dir.resolve("trials/" + r.id() + "/seed-" + s), steps, s));
            }
            TrialResults.Trial t = trial(r.id(), r, r.describe(root), runs, before.lossAfter());
            o.println("tried " + r.id() + ": loss after the probe " + fmt(t.lossAfter()));
            o.flush();
            after.add(t);
        }
        after.sort(Comparator.comparingDouble((TrialResults.Trial t) -> Double.isNaN(t.effect()) ? Double.NEGATIVE_INFINITY : t.effect())
                .reversed().thenComparingDouble(t -> Double.isNaN(t.lossAfter()) ? Double.POSITIVE_INFINITY : t.lossAfter()));
        String best = !after.isEmpty() && after.getFirst().effect() > 0 ? after.getFirst().id() : null;
        TrialResults res = new TrialResults(config.toString(), steps, seedList, before, after, best);
        res.write(dir.resolve(TrialResults.FILE_NAME));
        if (best != null) {
            writeRemedied(after.getFirst(), root, config, dir.resolve(REMEDIED_FILE));
        }
        return res;
    }

    private static TrialResults.SeedRun probe(JsonNode cfg, Path config, Engine engine, Path dir, long steps, long seed)
            throws IOException {
        ObjectNode c = ((ObjectNode) cfg).deepCopy();
        c.put("seed", seed);
        RunSpec spec = RunSpec.build(c, config.toAbsolutePath().getParent(), engine, config.toString());
        Files.createDirectories(dir);
        return figures(seed, RunRecorder.run(spec, engine, dir, new RunRecorder.Options(steps, false, false, null,
                config.toAbsolutePath().getParent(), null)));
    }

    private static TrialResults.SeedRun figures(long seed, RunRecorder.Outcome out) throws IOException {
        double ratio = TrialResults.gradRatio(MetricsLog.read(out.dir().resolve(MetricsLog.FILE_NAME)).steps());
        List<String> verdicts = new ArrayList<>();
        for (Verdict v : out.verdicts()) {
            if (v.severity().compareTo(Verdict.Severity.WARNING) >= 0) {
                verdicts.add(v.severity() + " " + v.detector());
            }
        }
        return new TrialResults.SeedRun(seed, out.lossAfter(), ratio, verdicts, out.dir().toString());
    }

    private static TrialResults.Trial trial(String id, Remedy r, List<String> edits, List<TrialResults.SeedRun> runs, double beforeLoss) {
        double loss = 0;
        double logRatio = 0;
        Map<String, Integer> verdicts = new LinkedHashMap<>();
        for (TrialResults.SeedRun s : runs) {
            loss += s.lossAfter(); // a plain mean: one non-finite seed makes the variant's figure non-finite
            logRatio += Math.log(s.gradRatio());
            s.verdicts().forEach(v -> verdicts.merge(v, 1, Integer::sum));
        }
        loss /= runs.size();
        double effect = r == null || !Double.isFinite(loss) ? Double.NaN
                : Double.isFinite(beforeLoss) ? (beforeLoss > 0 ? (beforeLoss - loss) / beforeLoss : Double.NaN)
                : NON_FINITE_MADE_FINITE;
        return new TrialResults.Trial(id, r, edits, runs, loss, Math.exp(logRatio / runs.size()), effect, verdicts);
    }

    /** Writes the patched configuration as YAML, with data files made absolute so that it runs from where it lies. */
    private static void writeRemedied(TrialResults.Trial best, JsonNode root, Path config, Path out) throws IOException {
        ObjectNode patched = best.remedy().apply(root);
        for (String section : DATA_SECTIONS) {
            if (patched.get(section) instanceof ObjectNode d) {
                for (String f : DATA_FILES) {
                    JsonNode v = d.get(f);
                    if (v != null && v.isTextual() && !Path.of(v.asText()).isAbsolute()) {
                        d.put(f, config.toAbsolutePath().getParent().resolve(v.asText()).normalize().toString());
                    }
                }
            }
        }
        YAMLMapper yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build();
        StringBuilder b = new StringBuilder();
        b.append("# ").append(config).append(" with remedy '").append(best.id()).append("' (").append(best.remedy().title())
                .append("), written by gradscale diagnose --try-remedies\n");
        for (String e : best.edits()) {
            b.append("#   ").append(e).append('\n');
        }
        b.append(String.format(Locale.ROOT, "# measured: loss after the probe %s (%s than before, mean of %d seed(s))%n",
                fmt(best.lossAfter()), pct(best.effect()), best.runs().size()));
        b.append(yaml.writeValueAsString(patched));
        Files.writeString(out, b.toString());
    }

    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? String.format(Locale.ROOT, "%.2e", v)
                : String.format(Locale.ROOT, "%.4g", v);
    }

    /** An effect as "63% lower" or "12% higher"; a loss more than doubled as "x6.9e+04 higher". */
    static String pct(double effect) {
        if (!Double.isFinite(effect)) {
            return "not comparable";
        }
        if (effect < -1) {
            return "x" + fmt(1 - effect) + " higher";
        }
        return String.format(Locale.ROOT, "%.0f%% %s", Math.abs(100 * effect), effect >= 0 ? "lower" : "higher");
    }

    /** The before/after table, ranked, as the command prints it. */
    static void print(TrialResults res, Path dir, PrintWriter o) {
        o.println();
        o.println("remedies tried: " + res.seeds().size() + " seed(s) " + res.seeds() + " x " + res.steps()
                + " steps each, ranked by the loss after the probe");
        String head = String.format(Locale.ROOT, "%-4s %-18s %12s %14s %14s  %s", "rank", "variant", "loss after", "vs before",
                "|g| first/last", "verdicts (seeds)");
        o.println(head);
        o.println(row("-", res.before(), res.seeds().size()));
        int rank = 1;
        for (TrialResults.Trial t : res.after()) {
            o.println(row(Integer.toString(rank++), t, res.seeds().size()));
        }
        for (TrialResults.Trial t : res.after()) {
            o.println("  " + t.id() + ": " + String.join("; ", t.edits()));
        }
        if (res.best() != null) {
            o.println("best: " + res.best() + "; the patched configuration: " + dir.resolve(REMEDIED_FILE).toAbsolutePath());
            o.println("  train it with: ./gradscale train " + dir.resolve(REMEDIED_FILE));
        } else {
            o.println("no remedy lowered the loss after the probe; no " + REMEDIED_FILE + " was written");
        }
    }

    private static String row(String rank, TrialResults.Trial t, int seeds) {
        List<String> v = new ArrayList<>();
        t.verdicts().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> v.add(e.getKey() + " " + e.getValue() + "/" + seeds));
        return String.format(Locale.ROOT, "%-4s %-18s %12s %14s %14s  %s", rank, t.id(), fmt(t.lossAfter()),
                t.remedy() == null ? "" : pct(t.effect()), fmt(t.gradRatio()), v.isEmpty() ? "none" : String.join(", ", v));
    }
}
