package io.gradscale.tensor;

/**
 * A small, fast, seeded random generator whose whole state is one {@code long}, so that it can be
 * checkpointed and resumed exactly.
 *
 * <p>The sequence is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): {@code state += 0x9E3779B97F4A7C15} and a 64-bit finalizer. It passes
 * BigCrush and is what {@link java.util.SplittableRandom} uses, but unlike the JDK classes its
 * Gaussian method is fixed here (Box-Muller), so the same seed gives the same numbers on every JDK.
 *
 * <p>Not thread-safe: pass one generator to one consumer, or {@link #split()} it.
 */
public final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** {@code GOLDEN^-1 mod 2^64} (GOLDEN is odd): turns a difference of states into a count of draws. */
    private static final long GOLDEN_INVERSE = inverse(GOLDEN);
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    /** The full state; {@code new Rng(0).setState(s)} continues exactly where this one is. */
    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }

    /**
     * Moves the generator {@code draws} calls of {@link #nextLong} ahead in O(1): each call adds one constant to the
     * state, so the state after {@code d} calls is {@code state + d * 0x9E3779B97F4A7C15} (mod 2^64). A worker that
     * knows where in a stream its share begins draws exactly what one machine drawing the whole stream draws there.
     */
    public void skip(long draws) {
        state += draws * GOLDEN;
    }

    /**
     * The calls of {@link #nextLong} that lead from state {@code from} to state {@code to} (the inverse of
     * {@link #skip}; exact for any count below 2^64, whatever the methods that made them).
     */
    public static long drawsBetween(long from, long to) {
        return (to - from) * GOLDEN_INVERSE;
    }

    /** The inverse of an odd {@code a} modulo 2^64, by Newton's iteration (each step doubles the correct low bits). */
    private static long inverse(long a) {
        long x = a; // correct to 3 bits: a * a = 1 mod 8 for odd a
        for (int i = 0; i < 5; i++) {
            x *= 2 - a * x;
        }
        return x;
    }

    public long nextLong() {
        long z = (state += GOLDEN);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An independent generator seeded from this one's next output. */
    public Rng split() {
        return new Rng(nextLong());
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform integer in [0, bound), without modulo bias (Lemire's method). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Standard normal by the Box-Muller transform (one value per call). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // in (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fisher-Yates shuffle of {@code a} in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
