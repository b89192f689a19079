package io.gradscale.bench;

import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Activation;
import io.gradscale.nn.CrossEntropyLoss;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Gaussian;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import java.util.Arrays;
import java.util.Locale;

/**
 * The parts of a plain and of a DP-SGD step of the MLP 784-512-256-10 at batch 128 (as {@code mlp-sgd} and
 * {@code mlp-dp} of {@link StepWorkloads}, on one model so both see the same weights), interleaved step by step in one
 * JVM, and the noise generation alone: the minimum of each part over {@value #TIMED} steps after {@value #WARMUP} of
 * warm-up, the figure least disturbed by other work on a shared machine.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.gradscale.bench.DpStepParts
 * </pre>
 */
public final class DpStepParts {
    static final int WARMUP = 200;
    static final int TIMED = 600;

    private DpStepParts() {
    }

    public static void main(String[] args) {
        Engine engine = Engine.serial();
        Rng rng = new Rng(1);
        Sequential model = new Sequential(new Linear(784, 512, rng), Activation.relu(), new Linear(512, 256, rng),
                Activation.relu(), new Linear(256, 10, rng));
        Tensor x = Tensor.randn(rng, 128, 784);
        int[] y = new int[128];
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextInt(10);
        }
        PrivateAggregate agg = new PrivateAggregate(StepWorkloads.CLIP, StepWorkloads.DP_NOISE, 128, 7);
        GradientStep dp = new GradientStep(ParameterSet.of(model), Transforms.chain(agg,
                Optimizers.sgd(Schedule.constant(StepWorkloads.SGD_LR), StepWorkloads.SGD_MOMENTUM, 0, false, 0)), engine);
        GradientStep plain = new GradientStep(ParameterSet.of(model), Transforms.chain(Transforms.clipByGlobalNorm(StepWorkloads.CLIP),
                Optimizers.sgd(Schedule.constant(StepWorkloads.SGD_LR), StepWorkloads.SGD_MOMENTUM, 0, false, 0)), engine);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        float[] noise = new float[(int) model.parameterCount()];
        double[] min = new double[7];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        for (int r = 0; r < WARMUP + TIMED; r++) {
            long[] t = new long[8];
            t[0] = System.nanoTime();
            Tape tape = Tape.recording(engine);
            Var loss = ce.apply(model.forward(tape.constant(x)), y);
            t[1] = System.nanoTime();
            tape.backward(loss);
            t[2] = System.nanoTime();
            plain.step(false);
            t[3] = System.nanoTime();
            model.zeroGrad();
            PerExample pe = new PerExample(128, 128, agg);
            Tape tp = Tape.recording(engine, pe);
            Var lp = ce.apply(model.forward(tp.constant(x)), y);
            t[4] = System.nanoTime();
            tp.backward(lp);
            t[5] = System.nanoTime();
            dp.step(false, pe);
            t[6] = System.nanoTime();
            model.zeroGrad();
            Gaussian.noise(r, StepWorkloads.DP_NOISE, 1.0 / 128, noise, noise, 0, noise.length);
            t[7] = System.nanoTime();
            if (r >= WARMUP) {
                for (int i = 0; i < 7; i++) {
                    min[i] = Math.min(min[i], (t[i + 1] - t[i]) / 1e6); // dp forward includes the plain step's zeroGrad
                }
            }
        }
        System.out.printf(Locale.ROOT, "plain: forward %.2f, backward %.2f, step %.2f; dp: forward %.2f, backward %.2f, step %.2f;"
                + " noise alone %.2f ms (minima over %d steps)%n", min[0], min[1], min[2], min[3], min[4], min[5], min[6], TIMED);
    }
}
