package io.gradscale.transform;

import io.gradscale.autograd.Parameter;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Skipped steps, guards, loss scaling and determinism of a whole optimizer step. */
class GradientStepTest {
    private static Tensor[] weights(ParameterSet params) {
        Tensor[] w = new Tensor[params.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = params.parameter(i).value().copy();
        }
        return w;
    }

    private static void randomGrads(ParameterSet params, Rng rng, float scale) {
        for (int i = 0; i < params.size(); i++) {
            float[] g = params.parameter(i).grad().data();
            for (int j = 0; j < g.length; j++) {
                g[j] = (float) rng.nextGaussian() * scale;
            }
        }
    }

    static List<GradientTransform<?>> optimizers() {
        return List.of(Optimizers.sgd(io.gradscale.transform.Schedule.constant(0.1), 0.9, 0, true, 0.01),
                Optimizers.adam(), Optimizers.adamW(), Optimizers.amsgrad(1e-3), Optimizers.rmsprop(),
                Optimizers.rmsprop(io.gradscale.transform.Schedule.constant(0.01), 0.99, 1e-8, 0, 0.9, true),
                Optimizers.adagrad(), Optimizers.adadelta(), Optimizers.nadam(),
                Transforms.chain(Transforms.zClip(), Transforms.autoClip(), Transforms.clipByGlobalNorm(1), Optimizers.adam()));
    }

    @Test
    void aSkippedStepChangesNoWeightAndNoState() {
        for (GradientTransform<?> t : optimizers()) {
            ParameterSet params = Fixtures.params(3, 1f);
            GradientStep opt = new GradientStep(params, t, Engine.serial());
            Rng rng = new Rng(9);
            for (int s = 0; s < 30; s++) {
                randomGrads(params, rng, 1f);
                opt.step();
            }
            String stateBefore = opt.writeState();
            Tensor[] before = weights(params);
            randomGrads(params, rng, 1f);
            params.parameter(2).grad().data()[1] = Float.NaN;
            Metrics m = opt.step();
            assertEquals(1.0, m.get("skipped"));
            assertEquals(1.0, m.get("guard.skipped"));
            Tensor[] after = weights(params);
            for (int i = 0; i < before.length; i++) {
                assertTrue(before[i].bitEquals(after[i]), t + ": weight " + i + " changed on a skipped step");
            }
            String stateAfter = opt.writeState();
            assertEquals(stateBefore.replace("\"skippedSteps\":0", "\"skippedSteps\":1").replace("\"step\":30", "\"step\":31"),
                    stateAfter, "only the skip counter and step index may change");
        }
    }

    @Test
    void guardPolicies() {
        ParameterSet params = Fixtures.params(4, 1f);
        params.parameter(1).grad().data()[2] = Float.POSITIVE_INFINITY;
        params.parameter(1).grad().data()[3] = Float.NaN;

        GradientStep zero = new GradientStep(params, Transforms.chain(Transforms.guard(NonFinitePolicy.ZERO),
                Transforms.scaleByLearningRate(1.0)), Engine.serial());
        Tensor[] before = weights(params);
        Metrics m = zero.step();
        assertEquals(2.0, m.get("guard.nonfinite"));
        assertEquals(0.0, m.get("skipped"));
        assertEquals(before[1].data()[2], params.parameter(1).value().data()[2], "a zeroed gradient moved its weight");
        assertTrue(Float.isFinite(params.parameter(1).value().data()[3]));

        GradientStep fail = new GradientStep(params, Transforms.chain(Transforms.guard(NonFinitePolicy.FAIL),
                Transforms.scaleByLearningRate(1.0)), Engine.serial());
        var e = assertThrows(NonFiniteGradientException.class, fail::step);
        assertEquals("a.bias", e.path());
        assertTrue(e.getMessage().contains("'a.bias'") && e.getMessage().contains("2 non-finite"), e.getMessage());

        GradientStep allow = new GradientStep(params, Transforms.chain(Transforms.guard(NonFinitePolicy.ALLOW),
                Transforms.scaleByLearningRate(1.0)), Engine.serial());
        allow.step();
        assertTrue(Float.isNaN(params.parameter(1).value().data()[3]), "ALLOW must let NaN through, as asked");
    }

    @Test
    void aGuardIsPutFirstUnlessTheChainStartsWithOne() {
        ParameterSet params = Fixtures.params(5, 1f);
        GradientStep opt = new GradientStep(params, Optimizers.adam(), Engine.serial());
        Chain c = (Chain) opt.transform();
        assertTrue(c.parts().get(0) instanceof NonFiniteGuard g && g.policy() == NonFinitePolicy.SKIP);
        GradientTransform<?> own = Transforms.chain(Transforms.guard(NonFinitePolicy.ZERO), Optimizers.adam());
        assertTrue(new GradientStep(params, own, Engine.serial()).transform() == own);
    }

    @Test
    void lossScalingUnscalesBeforeClippingAndFollowsGradScaler() {
        ParameterSet params = Fixtures.params(6, 1f);
        LossScaler scaler = new LossScaler(1024, 2, 0.5, 3);
        GradientStep opt = new GradientStep(params, Transforms.chain(Transforms.clipByGlobalNorm(0.5),
                Transforms.scaleByLearningRate(0.1)), scaler, Engine.serial());
        Rng rng = new Rng(1);
        double[] expectedScale = {1024, 1024, 1024, 2048, 2048, 1024, 1024, 1024, 2048};
        for (int s = 0; s < expectedScale.length; s++) {
            assertEquals(expectedScale[s], opt.lossScale(), "step " + s);
            randomGrads(params, rng, 1f);
            Updates plain = Fixtures.updates(params);
            double trueNorm = Norms.groupNorm(plain, NormScope.GLOBAL.groups(params)[0], 2.0);
            for (int i = 0; i < params.size(); i++) {
                Norms.scale(Engine.serial(), params.parameter(i).grad(), (float) opt.lossScale());
            }
            boolean overflow = s == 4;
            if (overflow) {
                params.parameter(0).grad().data()[0] = Float.POSITIVE_INFINITY;
            }
            Tensor[] before = weights(params);
            Metrics m = opt.step();
            assertEquals(overflow ? 1.0 : 0.0, m.get("skipped"), "step " + s);
            if (overflow) {
                for (int i = 0; i < before.length; i++) {
                    assertTrue(before[i].bitEquals(params.parameter(i).value()));
                }
            } else {
                assertEquals(trueNorm, m.get("clip_global_norm.norm"), trueNorm * 1e-6,
                        "the clip must see the unscaled norm");
            }
        }
    }

    @Test
    void sameBitsOnOneThreadAndOnTwo() {
        int n = 100_003;
        Rng rng = new Rng(11);
        Tensor w0 = Tensor.randn(rng, n);
        Tensor g0 = Tensor.randn(rng, n);
        Tensor[] results = new Tensor[2];
        for (int threads = 1; threads <= 2; threads++) {
            Map<String, Parameter> m = new LinkedHashMap<>();
            Parameter p = new Parameter(w0.copy());
            p.grad().copyFrom(g0);
            m.put("w", p);
            Engine engine = Engine.withThreads(threads);
            try {
                GradientStep opt = new GradientStep(ParameterSet.of(m),
                        Transforms.chain(Transforms.clipByGlobalNorm(1.0), Optimizers.adam(0.01)), engine);
                for (int s = 0; s < 3; s++) {
                    opt.step();
                }
            } finally {
                engine.parallel().close();
            }
            results[threads - 1] = p.value();
        }
        assertTrue(results[0].bitEquals(results[1]));
    }

    @Test
    void frozenParametersAreLeftOut() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("a.w", new Parameter(Tensor.ones(2)));
        Parameter frozen = new Parameter(Tensor.ones(2));
        frozen.setFrozen(true);
        m.put("b.w", frozen);
        ParameterSet ps = ParameterSet.of(m);
        assertEquals(List.of("a.w"), ps.paths());
        assertEquals(List.of("a"), ps.layers());
        assertFalse(ps.paths().contains("b.w"));
    }
}
