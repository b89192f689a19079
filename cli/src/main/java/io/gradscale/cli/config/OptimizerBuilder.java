package io.gradscale.cli.config;

import io.gradscale.nn.Module;
import io.gradscale.optim.Optimizers;
import io.gradscale.optim.ScaleByAdadelta;
import io.gradscale.optim.ScaleByAdagrad;
import io.gradscale.optim.ScaleByAdam;
import io.gradscale.optim.ScaleByNadam;
import io.gradscale.optim.ScaleByRms;
import io.gradscale.tensor.Engine;
import io.gradscale.train.OptimizerFactory;
import io.gradscale.transform.AutoClip;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.LossScaler;
import io.gradscale.transform.NonFinitePolicy;
import io.gradscale.transform.NormScope;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.PrivateAggregate;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import io.gradscale.transform.ZClip;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@code transforms}, {@code optimizer}, {@code schedule} and {@code loss_scaling} sections
 * into an {@link OptimizerFactory}: the transforms run in the order given, then the optimizer's chain.
 *
 * <pre>
 * transforms:
 *   - {type: guard, policy: skip}               # skip | zero | fail
 *   - {type: clip_global_norm, max_norm: 1.0, p: 2}
 *   - {type: clip_layer_norm, max_norm: 1.0}    # also clip_tensor_norm
 *   - {type: clip_value, clip: 0.5}
 *   - {type: normalize, scope: global}          # tensor | layer | global
 *   - {type: agc, clipping: 0.01, exclude: [head]}
 *   - {type: autoclip, percentile: 10}
 *   - {type: zclip, alpha: 0.97, threshold: 2.5, warmup: 25}
 *   - {type: weight_decay, lambda: 1e-4}
 * optimizer: {type: adam, lr: 0.001, b1: 0.9, b2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false}
 *   # sgd (lr, momentum, dampening, nesterov, weight_decay) | adam | adamw | rmsprop (alpha, eps, momentum,
 *   # centered) | adagrad (lr_decay, initial_accumulator) | adadelta (rho) | nadam (momentum_decay)
 * schedule: {type: constant}   # constant | step (step_size, gamma) | exponential (gamma) | cosine (total, min)
 *                              # | warmup_cosine (warmup, total, min)
 * loss_scaling: false          # dynamic loss scaling with PyTorch GradScaler's defaults
 * </pre>
 */
public final class OptimizerBuilder {
    /** The built optimizer factory, the base learning rate, and a description (for facts and the log). */
    public record Built(OptimizerFactory factory, double lr, String clipping, String summary) {
    }

    /** Threshold of the clip_*_norm transforms when the configuration gives none. */
    public static final double DEFAULT_MAX_NORM = 1.0;
    /** The p of the clip_*_norm transforms' p-norm when the configuration gives none. */
    public static final double DEFAULT_NORM_P = 2.0;

    private static final String[] TRANSFORMS = {"guard", "clip_global_norm", "clip_layer_norm", "clip_tensor_norm", "clip_value",
        "normalize", "agc", "autoclip", "zclip", "weight_decay"};
    private static final String[] OPTIMIZERS = {"sgd", "adam", "adamw", "amsgrad", "rmsprop", "adagrad", "adadelta", "nadam"};

    private OptimizerBuilder() {
    }

    /**
     * DP-SGD's private aggregation ({@link PrivateAggregate}), put first in the chain so that every later transform
     * and the optimizer see only the privatized gradient.
     *
     * @param targetEpsilon the budget the noise multiplier was found for (NaN when it was given)
     * @param samplingRate  {@code q}, the expected fraction of the data in a step
     * @param steps         the steps the budget covers
     */
    public record Privacy(double maxGradNorm, double noiseMultiplier, double expectedBatchSize, long seed, double targetEpsilon,
                          double delta, double samplingRate, long steps) {
        String summary() {
            return String.format(java.util.Locale.ROOT, "dp(max_grad_norm=%s, noise_multiplier=%.4f%s, delta=%s, q=%.4g, %d steps)",
                    maxGradNorm, noiseMultiplier, Double.isNaN(targetEpsilon) ? "" : " for epsilon " + targetEpsilon, delta,
                    samplingRate, steps);
        }
    }

    public static Built build(ConfigNode root, Module model, Engine engine) {
        return build(root, model, engine, null);
    }

    /** With {@code privacy} not null, the chain starts with its private aggregation. */
    public static Built build(ConfigNode root, Module model, Engine engine, Privacy privacy) {
        List<ConfigNode> ts = root.list("transforms");
        List<String> names = new ArrayList<>();
        String clipping = "";
        List<java.util.function.Supplier<GradientTransform<?>>> parts = new ArrayList<>();
        for (ConfigNode t : ts) {
            String type = t.choice("type", null, TRANSFORMS);
            names.add(type);
            GradientTransform<?> proto;
            try {
                proto = transform(type, t);
            } catch (IllegalArgumentException e) {
                // a value inside the field's range that the transform still refuses (max_norm: 0): name the field
                throw new ConfigException(t.path() + ": " + e.getMessage(), e);
            }
            t.done();
            if (type.startsWith("clip") || type.equals("agc") || type.equals("autoclip") || type.equals("zclip")) {
                clipping = clipping.isEmpty() ? type : clipping + "+" + type;
            }
            // each optimizer instance gets its own transform objects (they hold configuration only, but stay unshared)
            ConfigNode copy = t;
            parts.add(() -> transform(type, copy));
            if (proto == null) {
                throw new ConfigException(t.path() + ": could not build transform " + type);
            }
        }
        ConfigNode o = root.object("optimizer");
        String type = o.choice("type", "adam", OPTIMIZERS);
        double defLr = switch (type) {
            case "sgd" -> 0.01;
            case "rmsprop" -> Optimizers.RMSPROP_LR;
            case "adagrad" -> Optimizers.ADAGRAD_LR;
            case "adadelta" -> Optimizers.ADADELTA_LR;
            case "nadam" -> Optimizers.NADAM_LR;
            default -> Optimizers.ADAM_LR;
        };
        double lr = o.number("lr", defLr, 0, 1e6);
        double wd = o.number("weight_decay", type.equals("adamw") ? Optimizers.ADAMW_WEIGHT_DECAY : 0.0, 0, 1e3);
        double momentum = type.equals("sgd") || type.equals("rmsprop") ? o.number("momentum", 0.0, 0, 1) : 0;
        double dampening = type.equals("sgd") ? o.number("dampening", 0.0, 0, 1) : 0;
        boolean nesterov = type.equals("sgd") && o.bool("nesterov", false);
        double b1 = type.startsWith("adam") || type.equals("amsgrad") || type.equals("nadam") ? o.number("b1", ScaleByAdam.DEFAULT_B1, 0, 1) : 0;
        double b2 = type.startsWith("adam") || type.equals("amsgrad") || type.equals("nadam") ? o.number("b2", ScaleByAdam.DEFAULT_B2, 0, 1) : 0;
        double eps = o.number("eps", switch (type) {
            case "adagrad" -> ScaleByAdagrad.DEFAULT_EPS;
            case "adadelta" -> ScaleByAdadelta.DEFAULT_EPS;
            case "rmsprop" -> ScaleByRms.DEFAULT_EPS;
            default -> ScaleByAdam.DEFAULT_EPS;
        }, 0, 1);
        boolean amsgrad = type.equals("amsgrad") || ((type.equals("adam") || type.equals("adamw")) && o.bool("amsgrad", false));
        double alpha = type.equals("rmsprop") ? o.number("alpha", ScaleByRms.DEFAULT_ALPHA, 0, 1) : 0;
        boolean centered = type.equals("rmsprop") && o.bool("centered", false);
        double lrDecay = type.equals("adagrad") ? o.number("lr_decay", 0, 0, 1e6) : 0;
        double initAcc = type.equals("adagrad") ? o.number("initial_accumulator", ScaleByAdagrad.DEFAULT_INITIAL_ACCUMULATOR, 0, 1e6) : 0;
        double rho = type.equals("adadelta") ? o.number("rho", ScaleByAdadelta.DEFAULT_RHO, 0, 1) : 0;
        double mdecay = type.equals("nadam") ? o.number("momentum_decay", ScaleByNadam.DEFAULT_MOMENTUM_DECAY, 0, 1) : 0;
        o.done();
        ConfigNode s = root.object("schedule");
        String st = s.choice("type", "constant", "constant", "step", "exponential", "cosine", "warmup_cosine");
        long stepSize = st.equals("step") ? s.longValue("step_size", 1000) : 0;
        double gamma = st.equals("step") || st.equals("exponential") ? s.number("gamma", st.equals("step") ? 0.1 : 0.999, 0, 1) : 0;
        long total = st.contains("cosine") ? s.longValue("total", 10_000) : 0;
        double min = st.contains("cosine") ? s.number("min", 0.0, 0, 1e6) : 0;
        long warmup = st.equals("warmup_cosine") ? s.longValue("warmup", 100) : 0;
        s.done();
        boolean scaling = root.bool("loss_scaling", false);
        java.util.function.DoubleFunction<Schedule> schedule = m -> switch (st) {
            case "step" -> new Schedule.StepDecay(lr * m, stepSize, gamma);
            case "exponential" -> new Schedule.Exponential(lr * m, gamma);
            case "cosine" -> new Schedule.Cosine(lr * m, total, min * m);
            case "warmup_cosine" -> new Schedule.LinearWarmup(warmup, 0.0, new Schedule.Cosine(lr * m, total, min * m));
            default -> Schedule.constant(lr * m);
        };
        OptimizerFactory factory = m -> {
            Schedule sch = schedule.apply(m);
            GradientTransform<?> opt = switch (type) {
                case "sgd" -> Optimizers.sgd(sch, momentum, dampening, nesterov, wd);
                case "adam", "amsgrad" -> Optimizers.adam(sch, b1, b2, eps, wd, amsgrad);
                case "adamw" -> Optimizers.adamW(sch, b1, b2, eps, wd, amsgrad);
                case "rmsprop" -> Optimizers.rmsprop(sch, alpha, eps, wd, momentum, centered);
                case "adagrad" -> Optimizers.adagrad(lr * m, lrDecay, wd, initAcc, eps);
                case "adadelta" -> Optimizers.adadelta(sch, rho, eps, wd);
                default -> Optimizers.nadam(sch, b1, b2, eps, wd, mdecay);
            };
            List<GradientTransform<?>> chain = new ArrayList<>();
            if (privacy != null) {
                chain.add(new PrivateAggregate(privacy.maxGradNorm(), privacy.noiseMultiplier(), privacy.expectedBatchSize(),
                        privacy.seed()));
            }
            for (var p : parts) {
                chain.add(p.get());
            }
            chain.add(opt);
            return new GradientStep(ParameterSet.of(model), Transforms.chain(chain), scaling ? LossScaler.defaults() : null, engine);
        };
        String summary = (privacy == null ? "" : privacy.summary() + " -> ")
                + (names.isEmpty() ? "" : String.join(" -> ", names) + " -> ") + type + "(lr=" + lr + ")"
                + (st.equals("constant") ? "" : " with " + st + " schedule") + (scaling ? ", dynamic loss scaling" : "");
        return new Built(factory, lr, privacy == null ? clipping : clipping.isEmpty() ? "dp" : "dp+" + clipping, summary);
    }

    private static GradientTransform<?> transform(String type, ConfigNode t) {
        return switch (type) {
            case "guard" -> Transforms.guard(switch (t.choice("policy", "skip", "skip", "zero", "fail")) {
                case "zero" -> NonFinitePolicy.ZERO;
                case "fail" -> NonFinitePolicy.FAIL;
                default -> NonFinitePolicy.SKIP;
            });
            case "clip_global_norm" -> Transforms.clipByGlobalNorm(t.number("max_norm", DEFAULT_MAX_NORM, 0, 1e12), t.number("p", DEFAULT_NORM_P, 1, Double.POSITIVE_INFINITY));
            case "clip_layer_norm" -> Transforms.clipByLayerNorm(t.number("max_norm", DEFAULT_MAX_NORM, 0, 1e12), t.number("p", DEFAULT_NORM_P, 1, Double.POSITIVE_INFINITY));
            case "clip_tensor_norm" -> Transforms.clipByTensorNorm(t.number("max_norm", DEFAULT_MAX_NORM, 0, 1e12), t.number("p", DEFAULT_NORM_P, 1, Double.POSITIVE_INFINITY));
            case "clip_value" -> Transforms.clipByValue(t.number("clip", 1.0, 0, 1e12));
            case "normalize" -> Transforms.normalize(switch (t.choice("scope", "global", "tensor", "layer", "global")) {
                case "tensor" -> NormScope.TENSOR;
                case "layer" -> NormScope.LAYER;
                default -> NormScope.GLOBAL;
            }, t.number("p", 2.0, 1, Double.POSITIVE_INFINITY));
            case "agc" -> {
                double c = t.number("clipping", 0.01, 0, 1e6);
                List<String> exclude = new ArrayList<>();
                var raw = t.raw("exclude");
                if (raw != null) {
                    raw.forEach(x -> exclude.add(x.asText()));
                }
                yield exclude.isEmpty() ? Transforms.adaptiveClip(c)
                        : Transforms.adaptiveClip(c, r -> exclude.stream().anyMatch(e -> r.path().equals(e) || r.path().startsWith(e + ".")));
            }
            case "autoclip" -> Transforms.autoClip(t.number("percentile", AutoClip.DEFAULT_PERCENTILE, 0, 100),
                    t.integer("capacity", AutoClip.DEFAULT_CAPACITY, 1, 100_000_000));
            case "zclip" -> Transforms.zClip(t.number("alpha", ZClip.DEFAULT_ALPHA, 0, 1), t.number("threshold", ZClip.DEFAULT_THRESHOLD, 0, 1e6),
                    t.integer("warmup", ZClip.DEFAULT_WARMUP_STEPS, 0, 1_000_000));
            case "weight_decay" -> Transforms.weightDecay(t.number("lambda", 1e-4, 0, 1e3));
            default -> throw new ConfigException(t.path() + ".type: unknown transform '" + type + "'");
        };
    }
}
