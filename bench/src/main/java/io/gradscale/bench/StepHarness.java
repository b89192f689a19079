package io.gradscale.bench;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.ThreadPlan;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end training-step timings (not JMH: whole steps of tens of milliseconds, compared with PyTorch
 * run in the same session by {@code bench/run-steps.sh}).
 *
 * <pre>
 *   StepHarness run WORKLOAD THREADS [WARMUP STEPS]   warm up (WARMUP steps and at least 5 s), time STEPS steps,
 *                                                     print one RESULT line; THREADS above 1 steps through a
 *                                                     ThreadPlan as the Trainer does ("2:pool": the pool always)
 *   StepHarness report FILE                           RESULT lines of both sides to a markdown table
 * </pre>
 *
 * A RESULT line holds the median and quartiles of the step times, the heap bytes allocated per step in
 * the timed window (all threads, {@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes}) and
 * the garbage collections (count and milliseconds) during that window. Workloads: {@link StepWorkloads}.
 */
public final class StepHarness {
    /** Warm-up steps before timing, by default. */
    static final int DEFAULT_WARMUP = 30;
    /** Warm-up also lasts at least this long, so that the JIT has compiled the hot loops (C2 takes a few seconds). */
    static final long MIN_WARMUP_NANOS = 5_000_000_000L;
    /** Timed steps, by default. */
    static final int DEFAULT_STEPS = 40;

    private StepHarness() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length >= 3 && args[0].equals("run")) {
            int warmup = args.length > 3 ? Integer.parseInt(args[3]) : DEFAULT_WARMUP;
            int steps = args.length > 4 ? Integer.parseInt(args[4]) : DEFAULT_STEPS;
            String[] t = args[2].split(":", 2);
            boolean planned = t.length == 1;
            if (!planned && !t[1].equals("pool")) {
                throw new IllegalArgumentException("THREADS is a count, or a count followed by :pool, got " + args[2]);
            }
            System.out.println(run(args[1], Integer.parseInt(t[0]), planned, warmup, steps));
        } else if (args.length == 2 && args[0].equals("report")) {
            System.out.print(report(Files.readAllLines(Path.of(args[1]))));
        } else {
            System.err.println("usage: StepHarness run WORKLOAD THREADS [WARMUP STEPS] | StepHarness report FILE\n"
                    + "workloads: " + StepWorkloads.ALL);
            System.exit(2);
        }
    }

    /**
     * Runs one workload on {@code threads} threads and returns its RESULT line; {@code planned}: through a
     * {@link ThreadPlan}, as the Trainer runs its steps.
     */
    static String run(String name, int threads, boolean planned, int warmup, int steps) {
        Engine engine = threads == 1 ? Engine.serial() : Engine.withThreads(threads);
        try {
            ThreadPlan plan = planned ? new ThreadPlan(engine.parallel()) : null;
            StepWorkloads.Workload w = planned ? planned(StepWorkloads.create(name, engine), plan)
                    : StepWorkloads.create(name, engine);
            double last = Double.NaN;
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup || System.nanoTime() - warmStart < MIN_WARMUP_NANOS; i++) {
                w.prepare();
                last = w.step();
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] gc0 = gcTotals();
            long alloc0 = mx.getTotalThreadAllocatedBytes();
            double[] ms = new double[steps];
            for (int i = 0; i < steps; i++) {
                w.prepare();
                long t0 = System.nanoTime();
                last = w.step();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            long alloc1 = mx.getTotalThreadAllocatedBytes();
            long[] gc1 = gcTotals();
            Arrays.sort(ms);
            return String.format(Locale.ROOT,
                    "RESULT impl=gradscale workload=%s threads=%d median_ms=%.3f q1_ms=%.3f q3_ms=%.3f alloc_bytes=%d gc_count=%d gc_ms=%d steps=%d loss=%.6g kernels=%s plan=%s",
                    name, threads, quantile(ms, 0.5), quantile(ms, 0.25), quantile(ms, 0.75),
                    (alloc1 - alloc0) / steps, gc1[0] - gc0[0], gc1[1] - gc0[1], steps, last, engine.kernels().name(),
                    planDescription(plan));
        } finally {
            engine.parallel().close();
        }
    }

    /** {@code w} with each step run as the Trainer runs it: between {@code plan}'s calls. */
    static StepWorkloads.Workload planned(StepWorkloads.Workload w, ThreadPlan plan) {
        return new StepWorkloads.Workload() {
            @Override
            public void prepare() {
                w.prepare();
            }

            @Override
            public double step() {
                plan.beforeStep();
                double loss = w.step();
                plan.afterStep();
                return loss;
            }
        };
    }

    /**
     * "pool" without a plan, else where the plan's last probe left the steps and what it measured ("compiling": the JIT
     * compiled through it, so it decided nothing).
     */
    static String planDescription(ThreadPlan plan) {
        if (plan == null) {
            return "pool";
        }
        ThreadPlan.Probe p = plan.lastProbe();
        return p == null ? "unprobed" : String.format(Locale.ROOT, "%s(pooled_ms=%.3f,one_ms=%.3f%s)",
                p.pooled() ? "pooled" : "one", p.pooledNanos() / 1e6, p.confinedNanos() / 1e6,
                p.compiling() ? ",compiling" : "");
    }

    private static long[] gcTotals() {
        long count = 0;
        long time = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            time += Math.max(0, b.getCollectionTime());
        }
        return new long[] {count, time};
    }

    /** Linear interpolation between order statistics of a sorted array. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** One parsed RESULT line. */
    record Result(String impl, String workload, int threads, double median, double q1, double q3, long alloc,
                  long gcCount, long gcMs) {
        static Result parse(String line) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String tok : line.trim().split("\\s+")) {
                int eq = tok.indexOf('=');
                if (eq > 0) {
                    f.put(tok.substring(0, eq), tok.substring(eq + 1));
                }
            }
            return new Result(f.get("impl"), f.get("workload"), Integer.parseInt(f.get("threads")),
                    Double.parseDouble(f.get("median_ms")), Double.parseDouble(f.get("q1_ms")), Double.parseDouble(f.get("q3_ms")),
                    Long.parseLong(f.getOrDefault("alloc_bytes", "-1")), Long.parseLong(f.getOrDefault("gc_count", "-1")),
                    Long.parseLong(f.getOrDefault("gc_ms", "-1")));
        }
    }

    /** Ratio targets of gradscale's one-thread time to PyTorch's, from issue 16 (issue 7's for the optimizer-only rows). */
    static final Map<String, Double> TARGETS = Map.ofEntries(Map.entry("mlp-sgd", 0.7), Map.entry("mlp-adam", 0.5),
            Map.entry("deep-mlp", 0.6), Map.entry("lstm", 0.45), Map.entry("rnn", 0.45), Map.entry("gru", 0.5),
            Map.entry("clip-10", 1.0),
            Map.entry("clip-1000", 0.3), Map.entry("adam-10", 1.0), Map.entry("adam-1000", 0.3),
            Map.entry("adam-floor", 0.3), Map.entry("clip-floor", 0.3));

    /**
     * The markdown table. Runs alternate (ours, torch, ours, torch, ...), so round {@code r} of each side
     * ran in the same minutes: a ratio is taken per round and the table shows the median over rounds,
     * next to the median (and IQR of the round's steps) of each side's median round.
     */
    static String report(List<String> lines) {
        Map<String, List<Result>> by = new LinkedHashMap<>();
        for (String l : lines) {
            if (l.startsWith("RESULT ")) {
                Result r = Result.parse(l);
                by.computeIfAbsent(r.workload() + "|" + r.threads() + "|" + r.impl(), k -> new ArrayList<>()).add(r);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| workload | threads | gradscale ms (median [IQR]) | PyTorch ms (median [IQR]) | ratio (median of rounds) | target | alloc/step | GC in window |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (String w : StepWorkloads.ALL) {
            for (int t : new int[] {1, 2}) {
                List<Result> ours = by.get(w + "|" + t + "|gradscale");
                if (ours == null) {
                    continue;
                }
                // A floor has no twin: it is set against PyTorch's time for its workload in the same rounds.
                String twin = StepWorkloads.FLOOR_OF.getOrDefault(w, w);
                List<Result> torch = by.getOrDefault(twin + "|" + t + "|torch", List.of());
                Result o = medianRound(ours);
                String torchCell = "not run";
                String ratio = "-";
                if (!torch.isEmpty()) {
                    Result p = medianRound(torch);
                    torchCell = cell(p);
                    int n = Math.min(ours.size(), torch.size());
                    double[] rs = new double[n];
                    for (int i = 0; i < n; i++) {
                        rs[i] = ours.get(i).median() / torch.get(i).median();
                    }
                    Arrays.sort(rs);
                    ratio = String.format(Locale.ROOT, "%.2f", quantile(rs, 0.5));
                }
                String target = t == 1 ? String.format(Locale.ROOT, "≤ %.2f", TARGETS.get(w)) : "≤ 1-thread time";
                if (StepWorkloads.FLOOR_OF.containsKey(w)) {
                    target = "bound on " + twin + "'s ratio";
                }
                if (t == 2) {
                    List<Result> one = by.get(w + "|1|gradscale");
                    if (one != null) {
                        target += String.format(Locale.ROOT, " (%.2f ms)", medianRound(one).median());
                    }
                }
                long gcCount = 0;
                long gcMs = 0;
                for (Result r : ours) {
                    gcCount += r.gcCount();
                    gcMs += r.gcMs();
                }
                sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %d GCs, %d ms (%d rounds) |\n",
                        w, t, cell(o), torchCell, ratio, target, bytes(o.alloc()), gcCount, gcMs, ours.size()));
            }
        }
        return sb.toString();
    }

    private static Result medianRound(List<Result> rs) {
        List<Result> s = new ArrayList<>(rs);
        s.sort((a, b) -> Double.compare(a.median(), b.median()));
        return s.get((s.size() - 1) / 2);
    }

    private static String cell(Result r) {
        return String.format(Locale.ROOT, "%.2f [%.2f–%.2f]", r.median(), r.q1(), r.q3());
    }

    private static String bytes(long b) {
        if (b < 0) {
            return "-";
        }
        if (b < 10_000) {
            return b + " B";
        }
        if (b < 10_000_000) {
            return String.format(Locale.ROOT, "%.0f KB", b / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f MB", b / 1e6);
    }
}
