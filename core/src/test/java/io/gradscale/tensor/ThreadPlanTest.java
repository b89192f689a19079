package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A thread plan keeps steps on whichever side its probes measured faster (ties to the pool), probes on its schedule,
 * confines nothing on a one-thread pool, and a confined pool runs every loop on the calling thread. Steps are timed
 * by a clock the test advances by a cost per side.
 */
@Tag("kernels")
class ThreadPlanTest {
    /** A clock that the "step" advances by the cost of the side the pool is on. */
    private static final class Steps {
        final Parallel pool;
        final ThreadPlan plan;
        long now;
        long compiled;
        long pooledCost;
        long confinedCost;
        final List<Boolean> confinedSteps = new ArrayList<>();
        final List<ThreadPlan.Probe> probes = new ArrayList<>();

        Steps(Parallel pool, long pooledCost, long confinedCost) {
            this.pool = pool;
            this.plan = new ThreadPlan(pool, () -> now, () -> compiled);
            this.pooledCost = pooledCost;
            this.confinedCost = confinedCost;
        }

        void run(int n) {
            for (int i = 0; i < n; i++) {
                plan.beforeStep();
                confinedSteps.add(pool.confined());
                now += pool.confined() ? confinedCost : pooledCost;
                ThreadPlan.Probe p = plan.afterStep();
                if (p != null) {
                    probes.add(p);
                }
            }
        }
    }

    @ParameterizedTest(name = "pooled {0} ns, one thread {1} ns: pooled {2}")
    @CsvSource({"100, 200, true", "200, 100, false", "100, 100, true", "3400, 3100, false", "3100, 3400, true",
                // within the switching margin (3 %) the steps stay on the pool
                "1000, 985, true", "1000, 971, true", "1000, 969, false"})
    void stepsStayOnTheSideMeasuredFaster(long pooled, long confined, boolean staysPooled) {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, pooled, confined);
            int probeEnd = ThreadPlan.WARMUP_STEPS + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK;
            s.run(probeEnd + 50);
            assertEquals(1, s.probes.size());
            ThreadPlan.Probe p = s.probes.get(0);
            assertEquals(probeEnd, p.step());
            assertEquals(pooled, p.pooledNanos(), 0.0);
            assertEquals(confined, p.confinedNanos(), 0.0);
            assertEquals(staysPooled, p.pooled());
            assertEquals(!staysPooled, p.changed());
            assertEquals(staysPooled, s.plan.pooled());
            for (int i = probeEnd; i < s.confinedSteps.size(); i++) {
                assertEquals(!staysPooled, s.confinedSteps.get(i), "step " + i + " after the probe");
            }
        }
    }

    @Test
    void aProbeAlternatesBlocksAfterTheWarmUp() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 100, 200);
            s.run(ThreadPlan.WARMUP_STEPS + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK);
            for (int i = 0; i < s.confinedSteps.size(); i++) {
                boolean expected = i >= ThreadPlan.WARMUP_STEPS && ((i - ThreadPlan.WARMUP_STEPS) / ThreadPlan.BLOCK) % 2 == 1;
                assertEquals(expected, s.confinedSteps.get(i), "step " + i);
            }
        }
    }

    @Test
    void probesComeAgainAtDoublingIntervalsUpToTheLongest() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 100, 200);
            int probe = 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK;
            s.run(60_000);
            long expectedEnd = ThreadPlan.WARMUP_STEPS + probe;
            long gap = ThreadPlan.FIRST_INTERVAL;
            for (ThreadPlan.Probe p : s.probes) {
                assertEquals(expectedEnd, p.step());
                expectedEnd += gap + probe;
                gap = Math.min(ThreadPlan.MAX_INTERVAL, 2 * gap);
            }
            assertTrue(s.probes.size() >= 8, "probes: " + s.probes.size());
        }
    }

    @Test
    void aProbeThroughWhichTheJitCompiledDecidesNothingAndComesAgainSoon() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 2_000_000, 1_000_000); // 1-2 ms steps: a probe of about 90 ms
            int probe = 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK;
            s.run(ThreadPlan.WARMUP_STEPS + probe / 2);
            s.compiled += 10; // 10 ms of compiling: more than 5 % of the probe
            s.run(probe / 2);
            assertEquals(1, s.probes.size());
            assertTrue(s.probes.get(0).compiling());
            assertFalse(s.probes.get(0).changed());
            assertTrue(s.plan.pooled(), "a disturbed probe keeps the choice");
            s.run(ThreadPlan.FIRST_INTERVAL + probe); // no compiling now: the next probe decides
            assertEquals(2, s.probes.size());
            assertFalse(s.probes.get(1).compiling());
            assertEquals(ThreadPlan.WARMUP_STEPS + probe + ThreadPlan.FIRST_INTERVAL + probe, s.probes.get(1).step());
            assertFalse(s.plan.pooled());
            s.run(2 * ThreadPlan.FIRST_INTERVAL + probe / 2);
            s.compiled += 1; // 1 ms in the middle of the third probe: under 5 % of it, the probe counts
            s.run(probe / 2);
            assertEquals(3, s.probes.size());
            assertFalse(s.probes.get(2).compiling());
        }
    }

    /**
     * Steps the plan moved to one thread go back to the pool at the next probe only when it became faster by more than
     * the margin: 2 % faster keeps them where they are, twice as fast moves them.
     */
    @ParameterizedTest(name = "pool now {0} ns against 100 on one thread: pooled {1}")
    @CsvSource({"98, false", "50, true"})
    void stepsOnOneThreadMoveBackToThePoolOnlyBeyondTheMargin(long pooledCostAfter, boolean movesBack) {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 200, 100);
            s.run(ThreadPlan.WARMUP_STEPS + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK);
            assertFalse(s.plan.pooled());
            s.pooledCost = pooledCostAfter; // the JIT, the load
            s.run(ThreadPlan.FIRST_INTERVAL + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK);
            assertEquals(2, s.probes.size());
            assertEquals(movesBack, s.probes.get(1).pooled());
            assertEquals(movesBack, s.probes.get(1).changed());
            assertEquals(movesBack, s.plan.pooled());
        }
    }

    @Test
    void theFirstStepOfEachBlockIsNotCounted() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 100, 300);
            ThreadPlan plan = s.plan;
            // Make the first step of every block on the pool very slow: counted, it would not change a median of 24,
            // so check instead that a side slow only in its first steps still wins.
            for (int i = 0; i < ThreadPlan.WARMUP_STEPS + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK; i++) {
                plan.beforeStep();
                boolean first = i >= ThreadPlan.WARMUP_STEPS && (i - ThreadPlan.WARMUP_STEPS) % ThreadPlan.BLOCK == 0;
                s.now += pool.confined() ? 300 : first ? 1_000_000 : 100;
                ThreadPlan.Probe p = plan.afterStep();
                if (p != null) {
                    assertEquals(100, p.pooledNanos(), 0.0);
                }
            }
            assertNotNull(plan.lastProbe());
        }
    }

    @Test
    void releasingLeavesThePoolFreeAndTheChoiceStands() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Steps s = new Steps(pool, 200, 100);
            s.run(ThreadPlan.WARMUP_STEPS + 2 * ThreadPlan.TURNS * ThreadPlan.BLOCK + 5);
            assertTrue(pool.confined());
            s.plan.release();
            assertFalse(pool.confined());
            assertFalse(s.plan.pooled());
            s.run(1);
            assertTrue(s.confinedSteps.get(s.confinedSteps.size() - 1), "the next step is confined again");
        }
    }

    @Test
    void aOneThreadPoolIsNeverConfinedOrProbed() {
        Steps s = new Steps(Parallel.serial(), 200, 100);
        s.run(500);
        assertTrue(s.probes.isEmpty());
        assertNull(s.plan.lastProbe());
        assertFalse(Parallel.serial().confined());
        assertTrue(s.confinedSteps.stream().noneMatch(c -> c));
    }

    @Test
    void aConfinedPoolRunsEveryLoopOnTheCallingThread() {
        try (Parallel pool = Parallel.ofThreads(2)) {
            Thread caller = Thread.currentThread();
            pool.confine(true);
            assertEquals(1, pool.activeThreads());
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            for (int loop = 0; loop < 50; loop++) {
                pool.forChunks(64, c -> ran.add(Thread.currentThread()));
                pool.forRange(64 * 1024, 1024, (lo, hi) -> ran.add(Thread.currentThread()));
                pool.forOwnedRange(4 * 1024, 1024, (lo, hi) -> ran.add(Thread.currentThread()));
            }
            assertEquals(Set.of(caller), ran);
            pool.confine(false);
            assertEquals(2, pool.activeThreads());
        }
    }
}
