package io.gradscale.bench;

import io.gradscale.autograd.Parameter;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ClipByNorm;
import io.gradscale.transform.EmptyState;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.Metrics;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
import io.gradscale.transform.Updates;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Global-norm clipping and a whole Adam step over 10M floats held in 10 or in 1000 tensors, on one
 * thread. The PyTorch side is {@code bench/python/transform_bench.py}; results go to
 * {@code docs/PERFORMANCE.md}.
 *
 * <p>{@code clipGlobalNorm}: the 2-norm over all tensors and the scaling of every tensor (gradients
 * are refilled before each call, outside the timing, so that every call clips). {@code adamStep}: what a
 * trainer pays per step: copying the gradients into the update buffers, the non-finite guard, Adam, the
 * learning rate and {@code w += u}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class TransformBench {
    static final int TOTAL = 10_000_000;

    @Param({"10", "1000"})
    public int tensors;

    private ParameterSet params;
    private Updates updates;
    private float[][] pristine;
    private ClipByNorm clip;
    private GradientStep adam;

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(42);
        Map<String, Parameter> m = new LinkedHashMap<>();
        int per = TOTAL / tensors;
        pristine = new float[tensors][];
        Tensor[] buffers = new Tensor[tensors];
        for (int i = 0; i < tensors; i++) {
            Parameter p = new Parameter(Tensor.randn(rng, per));
            Tensor g = Tensor.randn(rng, per);
            p.grad().copyFrom(g);
            m.put("layer" + i + ".weight", p);
            pristine[i] = g.data().clone();
            buffers[i] = g;
        }
        params = ParameterSet.of(m);
        updates = new Updates(Engine.serial(), buffers);
        clip = Transforms.clipByGlobalNorm(1.0);
        adam = new GradientStep(params, Optimizers.adam(1e-3), Engine.serial());
    }

    @Setup(Level.Invocation)
    public void refill() {
        for (int i = 0; i < tensors; i++) {
            System.arraycopy(pristine[i], 0, updates.get(i).data(), 0, pristine[i].length);
        }
        updates.begin(0);
    }

    @Benchmark
    public EmptyState clipGlobalNorm() {
        return clip.update(updates, EmptyState.INSTANCE, params);
    }

    @Benchmark
    public Metrics adamStep() {
        return adam.step();
    }
}
