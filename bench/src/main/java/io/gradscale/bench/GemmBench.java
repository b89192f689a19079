package io.gradscale.bench;

import io.gradscale.tensor.Kernels;
import io.gradscale.tensor.Parallel;
import io.gradscale.tensor.Rng;
import java.util.concurrent.TimeUnit;
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
 * SGEMM time per call, {@code C = op(A) op(B)}, through {@link Kernels#best()} on 1 and 2 threads.
 *
 * <p>{@code shape} is {@code MxNxK:TT}: C is {@code M x N}, the inner dimension is {@code K}, and the two
 * letters say whether A and B are used transposed (N or T). The square sizes are the usual SGEMM
 * curve; the rest are the GEMMs of an MLP 784-512-256-10 at batch 128 with weights stored
 * {@code [in, out]}: the forward products {@code X W}, the input gradients {@code dY W^T} and the
 * weight gradients {@code X^T dY}. GFLOPS is {@code 2 M N K / time}; {@code bench/python/foundation_table.py}
 * converts JMH's JSON and sets it next to OpenBLAS measured by {@code bench/python/gemm_openblas.py}
 * (which lists the same shapes).
 *
 * <p>Sample mode times every call, so the median call time can be compared with the median that the
 * OpenBLAS script reports: on a machine whose cores are shared, a mean is dominated by the moments
 * another process held the core.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class GemmBench {
    @Param({
        "128x128x128:NN", "256x256x256:NN", "512x512x512:NN", "1024x1024x1024:NN",
        "128x512x784:NN", "128x256x512:NN", "128x10x256:NN",
        "128x784x512:NT", "128x512x256:NT", "128x256x10:NT",
        "784x512x128:TN", "512x256x128:TN", "256x10x128:TN",
    })
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private Kernels kernels;
    private Parallel par;
    private GemmShape s;
    private float[] a;
    private float[] b;
    private float[] c;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = Kernels.best();
        if (!kernels.name().startsWith("vector")) {
            throw new IllegalStateException("GemmBench needs the SIMD kernels (run java with --add-modules "
                    + "jdk.incubator.vector), got kernels '" + kernels.name() + "'");
        }
        par = Parallel.ofThreads(threads);
        s = GemmShape.parse(shape);
        Rng rng = new Rng(42);
        a = Fill.gaussian(rng, s.m() * s.k());
        b = Fill.gaussian(rng, s.k() * s.n());
        c = new float[s.m() * s.n()];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
    }

    @Benchmark
    public float[] sgemm() {
        kernels.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), a, 0, s.lda(), b, 0, s.ldb(), false, c, 0, s.n(), par);
        return c;
    }
}
