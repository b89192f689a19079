package io.gradscale.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's peak float multiply-add rate on one core, the yardstick of the GEMM and of the compute-bound
 * step workloads: {@link #ROUNDS} rounds of {@code a_k = a_k * x + y} on 12 independent vector accumulators
 * held in registers (enough to cover the FMA latency on both pipes), no memory traffic.
 *
 * <p>Each call does {@code 2 * 12 * lanes * ROUNDS} flops, so GFLOPS = that / median call time. The
 * micro-kernel of {@code VectorGemm} keeps 12 accumulators too, so this is also its ceiling.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar PeakBench</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class PeakBench {
    /** FMA rounds per call. */
    public static final int ROUNDS = 100_000;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The multiplier's lanes, then the addend's: loaded from an array in the method, since vectors kept in fields stay boxed. */
    private float[] xy;

    @Setup
    public void setup() {
        xy = new float[2 * S.length()];
        java.util.Arrays.fill(xy, 0, S.length(), 0.999999f);
        java.util.Arrays.fill(xy, S.length(), xy.length, 1e-7f);
    }

    /** Flops of one call of {@link #fma} with this machine's preferred vector width. */
    public static long flopsPerCall() {
        return 2L * 12 * S.length() * ROUNDS;
    }

    @Benchmark
    public float fma() {
        FloatVector xv = FloatVector.fromArray(S, xy, 0);
        FloatVector yv = FloatVector.fromArray(S, xy, S.length());
        FloatVector a0 = yv, a1 = yv, a2 = yv, a3 = yv, a4 = yv, a5 = yv, a6 = yv, a7 = yv, a8 = yv, a9 = yv, a10 = yv, a11 = yv;
        for (int r = 0; r < ROUNDS; r++) {
            a0 = a0.fma(xv, yv);
            a1 = a1.fma(xv, yv);
            a2 = a2.fma(xv, yv);
            a3 = a3.fma(xv, yv);
            a4 = a4.fma(xv, yv);
            a5 = a5.fma(xv, yv);
            a6 = a6.fma(xv, yv);
            a7 = a7.fma(xv, yv);
            a8 = a8.fma(xv, yv);
            a9 = a9.fma(xv, yv);
            a10 = a10.fma(xv, yv);
            a11 = a11.fma(xv, yv);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
