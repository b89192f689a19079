package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.GradCheck;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer and loss against central finite differences: the input gradient through
 * {@link GradCheck}, and every parameter gradient by perturbing the parameter in place with the same
 * step and tolerances.
 */
class LayerGradCheckTest {
    /** A row: the module whose parameters are checked (or null), the function of the input, the input. */
    record Case(String name, Module module, Function<Var, Var> f, Function<Rng, Tensor> input) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final double H = 3e-3;
    private static final double RTOL = 1e-2;
    private static final double ATOL = 1e-3;

    /** Values in [-2, 2] at least 0.1 from zero, so no element sits on a kink within a step. */
    static Tensor away(Rng rng, int... dims) {
        Tensor t = Tensor.uniform(rng, -2f, 2f, dims);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (Math.abs(d[i]) < 0.1f) {
                d[i] = d[i] < 0 ? -0.1f - Math.abs(d[i]) : 0.1f + Math.abs(d[i]);
            }
        }
        return t;
    }

    private static Case of(String name, Module m, Function<Rng, Tensor> in) {
        return new Case(name, m, m::forward, in);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        Rng r = new Rng(77);
        c.add(of("Linear", new Linear(4, 3, r), g -> Tensor.randn(g, 2, 4)));
        c.add(of("Linear without bias, rank-3 input", new Linear(4, 3, false, r), g -> Tensor.randn(g, 2, 2, 4)));
        c.add(of("Sigmoid", Activation.sigmoid(), g -> away(g, 3, 4)));
        c.add(of("Tanh", Activation.tanh(), g -> away(g, 3, 4)));
        c.add(of("ReLU", Activation.relu(), g -> away(g, 3, 4)));
        c.add(of("LeakyReLU", Activation.leakyRelu(0.2f), g -> away(g, 3, 4)));
        c.add(of("ELU", Activation.elu(0.7f), g -> away(g, 3, 4)));
        c.add(of("GELU", Activation.gelu(), g -> away(g, 3, 4)));
        c.add(of("Softplus", Activation.softplus(1.5f), g -> away(g, 3, 4)));
        c.add(of("Identity", Activation.identity(), g -> away(g, 3, 4)));
        PReLU shared = new PReLU();
        c.add(of("PReLU shared", shared, g -> away(g, 3, 4)));
        PReLU perChannel = new PReLU(4, 0.3f);
        Init.uniform(perChannel.weight().value(), 0.05, 0.5, r);
        c.add(of("PReLU per channel [N, C]", perChannel, g -> away(g, 3, 4)));
        PReLU perChannel3 = new PReLU(3, 0.3f);
        Init.uniform(perChannel3.weight().value(), 0.05, 0.5, r);
        c.add(of("PReLU per channel [N, C, L]", perChannel3, g -> away(g, 2, 3, 2)));
        c.add(of("BatchNorm1d train [N, C]", affine(new BatchNorm1d(3), r), g -> Tensor.randn(g, 5, 3)));
        c.add(of("BatchNorm1d train [N, C, L]", affine(new BatchNorm1d(3), r), g -> Tensor.randn(g, 2, 3, 3)));
        BatchNorm1d bnEval = affine(new BatchNorm1d(3), r);
        Init.uniform(bnEval.runningVar(), 0.5, 2.0, r);
        bnEval.eval();
        c.add(of("BatchNorm1d eval", bnEval, g -> Tensor.randn(g, 4, 3)));
        LayerNorm ln = new LayerNorm(2, 3);
        ln.namedParameters().values().forEach(p -> Init.normal(p.value(), 0.5, 0.5, r));
        c.add(of("LayerNorm [2, 3]", ln, g -> Tensor.randn(g, 2, 2, 3)));
        c.add(new Case("Dropout train (fixed mask)", null, v -> new Dropout(0.4f, new Rng(9)).forward(v), g -> Tensor.randn(g, 3, 5)));
        c.add(of("Sequential MLP", new Sequential(new Linear(4, 5, r), Activation.tanh(), new Linear(5, 2, r)), g -> Tensor.randn(g, 3, 4)));
        c.add(of("Residual identity", new Residual(new Sequential(new Linear(4, 4, r), Activation.tanh())), g -> Tensor.randn(g, 3, 4)));
        c.add(of("Residual projection", new Residual(new Linear(4, 2, r), new Linear(4, 2, false, r)), g -> Tensor.randn(g, 3, 4)));
        c.add(of("RNN tanh, 2 layers", new RNN(3, 4, 2, r), g -> Tensor.randn(g, 2, 3, 3)));
        c.add(of("RNN relu", new RNN(3, 4, 1, Nonlinearity.RELU, true, r), g -> Tensor.randn(g, 2, 3, 3)));
        LSTM lstm = new LSTM(3, 4, 2, r);
        c.add(of("LSTM, 2 layers, all hidden states", lstm, g -> Tensor.randn(g, 2, 3, 3)));
        c.add(new Case("LSTM, final cell state", lstm, v -> lstm.run(v).cell(), g -> Tensor.randn(g, 2, 3, 3)));
        GRU gru = new GRU(3, 4, 2, r);
        c.add(of("GRU, 2 layers, all hidden states", gru, g -> Tensor.randn(g, 2, 3, 3)));
        c.add(new Case("GRU, final hidden state", gru, v -> gru.run(v).hidden(), g -> Tensor.randn(g, 2, 3, 3)));
        Tensor target = Tensor.randn(new Rng(5), 3, 4);
        Tensor soft = Tensor.uniform(new Rng(6), 0f, 1f, 3, 4);
        int[] classes = {1, 3, 0};
        for (Reduction red : Reduction.values()) {
            c.add(new Case("MSELoss " + red, null, v -> new MSELoss(red).apply(v, v.tape().constant(target)), g -> Tensor.randn(g, 3, 4)));
            c.add(new Case("CrossEntropyLoss " + red, null, v -> new CrossEntropyLoss(red).apply(v, classes), g -> Tensor.randn(g, 3, 4)));
            c.add(new Case("BCEWithLogitsLoss " + red, null, v -> new BCEWithLogitsLoss(red).apply(v, v.tape().constant(soft)),
                    g -> Tensor.randn(g, 3, 4)));
            c.add(new Case("HuberLoss " + red, null, v -> new HuberLoss(red, 0.8f).apply(v, v.tape().constant(target)),
                    g -> Tensor.randn(g, 3, 4)));
        }
        return c.stream();
    }

    private static BatchNorm1d affine(BatchNorm1d bn, Rng r) {
        bn.namedParameters().values().forEach(p -> Init.normal(p.value(), 0.5, 0.5, r));
        return bn;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void inputGradientMatchesFiniteDifferences(Case c) {
        Tensor x = c.input().apply(new Rng(c.name().hashCode()));
        GradCheck.Result res = new GradCheck(H, RTOL, ATOL, io.gradscale.tensor.Engine.serial()).check(v -> c.f().apply(v.get(0)), x);
        assertTrue(res.passed(), c.name() + ": " + res);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void parameterGradientsMatchFiniteDifferences(Case c) {
        if (c.module() == null || c.module().namedParameters().isEmpty()) {
            return;
        }
        Tensor x = c.input().apply(new Rng(c.name().hashCode()));
        Tape tape = Tape.recording();
        Var out = c.f().apply(tape.constant(x));
        Tensor w = Tensor.uniform(new Rng(11), -1.5f, 1.5f, out.shape().dims());
        c.module().zeroGrad();
        tape.backward(out, w);
        int checked = 0;
        for (Map.Entry<String, Parameter> e : c.module().namedParameters().entrySet()) {
            float[] v = e.getValue().value().data();
            float[] grad = e.getValue().grad().data();
            for (int j = 0; j < v.length; j++) {
                float orig = v[j];
                v[j] = (float) (orig + H);
                double lp = weighted(c, x, w);
                v[j] = (float) (orig - H);
                double lm = weighted(c, x, w);
                v[j] = orig;
                double numeric = (lp - lm) / ((double) (float) (orig + H) - (double) (float) (orig - H));
                double analytic = grad[j];
                assertTrue(Math.abs(analytic - numeric) <= ATOL + RTOL * Math.max(Math.abs(analytic), Math.abs(numeric)),
                        c.name() + " " + e.getKey() + "[" + j + "]: analytic " + analytic + " vs numeric " + numeric);
                checked++;
            }
        }
        assertTrue(checked > 0);
    }

    private static double weighted(Case c, Tensor x, Tensor w) {
        Tape t = Tape.noGrad(io.gradscale.tensor.Engine.serial());
        float[] y = c.f().apply(t.constant(x)).value().data();
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) w.data()[i] * y[i];
        }
        return s;
    }
}
