package io.gradscale.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The detectors on synthetic runs with known pathologies: each finds its own and only its own. */
class GradientDoctorTest {
    private static final ModelFacts SIGMOID_MLP = new ModelFacts(6, List.of("sigmoid", "sigmoid", "sigmoid", "sigmoid", "sigmoid"),
            false, false, "", "glorot", "", 0.1);

    /** A run of 200 steps over 6 layers whose layer-l gradient norm is perLayer^(5-l) * lastNorm(step). */
    static List<StepRecord> run(double perLayer, IntToDoubleFunction lastNorm, IntToDoubleFunction loss,
                                Map<String, ActivationStats> acts, int nanAt) {
        return run(perLayer, lastNorm, loss, acts, nanAt, 0.01);
    }

    /** As above, each layer's update {@code updateShare} times its gradient norm (parameter norms are 1). */
    static List<StepRecord> run(double perLayer, IntToDoubleFunction lastNorm, IntToDoubleFunction loss,
                                Map<String, ActivationStats> acts, int nanAt, double updateShare) {
        List<StepRecord> out = new ArrayList<>();
        for (int s = 0; s < 200; s++) {
            Map<String, LayerStats> layers = new LinkedHashMap<>();
            double total = 0;
            for (int l = 0; l < 6; l++) {
                double g = Math.pow(perLayer, 5 - l) * lastNorm.applyAsDouble(s);
                total += g * g;
                double upd = updateShare * g;
                layers.put("fc" + l, new LayerStats(g, g / 3, 1.0, upd, Math.log10(upd), s == nanAt && l == 2 ? 4 : 0));
            }
            boolean nan = s == nanAt;
            out.add(new StepRecord(s, 0, nan ? Double.NaN : loss.applyAsDouble(s), 0.1, s, nan ? Double.NaN : Math.sqrt(total),
                    false, layers, Map.of(), s == 199 ? acts : Map.of()));
        }
        return out;
    }

    /**
     * A stochastic run: each step's loss is its example's, exponentially distributed around a level that falls
     * from 2 to 0.1, and its gradient norm follows the loss with a heavy tail: one example in 100 is hard, its
     * norm 100x, and its step adds 0.15 to the next 25 losses (2.5x the final level, as in descent-modes'
     * stochastic run, where such steps doubled the next 20 losses' median late in the run).
     */
    static List<StepRecord> stochastic() {
        Rng rng = new Rng(11);
        double[] loss = new double[2000];
        double[] norm = new double[2000];
        int disturbed = 0;
        for (int s = 0; s < loss.length; s++) {
            double level = 0.1 + 1.9 * Math.exp(-s / 300.0) + (disturbed-- > 0 ? 0.15 : 0.0);
            loss[s] = -level * Math.log(1 - rng.nextDouble());
            boolean hard = rng.nextDouble() < 1.0 / 100;
            norm[s] = (hard ? 100.0 : 1.0) * Math.sqrt(loss[s]);
            disturbed = hard ? 25 : disturbed; // the hard example's step disturbs the next losses, then they recover
        }
        List<StepRecord> out = new ArrayList<>();
        for (StepRecord r : run(0.9, s -> 1.0, s -> 1.0, Map.of("act1", new ActivationStats("relu", 0.4, 0.6, 0.05, 0)), -1)) {
            out.add(r);
        }
        List<StepRecord> steps = new ArrayList<>();
        for (int s = 0; s < loss.length; s++) {
            StepRecord shape = out.get(s % out.size());
            steps.add(new StepRecord(s, 0, loss[s], 0.1, s, norm[s], false, s % 10 == 0 ? shape.layers() : Map.of(), Map.of(),
                    s == loss.length - 10 ? out.get(out.size() - 1).activations() : Map.of()));
        }
        return steps;
    }

    static Stream<Arguments> cases() {
        Map<String, ActivationStats> healthyActs = Map.of("act1", new ActivationStats("relu", 0.4, 0.6, 0.05, 0));
        Map<String, ActivationStats> deadActs = Map.of("act1", new ActivationStats("relu", 0.01, 0.02, 0.85, 0));
        Map<String, ActivationStats> satActs = Map.of("act1", new ActivationStats("tanh", 0.1, 0.97, 0, 0.8));
        return Stream.of(
                Arguments.of("healthy", run(0.9, s -> 1.0, s -> 2.0 / (1 + s * 0.05), healthyActs, -1), List.of()),
                Arguments.of("vanishing", run(0.1, s -> 1.0, s -> 2.0, healthyActs, -1), List.of("vanishing")),
                Arguments.of("exploding", run(0.9, s -> Math.pow(1.06, s), s -> 1.0 + s * 0.01, healthyActs, -1), List.of("exploding")),
                // one-step spikes the loss shrugs off are gradient noise (small batches), not an explosion
                Arguments.of("noise spikes", run(0.9, s -> s % 37 == 36 ? 80.0 : 1.0 / (1 + s * 0.05),
                        s -> 2.0 / (1 + s * 0.05) + (s % 37 == 36 ? 5 : 0), healthyActs, -1), List.of()),
                // single-example steps: heavy-tailed losses and norms around a falling level are noise, not cliffs
                Arguments.of("stochastic noise", stochastic(), List.of()),
                // a cliff: the norm spikes and the loss stays thrown up afterwards
                Arguments.of("cliff", run(0.9, s -> s == 100 ? 80.0 : 1.0, s -> s < 100 ? 2.0 / (1 + s * 0.05) : 1.0, healthyActs, -1),
                        List.of("exploding")),
                Arguments.of("non-finite", run(0.9, s -> 1.0, s -> 1.0 / (1 + s), healthyActs, 120), List.of("non_finite")),
                Arguments.of("dead relu", run(0.9, s -> 1.0, s -> 1.0 / (1 + s), deadActs, -1), List.of("dead_units")),
                Arguments.of("saturated tanh", run(0.9, s -> 1.0, s -> 1.0 / (1 + s), satActs, -1), List.of("saturated_units")),
                // the loss does not move, every update is 1e-7 of the weights: the learning rate is too low
                Arguments.of("lr too low", run(0.9, s -> 1.0, s -> 1.0, healthyActs, -1, 1e-7), List.of("lr_too_low")),
                // the loss diverges while every step moves the weights by half their size: too high
                Arguments.of("lr too high", run(0.9, s -> 1.0, s -> 1.0 + s * 0.05, healthyActs, -1, 0.5), List.of("lr_too_high")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachPathologyIsFoundByItsDetectorOnly(String name, List<StepRecord> steps, List<String> expected) {
        List<Verdict> vs = GradientDoctor.standard().diagnose(new RunView(steps, SIGMOID_MLP, Double.NaN));
        List<String> flagged = vs.stream().filter(v -> v.severity().compareTo(Verdict.Severity.WARNING) >= 0)
                .map(Verdict::detector).sorted().toList();
        assertEquals(expected.stream().sorted().toList(), flagged, name + ": " + vs);
        for (Verdict v : vs) {
            assertFalse(v.evidence().isEmpty() && v.severity() != Verdict.Severity.OK, "a flagged verdict carries evidence: " + v);
            if (v.severity().compareTo(Verdict.Severity.WARNING) >= 0) {
                assertFalse(v.remedies().isEmpty(), "a flagged verdict carries remedies: " + v);
            }
        }
    }

    @Test
    void aLayerWithExactlyZeroGradientIsDead() {
        List<StepRecord> steps = new ArrayList<>();
        for (StepRecord r : run(0.9, s -> 1.0, s -> 0.5, Map.of(), -1)) {
            Map<String, LayerStats> layers = new LinkedHashMap<>(r.layers());
            if (r.step() >= 50) {
                layers.put("fc0", new LayerStats(0.0, 0.0, 1.0, 0.0, Double.NaN, 0));
            }
            steps.add(new StepRecord(r.step(), r.epoch(), r.loss(), r.learningRate(), r.elapsedMillis(), r.gradNorm(), false, layers,
                    Map.of(), Map.of()));
        }
        List<Verdict> vs = GradientDoctor.standard().diagnose(new RunView(steps, SIGMOID_MLP, Double.NaN));
        Verdict d = vs.stream().filter(v -> v.detector().equals("dead_layer")).findFirst().orElseThrow(() -> new AssertionError(vs.toString()));
        assertEquals(Verdict.Severity.CRITICAL, d.severity());
        assertTrue(d.evidence().get(0).startsWith("fc0"), d.evidence().toString());
    }

    @Test
    void remediesAreConcreteForTheNetwork() {
        Verdict v = GradientDoctor.standard().diagnose(new RunView(run(0.1, s -> 1.0, s -> 2.0, Map.of(), -1), SIGMOID_MLP, Double.NaN))
                .stream().filter(x -> x.detector().equals("vanishing")).findFirst().orElseThrow();
        assertTrue(v.remedies().get(0).contains("5 saturating") && v.remedies().get(0).contains("He"), v.remedies().get(0));
        Verdict e = GradientDoctor.standard().diagnose(new RunView(run(0.9, s -> Math.pow(1.06, s), s -> 1.0 + s * 0.01, Map.of(), -1),
                SIGMOID_MLP, Double.NaN)).stream().filter(x -> x.detector().equals("exploding")).findFirst().orElseThrow();
        assertTrue(e.remedies().get(0).contains("clip_global_norm(max_norm="), e.remedies().get(0));
        assertTrue(e.remedies().get(1).contains("0.01"), "learning rate 0.1 lowered to 0.01: " + e.remedies().get(1));
    }

    @Test
    void lag1AutocorrelationSeparatesSmoothFromNoise() {
        double[] smooth = new double[256];
        double[] noise = new double[256];
        Rng rng = new Rng(5);
        for (int i = 0; i < 256; i++) {
            smooth[i] = Math.sin(i / 20.0);
            noise[i] = rng.nextGaussian();
        }
        assertTrue(GradientAutocorrelation.lag1(smooth) > 0.95);
        assertTrue(Math.abs(GradientAutocorrelation.lag1(noise)) < 0.2);
    }

    /** A batch-normalized ReLU MLP of the given depth, plain or residual, with He-scaled random weights (Balduzzi et al.'s set-up). */
    static final class ProbeNet extends Module {
        private final List<Parameter> ws = new ArrayList<>();
        private final List<Parameter> bs = new ArrayList<>();
        private final boolean residual;
        private final Parameter in;
        private final Parameter out;

        ProbeNet(int depth, int width, boolean residual, Rng rng) {
            this.residual = residual;
            in = registerParameter("in", new Parameter(scaled(Tensor.randn(rng, 1, width), 1.0)));
            for (int i = 0; i < depth; i++) {
                ws.add(registerParameter("w" + i, new Parameter(scaled(Tensor.randn(rng, width, width), Math.sqrt(2.0 / width)))));
                // non-zero biases: without them a 1-D ReLU network is linear on each side of 0
                bs.add(registerParameter("b" + i, new Parameter(scaled(Tensor.randn(rng, width), 0.5))));
            }
            out = registerParameter("out", new Parameter(scaled(Tensor.randn(rng, width, 1), Math.sqrt(1.0 / width))));
        }

        private static Tensor scaled(Tensor t, double s) {
            return Engine.serial().scaleShift(t, (float) s, 0f);
        }

        @Override
        public Var forward(Var x) {
            Var h = x.matmul(x.tape().param(in));
            for (int i = 0; i < ws.size(); i++) {
                Var z = h.matmul(x.tape().param(ws.get(i))).add(x.tape().param(bs.get(i)));
                Var c = z.sub(z.mean(0, true));
                Var f = c.div(c.square().mean(0, true).add(1e-5f).sqrt()).relu(); // batch normalization over the line

                h = residual ? h.add(f.mul(0.5f)) : f;
            }
            return h.matmul(x.tape().param(out));
        }
    }

    @Test
    void deepPlainNetworksShatterAndResidualOnesDoNot() {
        Engine e = Engine.serial();
        double shallow = GradientAutocorrelation.measure(new ProbeNet(1, 100, false, new Rng(1)), 1, 256, new Rng(9), e);
        double deep = GradientAutocorrelation.measure(new ProbeNet(24, 100, false, new Rng(1)), 1, 256, new Rng(9), e);
        double res = GradientAutocorrelation.measure(new ProbeNet(24, 100, true, new Rng(1)), 1, 256, new Rng(9), e);
        assertTrue(shallow > 0.8, "shallow " + shallow);
        assertTrue(deep < shallow - 0.3, "deep plain " + deep + " vs shallow " + shallow);
        assertTrue(res > deep + 0.3, "residual " + res + " vs deep plain " + deep);
    }
}
