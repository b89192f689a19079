package io.gradscale.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pool of float buffers for the temporaries of training steps: every op's output and every gradient buffer of a
 * step is leased from here instead of allocated, and goes back to the pool, to be leased again, when nothing can
 * read it any more. Training then allocates (almost) nothing per step once the pool holds what one step needs.
 *
 * <p>Lifetimes (the contract; {@code docs/ARCHITECTURE.md}, "Buffers of a step"):
 * <ul>
 *   <li>A <em>step</em> begins with {@link #beginStep()} (a tape recorded on the arena calls it). Beginning a step
 *       returns everything leased in the previous one: values and gradients of the previous step's tape are dead.</li>
 *   <li>A buffer leased while the arena is not {@linkplain #enterRelease() releasing} (the forward pass, anything
 *       outside a backward rule) is <em>pinned</em>: it lives until the next step begins, whatever its holds.</li>
 *   <li>A buffer leased while releasing (inside the backward pass) is counted: {@link #hold} and {@link #drop} count
 *       its holders (a var's gradient, a collector that keeps it for the end of the pass), and it returns to the pool
 *       when its last holder drops it, or, never held, when {@link #releaseUnheldSince} is called after the rule that
 *       made it (a temporary). It is then leased again in the same step.</li>
 * </ul>
 * Buffers are pooled by exact length (a step asks for the same lengths every time); a length no step asked for in
 * {@link #RETIRE_AFTER_STEPS} steps is dropped, so a last short batch costs its buffers once, not forever.
 *
 * <p>Debug mode ({@link #DEBUG_PROPERTY}, read once when the arena is made, or the constructor's flag) fills every
 * returned buffer with NaN and counts each buffer's returns (its generation): a reader that remembered the
 * generation at which it took a buffer ({@link #generation}) can {@link #checkLive check} it before reading, and a
 * read after release then fails with an {@link IllegalStateException} instead of reading another step's numbers.
 *
 * <p>One arena serves one thread: the ops of a tape lease on the thread that records and backpropagates it (the
 * engine's worker threads only write into buffers leased before). Pooling recycles memory, never values: a leased
 * buffer is zero-filled, as a new array, so results are the same bits with or without an arena.
 */
public final class BufferArena {
    /** The system property that turns the debug mode on ({@code true}); read once by {@link #BufferArena()}. */
    public static final String DEBUG_PROPERTY = "gradscale.arena.debug";
    /** A buffer length unused for this many steps leaves the pool. */
    static final int RETIRE_AFTER_STEPS = 2;

    /** One leased buffer of the current step. */
    private static final class Lease {
        final boolean pinned;
        int holds;

        Lease(boolean pinned) {
            this.pinned = pinned;
        }
    }

    /**
     * The lease of every pinned buffer (a forward value): pinned leases are never held, dropped or counted, so one
     * shared instance stands for all of them and a forward op's lease allocates nothing.
     */
    private static final Lease PINNED = new Lease(true);

    /** Free buffers of one length, and the last step that leased one. */
    private static final class SizeClass {
        final ArrayDeque<float[]> free = new ArrayDeque<>();
        long lastUsed;
    }

    private final boolean debug;
    private final Map<Integer, SizeClass> pool = new HashMap<>();
    private final IdentityHashMap<float[], Lease> lent = new IdentityHashMap<>();
    /** This step's releasable leases in the order they were made, for {@link #releaseUnheldSince}. */
    private final List<float[]> recent = new ArrayList<>();
    /** Debug mode: each pooled buffer's number of returns. */
    private final IdentityHashMap<float[], int[]> generations;
    private long step;
    private int releasing;
    private long leasedBytes;
    private long allocatedBytes;

    /** An arena whose debug mode is the system property {@link #DEBUG_PROPERTY}. */
    public BufferArena() {
        this(Boolean.getBoolean(DEBUG_PROPERTY));
    }

    public BufferArena(boolean debug) {
        this.debug = debug;
        this.generations = debug ? new IdentityHashMap<>() : null;
    }

    /** True when returned buffers are poisoned and reads are checked. */
    public boolean debug() {
        return debug;
    }

    /** Returns every buffer of the previous step to the pool and retires lengths unused for a while. */
    public void beginStep() {
        if (releasing != 0) {
            throw new IllegalStateException("a step began on this arena inside another step's backward pass");
        }
        for (float[] b : lent.keySet()) {
            giveBack(b);
        }
        lent.clear();
        recent.clear();
        step++;
        pool.values().removeIf(c -> {
            boolean retire = step - c.lastUsed > RETIRE_AFTER_STEPS;
            if (retire && debug) {
                c.free.forEach(generations::remove); // a stale reader of a retired buffer then fails its check too
            }
            return retire;
        });
    }

    /** A zero-filled buffer of {@code n} floats, leased for the current step. */
    public float[] take(int n) {
        return take(n, Parallel.serial());
    }

    /**
     * {@link #take(int)}, a reused buffer zero-filled in {@code zeroing}'s chunks of {@link Engine#CHUNK}: each thread
     * clears the share it owns, the part of the buffer it wrote when it last held it (two-thread RNN profile: the
     * caller's fill of buffers the other core had written cost 4.6 times its one-thread time, 0.8 ms of a 3.4 ms step).
     */
    public float[] take(int n, Parallel zeroing) {
        return lease(n, zeroing);
    }

    /**
     * A buffer of {@code n} floats leased as {@link #take(int)} leases it, but not zero-filled when it is reused: for a
     * result its op writes whole before anything reads it (a product with {@code beta = 0}, an element-wise op), where
     * the fill was a pass over memory for nothing (in a two-thread profile it cost twice its one-thread time, the
     * buffer's lines last written by the other core). Its contents are whatever the pool held: a step's earlier
     * values, or NaN in debug mode, so an op that leaves an element unwritten shows in the tests as NaN.
     */
    public float[] takeUnfilled(int n) {
        return lease(n, null);
    }

    /** A leased buffer, zero-filled on {@code zeroing} when reused, or left as it is when {@code zeroing} is null. */
    private float[] lease(int n, Parallel zeroing) {
        SizeClass c = sizeClass(n);
        c.lastUsed = step;
        float[] b = c.free.pollLast();
        if (b == null) {
            b = new float[n];
            allocatedBytes += 4L * n;
            if (debug) {
                generations.put(b, new int[1]);
            }
        } else if (zeroing != null) {
            float[] z = b;
            zeroing.forRange(n, Engine.CHUNK, (lo, hi) -> Arrays.fill(z, lo, hi, 0f));
        }
        leasedBytes += 4L * n;
        boolean pinned = releasing == 0;
        lent.put(b, pinned ? PINNED : new Lease(false));
        if (!pinned) {
            recent.add(b);
        }
        return b;
    }

    /** A zero tensor of the given shape on a leased buffer. */
    public Tensor zeros(Shape shape) {
        return zeros(shape, Parallel.serial());
    }

    /** {@link #zeros(Shape)} zero-filled on {@code zeroing} as {@link #take(int, Parallel)} does. */
    public Tensor zeros(Shape shape, Parallel zeroing) {
        return Tensor.wrap(take(shape.size(), zeroing), shape);
    }

    /** Marks the start of a backward pass: buffers leased from now on are counted and returned early. */
    public void enterRelease() {
        releasing++;
    }

    /** Ends what {@link #enterRelease()} began. */
    public void exitRelease() {
        if (releasing == 0) {
            throw new IllegalStateException("exitRelease without enterRelease");
        }
        releasing--;
    }

    /** One more holder of {@code b}; no effect on a buffer this step did not lease or on a pinned one. */
    public void hold(float[] b) {
        Lease l = lent.get(b);
        if (l != null && !l.pinned) {
            l.holds++;
        }
    }

    /** One holder less of {@code b}; at none, a counted buffer returns to the pool. */
    public void drop(float[] b) {
        Lease l = lent.get(b);
        if (l == null && debug && generations.containsKey(b)) {
            throw new IllegalStateException("a buffer of " + b.length + " floats was dropped after it was returned to the arena:"
                    + " a holder let it go twice, or held it after it was returned");
        }
        if (l == null || l.pinned) {
            return;
        }
        if (l.holds <= 0) {
            throw new IllegalStateException("a buffer of " + b.length + " floats was dropped more often than held");
        }
        if (--l.holds == 0) {
            lent.remove(b);
            giveBack(b);
        }
    }

    /** A position in the order of counted leases, for {@link #releaseUnheldSince}. */
    public int mark() {
        return recent.size();
    }

    /**
     * Returns the counted buffers leased since {@code mark} that nothing holds: the temporaries of the rule that ran
     * since. Whatever a var or a collector holds stays.
     */
    public void releaseUnheldSince(int mark) {
        int keep = mark;
        for (int i = mark; i < recent.size(); i++) {
            float[] b = recent.get(i);
            Lease l = lent.get(b);
            if (l == null) {
                continue; // returned already (dropped by its last holder)
            }
            if (l.holds == 0) {
                lent.remove(b);
                giveBack(b);
            } else {
                recent.set(keep++, b);
            }
        }
        recent.subList(keep, recent.size()).clear();
    }

    /** The number of times {@code b} went back to the pool (debug mode), or -1 for a buffer the arena never leased. */
    public int generation(float[] b) {
        if (!debug) {
            return -1;
        }
        int[] g = generations.get(b);
        return g == null ? -1 : g[0];
    }

    /**
     * Debug mode: fails when {@code b} went back to the pool since its reader saw {@code generation}; {@code what}
     * names the reader in the message. No effect outside debug mode or for a generation of -1.
     */
    public void checkLive(float[] b, int generation, String what) {
        if (!debug || generation < 0) {
            return;
        }
        int now = generation(b);
        if (now != generation) {
            throw new IllegalStateException("read after release: " + what + " (" + b.length + " floats) was returned to the"
                    + " buffer arena " + (now - generation) + " time(s) since it was taken; a buffer of a step lives until the"
                    + " next step begins on the arena (values) or until its last holder drops it (gradients)");
        }
    }

    /** Bytes leased since this arena was made (what the steps would have allocated without it). */
    public long leasedBytes() {
        return leasedBytes;
    }

    /** Bytes of new buffers this arena allocated since it was made. */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** Bytes of the buffers this arena keeps now, leased or free. */
    public long pooledBytes() {
        long n = 0;
        for (SizeClass c : pool.values()) {
            for (float[] b : c.free) {
                n += 4L * b.length;
            }
        }
        for (float[] b : lent.keySet()) {
            n += 4L * b.length;
        }
        return n;
    }

    /** The size class of length {@code n}, made on first use (a step's lengths are all known after its first step). */
    private SizeClass sizeClass(int n) {
        SizeClass c = pool.get(n);
        if (c == null) {
            c = new SizeClass();
            pool.put(n, c);
        }
        return c;
    }

    private void giveBack(float[] b) {
        if (debug) {
            Arrays.fill(b, Float.NaN);
            generations.get(b)[0]++;
        }
        SizeClass c = sizeClass(b.length);
        c.free.addLast(b);
    }
}
