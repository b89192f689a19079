package io.gradscale.bench;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Activation;
import io.gradscale.nn.CrossEntropyLoss;
import io.gradscale.nn.GRU;
import io.gradscale.nn.LSTM;
import io.gradscale.nn.Linear;
import io.gradscale.nn.MSELoss;
import io.gradscale.nn.Module;
import io.gradscale.nn.RNN;
import io.gradscale.nn.Recurrent;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.BufferArena;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.ClipByNorm;
import io.gradscale.transform.EmptyState;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import io.gradscale.transform.Updates;
import java.util.LinkedHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The workloads of the side-by-side harness, each built from the library as a user would write it. The
 * PyTorch twins are in {@code bench/python/step_bench.py}; names, shapes and hyper-parameters must match.
 *
 * <ul>
 *   <li>{@code mlp-sgd}, {@code mlp-adam}: MLP 784-512-256-10 with ReLU, batch 128, cross-entropy,
 *       global-norm clipping at 1.0, then SGD (lr 0.01, momentum 0.9) or Adam (lr 1e-3).</li>
 *   <li>{@code deep-mlp}: 20 Linear layers 256-256 with tanh between them, batch 64, MSE, plain SGD (lr 0.01).</li>
 *   <li>{@code lstm}: LSTM input 32, hidden 128, sequence 50, batch 32, a Linear(128, 1) head on the last
 *       step, MSE, clipping at 1.0, Adam (lr 1e-3).</li>
 *   <li>{@code rnn}: Elman RNN (tanh) input 32, hidden 128, sequence 100, batch 32, same head and training.</li>
 *   <li>{@code gru}: GRU input 32, hidden 128, sequence 50, batch 32, same head and training as {@code lstm}.</li>
 *   <li>{@code clip-10}, {@code clip-1000}: global 2-norm clipping at 1.0 of 10M gradient floats in 10 or
 *       1000 tensors (gradients refilled before each step, outside the timing, so every call clips), the
 *       clipped values written back, as {@code clip_grad_norm_} does.</li>
 *   <li>{@code adam-10}, {@code adam-1000}: one {@link GradientStep} with {@code Optimizers.adam(1e-3)} over
 *       10M floats in 10 or 1000 tensors (copy, guard, Adam, learning rate, apply).</li>
 *   <li>{@code adam-floor}: not a library path but this machine's lower bound for {@code adam-1000}: one
 *       fused loop per tensor that moves exactly the bytes any Adam step must move (read g, m, v, w; write
 *       m, v, w: 280 MB for 10M floats) with Adam's arithmetic, and nothing else. No PyTorch twin: the
 *       harness sets it against PyTorch's {@code adam-1000} of the same round.</li>
 *   <li>{@code mlp-dp}: {@code mlp-sgd}'s MLP trained by DP-SGD (per-example clipping at 1.0, noise multiplier 1.1,
 *       then SGD with momentum); no PyTorch twin (Opacus does not install here): {@link DpStepBench} sets it against
 *       {@code mlp-sgd} in alternating rounds.</li>
 *   <li>{@code clip-floor}: the same for {@code clip-1000}: per tensor, one Vector API loop summing the squares
 *       (four float accumulators), then, with the global factor, one loop scaling it in place: the 120 MB any
 *       clip that writes its result back must move (read all; read and write all), with nothing else; set
 *       against PyTorch's {@code clip-1000}.</li>
 * </ul>
 * A training step is: a new {@link Tape} on the workload's {@link BufferArena}, forward, loss, backward, the optimizer
 * step, zeroing the gradients.
 */
final class StepWorkloads {
    /** Names in the order the harness runs them. */
    static final List<String> ALL = List.of("mlp-sgd", "mlp-adam", "deep-mlp", "lstm", "rnn", "gru",
            "clip-10", "clip-1000", "adam-10", "adam-1000", "adam-floor", "clip-floor");
    /** The bounds, each with the workload whose PyTorch time it is set against. */
    static final Map<String, String> FLOOR_OF = Map.of("adam-floor", "adam-1000", "clip-floor", "clip-1000");
    /** Total floats of the optimizer-only workloads. */
    static final int OPTIMIZER_FLOATS = 10_000_000;
    static final double CLIP = 1.0;
    static final double SGD_LR = 0.01;
    static final double SGD_MOMENTUM = 0.9;
    static final double ADAM_LR = 1e-3;

    private StepWorkloads() {
    }

    /** One prepared workload: {@link #prepare()} runs untimed before each {@link #step()}. */
    interface Workload {
        default void prepare() {
        }

        /** One timed step; returns the loss (NaN when there is none), which keeps the work observable. */
        double step();
    }

    static Workload create(String name, Engine engine) {
        return switch (name) {
            case "mlp-sgd" -> mlp(engine, false);
            case "mlp-adam" -> mlp(engine, true);
            case "deep-mlp" -> deepMlp(engine);
            case "lstm" -> recurrent(engine, rng -> new LSTM(32, 128, 1, rng), 3, 50);
            case "rnn" -> recurrent(engine, rng -> new RNN(32, 128, 1, rng), 4, 100);
            case "gru" -> recurrent(engine, rng -> new GRU(32, 128, 1, rng), 5, 50);
            case "clip-10" -> clip(engine, 10);
            case "clip-1000" -> clip(engine, 1000);
            case "adam-10" -> adam(engine, 10);
            case "adam-1000" -> adam(engine, 1000);
            case "adam-floor" -> adamFloor(1000);
            case "clip-floor" -> clipFloor(1000);
            case "mlp-dp" -> mlpDp(engine);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "'; expected one of " + ALL);
        };
    }

    private static GradientStep optimizer(Module model, boolean adam, boolean clip, Engine engine) {
        GradientTransform<?> opt = adam ? Optimizers.adam(ADAM_LR)
                : Optimizers.sgd(Schedule.constant(SGD_LR), SGD_MOMENTUM, 0, false, 0);
        GradientTransform<?> chain = clip ? Transforms.chain(Transforms.clipByGlobalNorm(CLIP), opt) : opt;
        return new GradientStep(ParameterSet.of(model), chain, engine);
    }

    /** The MLP 784-512-256-10 of {@code mlp-sgd}, {@code mlp-adam} and {@code mlp-dp}, with its batch of 128. */
    record Mlp(Sequential model, Tensor x, int[] y) {
        static Mlp make() {
            Rng rng = new Rng(1);
            Sequential model = new Sequential(new Linear(784, 512, rng), Activation.relu(), new Linear(512, 256, rng),
                    Activation.relu(), new Linear(256, 10, rng));
            Tensor x = Tensor.randn(rng, 128, 784);
            int[] y = new int[128];
            for (int i = 0; i < y.length; i++) {
                y[i] = rng.nextInt(10);
            }
            return new Mlp(model, x, y);
        }
    }

    private static Workload mlp(Engine engine, boolean adam) {
        Mlp m = Mlp.make();
        GradientStep opt = optimizer(m.model(), adam, true, engine);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        return trainingStep(engine, m.model(), opt, m.x(), out -> ce.apply(out, m.y()));
    }

    /** DP-SGD's per-example clipping at C and noise of this multiplier (Abadi et al.'s MNIST setting, sigma 1.1). */
    static final double DP_NOISE = 1.1;

    /**
     * {@code mlp-dp}: the MLP of {@code mlp-sgd} trained by DP-SGD: per-example clipping at {@link #CLIP}, noise
     * {@link #DP_NOISE} C, the average over the batch, then the same SGD with momentum. Each step records a
     * per-example tape ({@link PerExample}) with the chain's clipping policy, as the trainer does.
     */
    private static Workload mlpDp(Engine engine) {
        Mlp m = Mlp.make();
        Sequential model = m.model();
        Tensor x = m.x();
        int[] y = m.y();
        GradientStep opt = new GradientStep(ParameterSet.of(model), Transforms.chain(
                new PrivateAggregate(CLIP, DP_NOISE, 128, 7), Optimizers.sgd(Schedule.constant(SGD_LR), SGD_MOMENTUM, 0, false, 0)), engine);
        CrossEntropyLoss ce = new CrossEntropyLoss();
        BufferArena arena = new BufferArena();
        return () -> {
            PerExample pe = new PerExample(128, 128, opt.perExampleClipping());
            Tape tape = Tape.recording(engine, pe, arena);
            Var loss = ce.apply(model.forward(tape.constant(x)), y);
            tape.backward(loss);
            opt.step(false, pe);
            model.zeroGrad();
            return loss.item();
        };
    }

    private static Workload deepMlp(Engine engine) {
        Rng rng = new Rng(2);
        Sequential model = new Sequential();
        for (int i = 0; i < 20; i++) {
            if (i > 0) {
                model.add(Activation.tanh());
            }
            model.add(new Linear(256, 256, rng));
        }
        Tensor x = Tensor.randn(rng, 64, 256);
        Tensor t = Tensor.randn(rng, 64, 256);
        GradientStep opt = new GradientStep(ParameterSet.of(model), Optimizers.sgd(SGD_LR), engine);
        MSELoss mse = new MSELoss();
        return trainingStep(engine, model, opt, x, out -> mse.apply(out, out.tape().constant(t)));
    }

    /** A recurrent layer and a linear head on its last step, as one module so that one optimizer holds both. */
    static final class SequenceRegressor extends Module {
        private final Recurrent rnn;
        private final Linear head;

        SequenceRegressor(Recurrent rnn, Linear head) {
            this.rnn = registerModule("rnn", rnn);
            this.head = registerModule("head", head);
        }

        @Override
        public Var forward(Var x) {
            Var h = rnn.run(x).hidden();
            return head.forward(h.reshape(x.dim(0), rnn.hiddenSize()));
        }
    }

    /** A recurrent layer of input 32 and hidden 128, its head and its data drawn from one generator of {@code seed}. */
    private static Workload recurrent(Engine engine, Function<Rng, Recurrent> layer, long seed, int seq) {
        Rng rng = new Rng(seed);
        Recurrent cell = layer.apply(rng);
        SequenceRegressor model = new SequenceRegressor(cell, new Linear(128, 1, rng));
        Tensor x = Tensor.randn(rng, 32, seq, 32);
        Tensor t = Tensor.randn(rng, 32, 1);
        GradientStep opt = optimizer(model, true, true, engine);
        MSELoss mse = new MSELoss();
        return trainingStep(engine, model, opt, x, out -> mse.apply(out, out.tape().constant(t)));
    }

    private static Map<String, Parameter> bigParameters(int tensors, Rng rng) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        int per = OPTIMIZER_FLOATS / tensors;
        for (int i = 0; i < tensors; i++) {
            Parameter p = new Parameter(Tensor.randn(rng, per));
            p.grad().copyFrom(Tensor.randn(rng, per));
            m.put("layer" + i + ".weight", p);
        }
        return m;
    }

    private static Workload clip(Engine engine, int tensors) {
        Map<String, Parameter> m = bigParameters(tensors, new Rng(42));
        ParameterSet params = ParameterSet.of(m);
        Tensor[] buffers = new Tensor[params.size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = params.parameter(i).grad();
        }
        float[][] pristine = new float[buffers.length][];
        for (int i = 0; i < buffers.length; i++) {
            pristine[i] = buffers[i].data().clone();
        }
        Updates updates = new Updates(engine, buffers);
        ClipByNorm clip = Transforms.clipByGlobalNorm(CLIP);
        return new Workload() {
            @Override
            public void prepare() {
                for (int i = 0; i < buffers.length; i++) {
                    System.arraycopy(pristine[i], 0, buffers[i].data(), 0, pristine[i].length);
                }
                updates.begin(0);
            }

            @Override
            public double step() {
                EmptyState s = clip.update(updates, EmptyState.INSTANCE, params);
                updates.forEachTensor(i -> updates.get(i)); // the clip defers its factor: multiply it in, as PyTorch does
                return s == null ? Double.NaN : updates.metrics().get("clip_global_norm.norm");
            }
        };
    }

    /**
     * One training step as the harness times it: a new tape, forward, loss, backward, the optimizer step, zeroing.
     * Each step's tape leases from one arena, as the trainer's do.
     */
    private static Workload trainingStep(Engine engine, Module model, GradientStep opt, Tensor x,
                                         Function<Var, Var> lossOf) {
        BufferArena arena = new BufferArena();
        return () -> {
            Tape tape = Tape.recording(engine, arena);
            Var loss = lossOf.apply(model.forward(tape.constant(x)));
            tape.backward(loss);
            opt.step();
            model.zeroGrad();
            return loss.item();
        };
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static Workload adamFloor(int tensors) {
        Rng rng = new Rng(42);
        int per = OPTIMIZER_FLOATS / tensors;
        float[][] w = new float[tensors][];
        float[][] g = new float[tensors][];
        float[][] m = new float[tensors][];
        float[][] v = new float[tensors][];
        for (int i = 0; i < tensors; i++) {
            w[i] = Tensor.randn(rng, per).data();
            g[i] = Tensor.randn(rng, per).data();
            m[i] = new float[per];
            v[i] = new float[per];
        }
        float b1 = 0.9f;
        float b2 = 0.999f;
        long[] step = {0};
        return () -> {
            step[0]++;
            float lr = (float) (ADAM_LR / (1 - Math.pow(b1, step[0])));
            float c2 = (float) (1 / Math.sqrt(1 - Math.pow(b2, step[0])));
            for (int i = 0; i < tensors; i++) {
                fusedAdam(w[i], g[i], m[i], v[i], b1, b2, lr, c2, 1e-8f);
            }
            return w[0][0];
        };
    }

    /** {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr m / (sqrt(v) c2 + eps)}, one pass. */
    private static void fusedAdam(float[] w, float[] g, float[] m, float[] v, float b1, float b2, float lr, float c2,
                                  float eps) {
        int i = 0;
        for (int u = S.loopBound(w.length); i < u; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(b1).add(gv.mul(1 - b1));
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(b2).add(gv.mul(gv).mul(1 - b2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            FloatVector.fromArray(S, w, i).sub(mv.mul(lr).div(vv.sqrt().mul(c2).add(eps))).intoArray(w, i);
        }
        for (; i < w.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            w[i] -= lr * m[i] / ((float) Math.sqrt(v[i]) * c2 + eps);
        }
    }

    private static Workload clipFloor(int tensors) {
        Rng rng = new Rng(42);
        int per = OPTIMIZER_FLOATS / tensors;
        float[][] g = new float[tensors][];
        float[][] pristine = new float[tensors][];
        for (int i = 0; i < tensors; i++) {
            pristine[i] = Tensor.randn(rng, per).data();
            g[i] = pristine[i].clone();
        }
        return new Workload() {
            @Override
            public void prepare() {
                for (int i = 0; i < tensors; i++) {
                    System.arraycopy(pristine[i], 0, g[i], 0, per);
                }
            }

            @Override
            public double step() {
                double total = 0;
                for (float[] t : g) {
                    total += sumSquares(t);
                }
                double norm = Math.sqrt(total);
                float factor = (float) Math.min(1.0, CLIP / (norm + 1e-6));
                for (float[] t : g) {
                    scale(t, factor);
                }
                return norm;
            }
        };
    }

    private static double sumSquares(float[] a) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int l = S.length();
        int i = 0;
        for (int u = a.length - 4 * l; i <= u; i += 4 * l) {
            FloatVector v0 = FloatVector.fromArray(S, a, i);
            FloatVector v1 = FloatVector.fromArray(S, a, i + l);
            FloatVector v2 = FloatVector.fromArray(S, a, i + 2 * l);
            FloatVector v3 = FloatVector.fromArray(S, a, i + 3 * l);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        double s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < a.length; i++) {
            s += a[i] * a[i];
        }
        return s;
    }

    private static void scale(float[] a, float f) {
        int i = 0;
        for (int u = S.loopBound(a.length); i < u; i += S.length()) {
            FloatVector.fromArray(S, a, i).mul(f).intoArray(a, i);
        }
        for (; i < a.length; i++) {
            a[i] *= f;
        }
    }

    private static Workload adam(Engine engine, int tensors) {
        Map<String, Parameter> m = bigParameters(tensors, new Rng(42));
        GradientStep opt = new GradientStep(ParameterSet.of(m), Optimizers.adam(ADAM_LR), engine);
        return () -> opt.step().get("skipped");
    }
}
