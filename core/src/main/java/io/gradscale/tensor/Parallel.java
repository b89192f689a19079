package io.gradscale.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Deterministic parallel loops over chunks whose boundaries never depend on the thread count.
 *
 * <p>A loop over {@code [0, n)} is cut into chunks of a size the caller picks from the problem
 * alone. Threads take chunks from a shared counter; whichever thread runs a chunk, it computes the
 * same values, and reductions write one partial per chunk which are then combined in chunk order.
 * So the same inputs give the same bits on one thread or on many.
 *
 * <p>Fork and join, built for loops of tens of microseconds on a virtual machine where waking a parked
 * thread takes 25-50 us (a park/unpark round trip measured 55 us here, a cache line handed between the two
 * cores 0.3 us): a loop is published in one volatile slot, which a worker still spinning from the last loop
 * sees at once; a worker that has parked is woken, and the calling thread starts on the chunks without
 * waiting for it. The caller always takes part, so a pool of {@code n} threads starts {@code n - 1} workers;
 * a worker that comes late finds no chunk left and the caller does not wait for it. Once the chunks are
 * taken, the caller waits only for chunks still running on a worker, spinning first (a chunk is short) and
 * parking only if one runs long. Workers spin for {@link #SPIN_NANOS} after a loop and then park, so an idle
 * pool costs no CPU. Close the pool to stop them; they are daemon threads, so an unclosed pool does not keep
 * the JVM alive.
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
    private final Worker[] workers;
    private volatile boolean closed;
    /** While true, every loop runs on the calling thread ({@link #confine}). */
    private volatile boolean confined;
    /** The loop workers should help with, or null; replaced by each new loop (a late worker finds it done). */
    private volatile Job current;
    private final AtomicLong jobs = new AtomicLong();
    /** True on threads already running a chunk of this pool: nested loops then run serially (no deadlock). */
    private final ThreadLocal<Boolean> insideRegion = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /**
     * One published loop. Participant {@code p} (0 the caller, {@code w + 1} worker {@code w}) owns the chunks
     * {@code [p * chunks / parts, (p + 1) * chunks / parts)}: it runs those first, from its own counter, then
     * takes what is left of the others' (a late or busy thread's share is done by whoever is free). Owning the
     * same part of every loop keeps data on one core from step to step: a weight gradient's rows computed by a
     * thread are the rows that thread then updates (on this VM a pass over data the other core just wrote cost
     * 3-4 times as much as over its own in a two-thread profile).
     */
    private static final class Job {
        /** Ints between two participants' counters: each on its own cache line. */
        private static final int PAD = 16;
        final long id;
        final int chunks;
        final int parts;
        final IntConsumer task;
        final AtomicIntegerArray next;
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;
        /** The caller, once it has parked waiting for the last chunks. */
        volatile Thread waiter;

        Job(long id, int chunks, int parts, IntConsumer task) {
            this.id = id;
            this.chunks = chunks;
            this.parts = parts;
            this.task = task;
            this.next = new AtomicIntegerArray(parts * PAD);
            for (int p = 1; p < parts; p++) {
                next.set(p * PAD, start(p));
            }
        }

        private int start(int p) {
            return (int) ((long) p * chunks / parts);
        }

        /**
         * Runs participant {@code p}'s chunks, then any left in the others' shares; after a failure the rest are
         * counted, not run. Adds what it ran to {@code done} once, at the end.
         */
        void drain(int p) {
            int ran = 0;
            for (int k = 0; k < parts; k++) {
                int q = (p + k) % parts;
                int end = start(q + 1);
                int c;
                while ((c = next.getAndIncrement(q * PAD)) < end) {
                    ran++;
                    try {
                        if (failure == null) {
                            task.accept(c);
                        }
                    } catch (Throwable t) {
                        if (failure == null) {
                            failure = t;
                        }
                    }
                }
            }
            if (ran > 0 && done.addAndGet(ran) == chunks) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }

    /** A worker thread and whether it is parked (then a new loop must wake it). */
    private static final class Worker {
        final Thread thread;
        volatile boolean parked;

        Worker(Thread thread) {
            this.thread = thread;
        }
    }

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Worker[] self = new Worker[1];
            int participant = i + 1;
            Thread t = new Thread(() -> workLoop(self[0], participant), "gradscale-worker-" + i);
            t.setDaemon(true);
            self[0] = new Worker(t);
            workers[i] = self[0];
        }
        for (Worker w : workers) {
            w.thread.start();
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

    /** The threads this pool was made with, confined or not. */
    public int threads() {
        return threads;
    }

    /**
     * The threads a loop started now would use: {@link #threads()}, or 1 while {@link #confine confined}. Code that
     * picks a way of cutting its work for one thread or for several asks this.
     */
    public int activeThreads() {
        return confined ? 1 : threads;
    }

    /**
     * Holds every loop of this pool to the calling thread ({@code true}) or lets them use the workers again
     * ({@code false}). The chunks and their order of combination are the same either way, so this changes timing
     * only, never bits: a {@link ThreadPlan} confines the pool for the steps it has measured faster on one thread.
     * Call it between loops, from the thread that starts them; confined workers spin out and park. A pool of one
     * thread (the shared {@link #serial()} one) has nothing to confine and ignores it.
     */
    public void confine(boolean confine) {
        if (threads > 1) {
            this.confined = confine;
        }
    }

    /** Whether loops are held to the calling thread ({@link #confine}). */
    public boolean confined() {
        return confined;
    }

    /**
     * How long a worker that has run out of work keeps spinning before it parks. Waking a parked thread takes
     * tens of microseconds (more on a busy machine), by which time the caller has drained most of a
     * sub-millisecond loop alone; a training step's parallel loops come in bursts (the products of a
     * backward pass, one after another), and a worker still spinning from the last one takes its share of
     * the next at once. Outside the bursts it parks, so an idle pool costs no CPU. Timing only, never bits.
     */
    static final long SPIN_NANOS = 200_000;
    /**
     * How long a caller that has taken the last chunk spins for the chunks still running on workers before
     * it parks. A chunk is a few to a few hundred microseconds, and parking would add a wake-up (25-50 us
     * here) to every loop: the join cost that made two threads slower than one (issue 16). Timing only.
     */
    static final long JOIN_SPIN_NANOS = 200_000;
    /** Spins between two reads of the clock ({@code System.nanoTime} costs about 30 ns on this machine). */
    private static final int SPINS_PER_CLOCK_READ = 64;

    private void workLoop(Worker self, int participant) {
        insideRegion.set(Boolean.TRUE);
        long last = 0;
        while (!closed) {
            Job j = awaitJob(self, last);
            if (j != null) {
                last = j.id;
                j.drain(participant % j.parts);
            }
        }
    }

    /** The next loop after the one numbered {@code last}: spins for it, then parks; null once closed. */
    private Job awaitJob(Worker self, long last) {
        long until = System.nanoTime() + SPIN_NANOS;
        for (int spins = 1; ; spins++) {
            Job j = current;
            if (j != null && j.id != last) {
                return j;
            }
            if (closed) {
                return null;
            }
            if (spins % SPINS_PER_CLOCK_READ == 0 && System.nanoTime() > until) {
                break;
            }
            Thread.onSpinWait();
        }
        while (true) {
            // Parked is set before the slot is read again, and a caller writes the slot before it reads parked:
            // either this worker sees the new loop or its caller sees it parked and wakes it.
            self.parked = true;
            Job j = current;
            if (j != null && j.id != last) {
                self.parked = false;
                return j;
            }
            if (closed) {
                self.parked = false;
                return null;
            }
            LockSupport.park(this);
        }
    }

    /**
     * Loops of fewer chunks than this run on the calling thread. Waking a worker costs tens of
     * microseconds, about what a chunk of element-wise work takes; a training step over many small
     * tensors (a deep MLP's 65k-element layers are 2 chunks each) measured slower on two threads than on
     * one before this bound. The chunks are the same either way, so this changes timing, never bits.
     */
    static final int MIN_PARALLEL_CHUNKS = 8;

    /**
     * Loops over data written by this pool's threads in the shares they own ({@link Job}) split from this many
     * chunks: a pass over a weight gradient whose rows a parallel product computed, then over the weights those
     * threads' products read. Each thread then takes back the chunks it wrote, from its own cache, where on the
     * calling thread alone half of them come from the other core's (3-4 times the cost here).
     */
    public static final int MIN_OWNED_CHUNKS = 2;

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks of {@code chunk} elements (the last may be
     * shorter). Chunks may run concurrently and in any order; fewer than {@link #MIN_PARALLEL_CHUNKS}
     * run on the calling thread.
     */
    public void forRange(int n, int chunk, RangeBody body) {
        forRange(n, chunk, MIN_PARALLEL_CHUNKS, body);
    }

    /**
     * {@link #forRange} for a pass over data that the pool's threads wrote in the shares they own: split from
     * {@link #MIN_OWNED_CHUNKS} chunks instead of {@link #MIN_PARALLEL_CHUNKS}, so that chunk {@code c} of
     * {@code chunks} goes first to the thread owning that share of every loop. Timing only, never bits.
     */
    public void forOwnedRange(int n, int chunk, RangeBody body) {
        forRange(n, chunk, MIN_OWNED_CHUNKS, body);
    }

    private void forRange(int n, int chunk, int minChunks, RangeBody body) {
        if (n <= 0) {
            return;
        }
        if (chunk <= 0) {
            throw new IllegalArgumentException("chunk must be positive, got " + chunk);
        }
        int chunks = (int) ((n + (long) chunk - 1) / chunk);
        if (threads == 1 || confined || chunks < minChunks || insideRegion.get()) {
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
    public void forChunks(int chunks, IntConsumer task) {
        if (threads == 1 || confined || chunks <= 1 || insideRegion.get()) {
            for (int c = 0; c < chunks; c++) {
                task.accept(c);
            }
            return;
        }
        if (closed) {
            throw new IllegalStateException("this thread pool is closed");
        }
        Job job = new Job(jobs.incrementAndGet(), chunks, Math.min(threads, chunks), task);
        current = job;
        for (Worker w : workers) {
            if (w.parked) {
                w.parked = false;
                LockSupport.unpark(w.thread);
            }
        }
        insideRegion.set(Boolean.TRUE);
        try {
            job.drain(0);
        } finally {
            insideRegion.set(Boolean.FALSE);
        }
        awaitDone(job);
        if (current == job) {
            current = null; // drops the loop's captured arrays; a racing newer loop is simply republished by its caller
        }
        Throwable t = job.failure;
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

    /**
     * Waits until every chunk of {@code job} has finished (workers may still be running the last ones): spins
     * for {@link #JOIN_SPIN_NANOS}, then parks until the worker finishing the last chunk wakes it. It cannot
     * give up early, as a worker may still be writing into the caller's arrays; an interrupt is kept for later.
     */
    private static void awaitDone(Job job) {
        if (job.done.get() == job.chunks) {
            return;
        }
        long until = System.nanoTime() + JOIN_SPIN_NANOS;
        for (int spins = 1; job.done.get() != job.chunks; spins++) {
            if (spins % SPINS_PER_CLOCK_READ == 0 && System.nanoTime() > until) {
                boolean interrupted = false;
                job.waiter = Thread.currentThread();
                while (job.done.get() != job.chunks) {
                    LockSupport.park(job);
                    interrupted |= Thread.interrupted();
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        if (this == SERIAL || closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }
}
