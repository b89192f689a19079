package io.gradscale.tensor;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Deterministic parallel loops over chunks whose boundaries never depend on the thread count.
 *
 * <p>A loop over {@code [0, n)} is cut into chunks of a size the caller picks from the problem
 * alone. Threads take chunks from a shared counter; whichever thread runs a chunk, it computes the
 * same values, and reductions write one partial per chunk which are then combined in chunk order.
 * So the same inputs give the same bits on one thread or on many.
 *
 * <p>Workers block on a queue while idle: there is no spin-waiting, which matters on a machine whose
 * second core is shared (a spinning pool turns every parallel region into milliseconds of contention).
 * The calling thread always takes part, so a pool of {@code n} threads starts {@code n - 1} workers,
 * and when it has run out of chunks it takes back the helper tasks no worker has started: a worker
 * whose core is busy never delays a loop the caller could finish alone.
 * Close the pool to stop them; they are daemon threads, so an unclosed pool does not keep the JVM alive.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a loop over one chunk {@code [lo, hi)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    /** Body of a reduction over one chunk {@code [lo, hi)}, returning that chunk's partial result. */
    @FunctionalInterface
    public interface RangeReducer {
        double reduce(int lo, int hi);
    }

    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final BlockingQueue<Runnable> queue;
    private final Thread[] workers;
    private volatile boolean closed;
    /** Tasks offered to the queue so far: a spinning worker watches it without taking the queue's lock. */
    private final AtomicLong offeredTasks = new AtomicLong();
    /** True on threads already running a chunk of this pool: nested loops then run serially (no deadlock). */
    private final ThreadLocal<Boolean> insideRegion = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.queue = threads > 1 ? new ArrayBlockingQueue<>(1024) : null;
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workLoop, "gradscale-worker-" + i);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Runs everything on the calling thread. Shared, stateless and never closed. */
    public static Parallel serial() {
        return SERIAL;
    }

    /** A pool using {@code threads} threads in all (the caller and {@code threads - 1} workers). */
    public static Parallel ofThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return threads == 1 ? SERIAL : new Parallel(threads);
    }

    public int threads() {
        return threads;
    }

    /**
     * How long a worker that has run out of work keeps polling before it parks. Waking a parked thread takes
     * tens of microseconds (more on a busy machine), by which time the caller has drained most of a
     * sub-millisecond loop alone; a training step's parallel loops come in bursts (the products of a
     * backward pass, one after another), and a worker still spinning from the last one takes its share of
     * the next at once. Outside the bursts it parks, so an idle pool costs no CPU. Timing only, never bits.
     */
    static final long SPIN_NANOS = 200_000;

    private void workLoop() {
        insideRegion.set(Boolean.TRUE);
        try {
            while (!closed) {
                Runnable r = queue.poll();
                if (r == null) {
                    r = spinForWork();
                }
                (r != null ? r : queue.take()).run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Polls the queue for up to {@link #SPIN_NANOS}; null when nothing came. */
    private Runnable spinForWork() {
        long seen = offeredTasks.get();
        long until = System.nanoTime() + SPIN_NANOS;
        do {
            Thread.onSpinWait();
            if (offeredTasks.get() != seen) {
                Runnable r = queue.poll();
                if (r != null) {
                    return r;
                }
                seen = offeredTasks.get();
            }
        } while (System.nanoTime() < until && !closed);
        return null;
    }

    /**
     * Loops of fewer chunks than this run on the calling thread. Waking a worker costs tens of
     * microseconds, about what a chunk of element-wise work takes; a training step over many small
     * tensors (a deep MLP's 65k-element layers are 2 chunks each) measured slower on two threads than on
     * one before this bound. The chunks are the same either way, so this changes timing, never bits.
     */
    static final int MIN_PARALLEL_CHUNKS = 8;

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks of {@code chunk} elements (the last may be
     * shorter). Chunks may run concurrently and in any order; fewer than {@link #MIN_PARALLEL_CHUNKS}
     * run on the calling thread.
     */
    public void forRange(int n, int chunk, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (chunk <= 0) {
            throw new IllegalArgumentException("chunk must be positive, got " + chunk);
        }
        int chunks = (int) ((n + (long) chunk - 1) / chunk);
        if (threads == 1 || chunks < MIN_PARALLEL_CHUNKS || insideRegion.get()) {
            for (int c = 0; c < chunks; c++) {
                int lo = c * chunk;
                body.run(lo, Math.min(n, lo + chunk));
            }
            return;
        }
        forChunks(chunks, c -> {
            int lo = c * chunk;
            body.run(lo, (int) Math.min(n, (long) lo + chunk));
        });
    }

    /**
     * Sums {@code reducer} over the chunks of {@code [0, n)}, combining chunk partials in chunk order,
     * so the result does not depend on the thread count.
     */
    public double sumRange(int n, int chunk, RangeReducer reducer) {
        if (n <= 0) {
            return 0.0;
        }
        int chunks = (int) ((n + (long) chunk - 1) / chunk);
        double[] partial = new double[chunks];
        forRange(n, chunk, (lo, hi) -> partial[lo / chunk] = reducer.reduce(lo, hi));
        double s = 0.0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }

    /** Runs {@code task.accept(c)} for every chunk index {@code c} in {@code [0, chunks)}. */
    public void forChunks(int chunks, java.util.function.IntConsumer task) {
        if (threads == 1 || chunks <= 1 || insideRegion.get()) {
            for (int c = 0; c < chunks; c++) {
                task.accept(c);
            }
            return;
        }
        if (closed) {
            throw new IllegalStateException("this thread pool is closed");
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int helpers = Math.min(threads - 1, chunks - 1);
        CountDownLatch done = new CountDownLatch(helpers);
        Runnable drain = () -> {
            int c;
            while (failure.get() == null && (c = next.getAndIncrement()) < chunks) {
                try {
                    task.accept(c);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        };
        Runnable[] offered = new Runnable[helpers];
        for (int h = 0; h < helpers; h++) {
            Runnable helper = () -> {
                try {
                    drain.run();
                } finally {
                    done.countDown();
                }
            };
            if (queue.offer(helper)) {
                offeredTasks.incrementAndGet();
                offered[h] = helper;
            } else {
                done.countDown(); // queue full (nested use): the caller does the work itself
            }
        }
        insideRegion.set(Boolean.TRUE);
        try {
            drain.run();
        } finally {
            insideRegion.set(Boolean.FALSE);
        }
        // A helper that no worker has picked up yet (its core busy elsewhere) has nothing left to do:
        // take it back rather than wait until the scheduler gets round to running it.
        for (Runnable helper : offered) {
            if (helper != null && queue.remove(helper)) {
                done.countDown();
            }
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for parallel workers", e);
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (this == SERIAL || closed) {
            return;
        }
        closed = true;
        for (Thread w : workers) {
            queue.offer(() -> { });
        }
        for (Thread w : workers) {
            w.interrupt();
        }
    }
}
