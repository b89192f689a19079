package io.gradscale.tensor;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Whether a training step's loops use a pool's threads or the calling thread alone, chosen by timing steps both
 * ways in turns, so that a step is never kept on the slower of the two.
 *
 * <p>Why it is needed: on the two-core machine of {@code docs/PERFORMANCE.md}, an Elman RNN of hidden size 128 ran
 * 0.90 times as fast on two threads as on one (ThreadsHarness, interleaved). Its per-time-step products are too
 * small to split, and the large products that are split leave their outputs in the other core's cache for the
 * serial loop over time that reads them next; passes over the other core's data cost several times their local
 * cost on this VM. Which workloads gain from a second thread depends on sizes, the machine and its load, so it is
 * measured rather than predicted. The chunks of every loop, and the order their partials are combined in, do not
 * depend on the threads that run them ({@link Parallel}), so the choice changes timing only, never bits: the same
 * idea as cuDNN's benchmark mode or FFTW's planner choosing among equivalent algorithms by running them.
 *
 * <p>The schedule. After {@link #WARMUP_STEPS} steps, a probe runs {@link #TURNS} turns of a block of
 * {@link #BLOCK} steps on the pool, then a block confined to the calling thread ({@link Parallel#confine}). The
 * first step of each block is not counted (it moves the data between the cores), and blocks of a few milliseconds
 * put both sides in the same seconds of a host whose speed drifts. The other side is taken only when its median
 * step is shorter by more than {@link #SWITCH_MARGIN}: deep-mlp, 1.2 times as fast on two threads, once measured
 * only 1.6 % apart in a probe, and a wrong switch would cost it a fifth of its speed until the next probe. Probes
 * follow after {@link #FIRST_INTERVAL} steps, then after twice as many each time up to {@link #MAX_INTERVAL}, so that
 * the choice follows the JIT's compilation and the load; a probe's {@code TURNS * BLOCK} steps on the slower side
 * cost at most that fraction of the interval (under 1 % of the steps, at a step slower by a tenth, under 0.1 %).
 *
 * <p>A probe during which the JIT compiled for more than {@link #COMPILE_SHARE} of its time decides nothing: the
 * compiler's threads take a processor, which on a machine of two leaves the pool's worker none, so the pool measures
 * slow until compiling ends (in {@code run-steps.sh}, probes made while C2 compiled put lstm's pooled steps at 10.7-15.9
 * ms against 7.4-10.3 on one thread, and kept them on one thread after its compilation ended, where the pool is as
 * fast or faster). Such a probe keeps the current choice and is made again after {@link #FIRST_INTERVAL} steps.
 *
 * <p>A plan belongs to the one thread that runs the steps; for a pool of one thread it never confines anything.
 */
public final class ThreadPlan {
    /** Steps before the first probe: the JIT has then compiled both sides' loops at least once. */
    public static final int WARMUP_STEPS = 20;
    /** Steps in a block on one side (the first of them not counted). */
    public static final int BLOCK = 5;
    /** Turns of one block on each side per probe. */
    public static final int TURNS = 6;
    /** Steps from the end of the first probe to the second; the gap doubles after each probe. */
    public static final int FIRST_INTERVAL = 200;
    /** The longest gap between two probes, in steps: how long a choice the load has made wrong can last. */
    public static final int MAX_INTERVAL = 3_200;
    /** How much shorter the other side's median step must be for the steps to move to it (hysteresis). */
    public static final double SWITCH_MARGIN = 0.03;
    /** The part of a probe's time the JIT may spend compiling (all its threads) for the probe to count. */
    public static final double COMPILE_SHARE = 0.05;

    /**
     * What a probe measured: the median counted step on each side, in nanoseconds; whether steps now use the pool;
     * whether that changed with this probe; whether the JIT compiled through it, so that it decided nothing.
     */
    public record Probe(long step, double pooledNanos, double confinedNanos, boolean pooled, boolean changed,
                       boolean compiling) {
    }

    private final Parallel pool;
    private final LongSupplier clock;
    /** Milliseconds the JIT has spent compiling so far, all its threads together (0 where the JVM does not say). */
    private final LongSupplier compileMillis;
    private long probeStartNanos;
    private long probeStartCompileMillis;
    private final long[] pooledTimes = new long[TURNS * (BLOCK - 1)];
    private final long[] confinedTimes = new long[TURNS * (BLOCK - 1)];
    private long steps;
    private long nextProbe = WARMUP_STEPS;
    private long interval = FIRST_INTERVAL;
    /** The step's place within the running probe, or -1 between probes. */
    private int probeAt = -1;
    private int pooledCount;
    private int confinedCount;
    private boolean pooledChosen = true;
    private boolean stepPooled;
    private long startedAt;
    private Probe last;

    /**
     * A plan for the steps run on {@code pool}, timed with {@link System#nanoTime()}, with the JIT's compilation time
     * from the JVM's {@link CompilationMXBean}.
     */
    public ThreadPlan(Parallel pool) {
        this(pool, System::nanoTime, jitMillis());
    }

    /** A plan timed by {@code clock}, with the JIT's time from {@code compileMillis} (tests give it clocks of their own). */
    ThreadPlan(Parallel pool, LongSupplier clock, LongSupplier compileMillis) {
        this.pool = pool;
        this.clock = clock;
        this.compileMillis = compileMillis;
    }

    private static LongSupplier jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : () -> 0;
    }

    /** Call before a step: confines the pool or not for it (the one place that does), and starts its clock. */
    public void beforeStep() {
        if (pool.threads() == 1) {
            return;
        }
        if (probeAt < 0 && steps >= nextProbe) {
            probeAt = 0;
            pooledCount = 0;
            confinedCount = 0;
            probeStartCompileMillis = compileMillis.getAsLong();
            probeStartNanos = clock.getAsLong();
        }
        stepPooled = probeAt >= 0 ? (probeAt / BLOCK) % 2 == 0 : pooledChosen;
        pool.confine(!stepPooled);
        startedAt = clock.getAsLong();
    }

    /**
     * Call after the step {@link #beforeStep} started. Returns the probe just completed when this step ended one
     * (the caller may report it; its timings differ from run to run, so they belong in no log that must be the same
     * bits on any thread count), else null.
     */
    public Probe afterStep() {
        if (pool.threads() == 1) {
            return null;
        }
        long took = clock.getAsLong() - startedAt;
        steps++;
        if (probeAt < 0) {
            return null;
        }
        if (probeAt % BLOCK != 0) {
            if (stepPooled) {
                pooledTimes[pooledCount++] = took;
            } else {
                confinedTimes[confinedCount++] = took;
            }
        }
        if (++probeAt < 2 * TURNS * BLOCK) {
            return null;
        }
        double pooled = median(pooledTimes, pooledCount);
        double confined = median(confinedTimes, confinedCount);
        probeAt = -1;
        long compiled = compileMillis.getAsLong() - probeStartCompileMillis;
        if (compiled * 1e6 > COMPILE_SHARE * (clock.getAsLong() - probeStartNanos)) {
            nextProbe = steps + FIRST_INTERVAL;
            last = new Probe(steps, pooled, confined, pooledChosen, false, true);
            return last;
        }
        boolean was = pooledChosen;
        pooledChosen = was ? confined >= pooled * (1 - SWITCH_MARGIN) : pooled < confined * (1 - SWITCH_MARGIN);
        nextProbe = steps + interval;
        interval = Math.min(MAX_INTERVAL, 2 * interval);
        last = new Probe(steps, pooled, confined, pooledChosen, pooledChosen != was, false);
        return last;
    }

    /**
     * Lets the pool's loops use its threads again, for whatever runs after these steps (the plan's own choice is kept
     * and applied again at the next {@link #beforeStep}).
     */
    public void release() {
        pool.confine(false);
    }

    /** Whether the steps between probes now use the pool's threads (true before the first probe). */
    public boolean pooled() {
        return pooledChosen;
    }

    /** The last completed probe, or null before the first. */
    public Probe lastProbe() {
        return last;
    }

    private static double median(long[] times, int n) {
        long[] s = Arrays.copyOf(times, n);
        Arrays.sort(s);
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }
}
