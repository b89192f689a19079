package io.gradscale.bench;

import io.gradscale.data.Dataset;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The gradient monitor's cost: one epoch of 16 training steps of the MLP 784-512-256-10 at batch 128
 * (SGD momentum 0.9, global-norm clipping) with per-layer and activation statistics sampled every
 * step, every 10th step (the default) and never (only the global norm, which the step needs anyway).
 * The bar: sampling every 10 steps costs under 3% of a step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MonitorBench {
    /** Per-layer statistics every this many steps; 1000000 = never within the benchmark. */
    @Param({"1", "10", "1000000"})
    public int monitorEvery;

    private Dataset data;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(1);
        data = randomDigits(rng);
        Module model = new Sequential(new Linear(784, 512, rng), Activation.relu(), new Linear(512, 256, rng), Activation.relu(),
                new Linear(256, 10, rng));
        Engine e = Engine.serial();
        trainer = new Trainer(model, Objective.forTask(data.task()),
                m -> new GradientStep(ParameterSet.of(model), Transforms.chain(Transforms.clipByGlobalNorm(1.0),
                        Optimizers.sgd(io.gradscale.transform.Schedule.constant(0.01 * m), 0.9, 0, false, 0)), e),
                e, Trainer.Settings.of(GradientDescent.miniBatch(128), 1_000_000, 1).withMonitorEvery(monitorEvery));
    }

    /** 16 batches of 128 random 784-vectors with random labels of 10 classes: the shape of MNIST, none of its structure. */
    static Dataset randomDigits(Rng rng) {
        int n = 128 * 16;
        Tensor x = Tensor.randn(rng, n, 784);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(10);
        }
        return Dataset.classification(x, y, 10);
    }

    /** One epoch (16 steps); divide by 16 for the time of a step. */
    @Benchmark
    public long epoch() {
        return trainer.run(data, null, trainer.step() + 16).steps();
    }
}
