package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A loop whose helper no worker can pick up still finishes on the calling thread alone. */
@Tag("kernels")
class ParallelReclaimTest {
    @Test
    void callerDoesNotWaitForABusyWorker() throws Exception {
        try (Parallel p = Parallel.ofThreads(2)) {
            CountDownLatch workerInside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // Another thread's loop parks the pool's only worker inside one of its chunks.
            Thread other = new Thread(() -> p.forChunks(2, c -> {
                try {
                    if (Thread.currentThread().getName().startsWith("gradscale-worker")) {
                        workerInside.countDown();
                        release.await();
                    } else {
                        workerInside.await(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            other.start();
            assertTrue(workerInside.await(10, TimeUnit.SECONDS), "the worker should have taken a chunk");
            AtomicInteger sum = new AtomicInteger();
            assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> p.forRange(1000, 10, (lo, hi) -> sum.addAndGet(hi - lo)),
                    "the caller must not wait for a helper that no worker has started");
            assertEquals(1000, sum.get());
            release.countDown();
            other.join(10_000);
            assertTrue(!other.isAlive(), "the parked loop should finish once released");
        }
    }
}
