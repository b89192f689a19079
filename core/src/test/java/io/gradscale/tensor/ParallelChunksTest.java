package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every chunk of a loop runs exactly once whatever the pool size, the chunk count and which thread comes late
 * (each thread owns a share of the chunks and takes what is left of the others'), and a chunk's failure reaches
 * the caller after all chunks are accounted for.
 */
@Tag("kernels")
class ParallelChunksTest {
    @ParameterizedTest(name = "{0} threads, {1} chunks")
    @CsvSource({"2, 2", "2, 3", "2, 8", "2, 1000", "3, 2", "3, 7", "4, 64", "4, 3"})
    void everyChunkRunsExactlyOnce(int threads, int chunks) {
        try (Parallel p = Parallel.ofThreads(threads)) {
            for (int loop = 0; loop < 200; loop++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
                p.forChunks(chunks, runs::incrementAndGet);
                for (int c = 0; c < chunks; c++) {
                    assertEquals(1, runs.get(c), "chunk " + c + " of loop " + loop);
                }
            }
        }
    }

    /**
     * {@link Parallel#forOwnedRange} splits from two chunks (where {@code forRange} keeps fewer than eight on the
     * caller) and still visits every element exactly once, the last chunk short.
     */
    @ParameterizedTest(name = "{0} threads, {1} elements in chunks of {2}")
    @CsvSource({"1, 100, 64", "2, 64, 64", "2, 65, 64", "2, 128, 64", "2, 16384, 4096", "3, 70001, 32768", "4, 300, 7"})
    void anOwnedRangeVisitsEveryElementOnce(int threads, int n, int chunk) {
        try (Parallel p = Parallel.ofThreads(threads)) {
            for (int loop = 0; loop < 100; loop++) {
                AtomicIntegerArray visits = new AtomicIntegerArray(n);
                p.forOwnedRange(n, chunk, (lo, hi) -> {
                    assertEquals(0, lo % chunk, "a chunk starts on a chunk boundary");
                    assertEquals(Math.min(n, lo + chunk), hi, "a chunk is whole");
                    for (int i = lo; i < hi; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, visits.get(i), "element " + i + " of loop " + loop);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} threads, chunk {1} of 16 fails")
    @CsvSource({"2, 0", "2, 15", "3, 8"})
    void aFailingChunkIsRethrownToTheCaller(int threads, int failing) {
        IllegalArgumentException boom = new IllegalArgumentException("chunk " + failing);
        try (Parallel p = Parallel.ofThreads(threads)) {
            for (int loop = 0; loop < 50; loop++) {
                RuntimeException thrown = assertThrows(RuntimeException.class, () -> p.forChunks(16, c -> {
                    if (c == failing) {
                        throw boom;
                    }
                }));
                assertSame(boom, thrown);
            }
            // The pool still works after a failure.
            AtomicIntegerArray runs = new AtomicIntegerArray(16);
            p.forChunks(16, runs::incrementAndGet);
            for (int c = 0; c < 16; c++) {
                assertEquals(1, runs.get(c));
            }
        }
    }
}
