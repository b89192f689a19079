package io.gradscale.bench;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Parallel;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A memory-bound reduction against the machine's read bandwidth, on 1 and 2 threads.
 *
 * <p>{@link #sumSquares} is {@link Engine#sumSquares} over {@link #N} floats (40 MB, more than the
 * L3): deterministic chunks, float lanes per block, blocks and chunks combined in double. It reads
 * {@code 4 N} bytes per call, so GB/s is {@code 4 N / time}.
 *
 * <p>{@link #readBandwidth} defines "the machine's bandwidth": the plainest possible read of
 * {@link #BANDWIDTH_N} floats (400 MB, far beyond every cache) with four independent vector
 * accumulators in float and no other work, cut into the same kind of fixed chunks. A reduction that
 * reaches it is limited by memory, not by its arithmetic.
 *
 * <p>Sample mode, read as the median call time, for the reason given on {@link GemmBench}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms3g", "-Xmx3g"})
@State(Scope.Benchmark)
public class ReductionBench {
    /** Elements summed by {@link #sumSquares}. */
    public static final int N = 10_000_000;
    /** Elements read by {@link #readBandwidth}: 400 MB. */
    public static final int BANDWIDTH_N = 100_000_000;
    /** Chunk of the bandwidth loop: large enough that scheduling a chunk costs nothing measurable. */
    private static final int BANDWIDTH_CHUNK = 1 << 20;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Param({"1", "2"})
    public int threads;

    private Engine engine;
    private Tensor x;
    private float[] big;

    @Setup(Level.Trial)
    public void setUp() {
        if (!Kernels.best().name().startsWith("vector")) {
            throw new IllegalStateException("ReductionBench needs the SIMD kernels (run java with --add-modules "
                    + "jdk.incubator.vector), got kernels '" + Kernels.best().name() + "'");
        }
        engine = Engine.withThreads(threads);
        x = Tensor.randn(new Rng(7), N);
        big = new float[BANDWIDTH_N];
        for (int i = 0; i < big.length; i++) {
            big[i] = (i & 1023) * 1e-3f;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.parallel().close();
    }

    @Benchmark
    public double sumSquares() {
        return engine.sumSquares(x);
    }

    @Benchmark
    public double readBandwidth() {
        Parallel par = engine.parallel();
        return par.sumRange(big.length, BANDWIDTH_CHUNK, (lo, hi) -> plainSum(big, lo, hi));
    }

    private static double plainSum(float[] a, int lo, int hi) {
        int l = SPECIES.length();
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int i = lo;
        for (; i + 4 * l <= hi; i += 4 * l) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
            s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + l));
            s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * l));
            s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * l));
        }
        double s = s0.add(s1).add(s2.add(s3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < hi; i++) {
            s += a[i];
        }
        return s;
    }
}
