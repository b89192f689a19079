package io.gradscale.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.autograd.Parameter;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.Chain;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Multi-step trajectories of every optimizer, with and without clipping, against PyTorch 1.13's, written
 * by {@code core/src/test/python/gen_optim_golden.py}.
 */
class PyTorchParityTest {
    /** Relative tolerance, with an absolute floor for values near zero. */
    static final double REL = 1e-6;
    static final double ABS = 1e-7;

    @TestFactory
    List<DynamicTest> trajectoriesMatchPyTorch() throws IOException {
        JsonNode root;
        try (InputStream in = PyTorchParityTest.class.getResourceAsStream("/golden/optim.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> runCase(c)));
        }
        assertTrue(tests.size() >= 20, "expected the golden file to hold at least 20 cases");
        return tests;
    }

    private static float[] floats(JsonNode arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) arr.get(i).asDouble();
        }
        return f;
    }

    private static int[] ints(JsonNode arr) {
        int[] d = new int[arr.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = arr.get(i).asInt();
        }
        return d;
    }

    private static void runCase(JsonNode c) {
        int n = c.get("shapes").size();
        Map<String, Parameter> named = new LinkedHashMap<>();
        List<Parameter> ps = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Parameter p = new Parameter(Tensor.wrap(floats(c.get("init").get(i)), ints(c.get("shapes").get(i))));
            named.put("layer" + i + ".weight", p);
            ps.add(p);
            targets.add(floats(c.get("target").get(i)));
        }
        GradientStep opt = new GradientStep(ParameterSet.of(named), transformFor(c), Engine.serial());
        JsonNode traj = c.get("trajectory");
        double worst = 0;
        for (int t = 0; t < traj.size(); t++) {
            for (int i = 0; i < n; i++) {
                float[] w = ps.get(i).value().data();
                float[] g = ps.get(i).grad().data();
                float[] noise = floats(c.get("noise").get(t).get(i));
                for (int j = 0; j < w.length; j++) {
                    g[j] = (w[j] - targets.get(i)[j]) * 2.0f + noise[j];
                }
            }
            opt.step();
            for (int i = 0; i < n; i++) {
                float[] want = floats(traj.get(t).get(i));
                float[] got = ps.get(i).value().data();
                for (int j = 0; j < want.length; j++) {
                    double err = Math.abs(got[j] - want[j]);
                    worst = Math.max(worst, err / Math.max(Math.abs(want[j]), ABS / REL));
                    if (err > REL * Math.abs(want[j]) + ABS) {
                        fail(c.get("name").asText() + ": step " + (t + 1) + ", tensor " + i + ", element " + j + ": got "
                                + got[j] + ", PyTorch " + want[j] + " (relative error " + err / Math.abs(want[j]) + ")");
                    }
                }
            }
        }
        System.out.printf("parity %-32s worst relative error %.2e%n", c.get("name").asText(), worst);
    }

    private static double num(JsonNode kw, String key, double dflt) {
        return kw.has(key) ? kw.get(key).asDouble() : dflt;
    }

    static GradientTransform<?> transformFor(JsonNode c) {
        JsonNode kw = c.get("kwargs");
        String opt = c.get("optimizer").asText();
        double lr = kw.has("lr") ? kw.get("lr").asDouble() : Double.NaN;
        Schedule schedule = Schedule.constant(Double.isNaN(lr) ? defaultLr(opt) : lr);
        JsonNode s = c.get("schedule");
        if (s != null && !s.isNull()) {
            schedule = switch (s.get("kind").asText()) {
                case "StepLR" -> new Schedule.StepDecay(lr, s.get("step_size").asLong(), s.get("gamma").asDouble());
                case "CosineAnnealingLR" -> new Schedule.Cosine(lr, s.get("T_max").asLong(), s.get("eta_min").asDouble());
                case "ExponentialLR" -> new Schedule.Exponential(lr, s.get("gamma").asDouble());
                default -> throw new IllegalArgumentException("unknown schedule " + s);
            };
        }
        double b1 = kw.has("betas") ? kw.get("betas").get(0).asDouble() : ScaleByAdam.DEFAULT_B1;
        double b2 = kw.has("betas") ? kw.get("betas").get(1).asDouble() : ScaleByAdam.DEFAULT_B2;
        double wd = num(kw, "weight_decay", 0);
        Chain chain = switch (opt) {
            case "SGD" -> Optimizers.sgd(schedule, num(kw, "momentum", 0), num(kw, "dampening", 0),
                    kw.has("nesterov") && kw.get("nesterov").asBoolean(), wd);
            case "Adam" -> Optimizers.adam(schedule, b1, b2, num(kw, "eps", ScaleByAdam.DEFAULT_EPS), wd,
                    kw.has("amsgrad") && kw.get("amsgrad").asBoolean());
            case "AdamW" -> Optimizers.adamW(schedule, b1, b2, num(kw, "eps", ScaleByAdam.DEFAULT_EPS),
                    num(kw, "weight_decay", Optimizers.ADAMW_WEIGHT_DECAY), false);
            case "RMSprop" -> Optimizers.rmsprop(schedule, num(kw, "alpha", ScaleByRms.DEFAULT_ALPHA),
                    num(kw, "eps", ScaleByRms.DEFAULT_EPS), wd, num(kw, "momentum", 0),
                    kw.has("centered") && kw.get("centered").asBoolean());
            case "Adagrad" -> Optimizers.adagrad(lr, num(kw, "lr_decay", 0), wd,
                    num(kw, "initial_accumulator_value", ScaleByAdagrad.DEFAULT_INITIAL_ACCUMULATOR),
                    num(kw, "eps", ScaleByAdagrad.DEFAULT_EPS));
            case "Adadelta" -> Optimizers.adadelta(schedule, num(kw, "rho", ScaleByAdadelta.DEFAULT_RHO),
                    num(kw, "eps", ScaleByAdadelta.DEFAULT_EPS), wd);
            case "NAdam" -> Optimizers.nadam(schedule, b1, b2, num(kw, "eps", ScaleByAdam.DEFAULT_EPS), wd,
                    num(kw, "momentum_decay", ScaleByNadam.DEFAULT_MOMENTUM_DECAY));
            default -> throw new IllegalArgumentException("unknown optimizer " + opt);
        };
        JsonNode clip = c.get("clip");
        if (clip == null || clip.isNull()) {
            return chain;
        }
        double max = clip.get("max").asDouble();
        if (clip.get("kind").asText().equals("value")) {
            return Transforms.chain(Transforms.clipByValue(max), chain);
        }
        JsonNode p = clip.get("p");
        double order = p.isTextual() || p.asDouble() > 1e300 ? Double.POSITIVE_INFINITY : p.asDouble();
        return Transforms.chain(Transforms.clipByGlobalNorm(max, order), chain);
    }

    private static double defaultLr(String opt) {
        return switch (opt) {
            case "Adadelta" -> Optimizers.ADADELTA_LR;
            case "NAdam" -> Optimizers.NADAM_LR;
            case "RMSprop" -> Optimizers.RMSPROP_LR;
            case "Adagrad" -> Optimizers.ADAGRAD_LR;
            default -> Optimizers.ADAM_LR;
        };
    }
}
