package io.gradscale.optim;

import io.gradscale.autograd.Parameter;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every optimizer converges on an ill-conditioned quadratic and on Rosenbrock's function. */
class ConvergenceTest {
    record Case(String name, Supplier<GradientTransform<?>> transform, int steps) {
    }

    private static Schedule c(double lr) {
        return Schedule.constant(lr);
    }

    static final Case[] QUADRATIC = {
            new Case("sgd", () -> Optimizers.sgd(0.2), 500),
            new Case("sgd momentum", () -> Optimizers.sgd(c(0.05), 0.9, 0, false, 0), 500),
            new Case("sgd nesterov", () -> Optimizers.sgd(c(0.05), 0.9, 0, true, 0), 500),
            new Case("adam", () -> Optimizers.adam(0.05), 2000),
            new Case("adamw", () -> Optimizers.adamW(c(0.05), 0.9, 0.999, 1e-8, 1e-6, false), 2000),
            new Case("amsgrad", () -> Optimizers.amsgrad(0.05), 2000),
            new Case("rmsprop", () -> Optimizers.rmsprop(Schedule.constant(0.01), 0.99, 1e-8, 0, 0, false), 2000),
            new Case("rmsprop centered momentum", () -> Optimizers.rmsprop(c(0.003), 0.99, 1e-8, 0, 0.9, true), 2000),
            new Case("adagrad", () -> Optimizers.adagrad(0.5, 0, 0, 0, 1e-10), 2000),
            // Adadelta with a constant rate stalls near the optimum (PyTorch too: f = 6.75e-3 here); it needs a decaying rate.
            new Case("adadelta, cosine", () -> Optimizers.adadelta(new Schedule.Cosine(1.0, 5000, 0), 0.9, 1e-6, 0), 5000),
            new Case("nadam", () -> Optimizers.nadam(c(0.05), 0.9, 0.999, 1e-8, 0, 4e-3), 2000),
            new Case("clipped adam, cosine", () -> Transforms.chain(Transforms.clipByGlobalNorm(1.0),
                    Optimizers.adam(new Schedule.LinearWarmup(50, 0.1, new Schedule.Cosine(0.05, 2000, 0)), 0.9, 0.999, 1e-8, 0, false)), 2000),
    };

    static final Case[] ROSENBROCK = {
            new Case("sgd momentum", () -> Optimizers.sgd(c(2e-4), 0.9, 0, false, 0), 20000),
            new Case("sgd nesterov", () -> Optimizers.sgd(c(2e-4), 0.9, 0, true, 0), 20000),
            new Case("adam", () -> Optimizers.adam(0.01), 10000),
            new Case("adamw", () -> Optimizers.adamW(c(0.01), 0.9, 0.999, 1e-8, 1e-6, false), 10000),
            new Case("amsgrad", () -> Optimizers.amsgrad(0.01), 10000),
            new Case("rmsprop", () -> Optimizers.rmsprop(c(1e-3), 0.99, 1e-8, 0, 0, false), 20000),
            new Case("rmsprop centered momentum", () -> Optimizers.rmsprop(c(1e-4), 0.99, 1e-8, 0, 0.9, true), 20000),
            new Case("adagrad", () -> Optimizers.adagrad(0.5, 0, 0, 0, 1e-10), 20000),
            new Case("adadelta, cosine", () -> Optimizers.adadelta(new Schedule.Cosine(1.0, 50000, 0), 0.9, 1e-6, 0), 50000),
            new Case("nadam", () -> Optimizers.nadam(c(0.01), 0.9, 0.999, 1e-8, 0, 4e-3), 10000),
            new Case("agc + sgd momentum", () -> Transforms.chain(Transforms.adaptiveClip(0.5),
                    Optimizers.sgd(c(2e-4), 0.9, 0, false, 0)), 20000),
    };

    interface Objective {
        /** Writes the gradient at {@code x} into {@code g} and returns the value. */
        double eval(float[] x, float[] g);
    }

    static final int DIM = 10;

    static double quadratic(float[] x, float[] g) {
        double f = 0;
        for (int i = 0; i < x.length; i++) {
            double a = 0.5 + 1.5 * i / (x.length - 1);
            double d = x[i] - (i % 3 - 1);
            f += a * d * d;
            g[i] = (float) (2 * a * d);
        }
        return f;
    }

    static double rosenbrock(float[] x, float[] g) {
        double a = x[0];
        double b = x[1];
        g[0] = (float) (-2 * (1 - a) - 400 * a * (b - a * a));
        g[1] = (float) (200 * (b - a * a));
        return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
    }

    private static double run(Case c, float[] start, Objective obj) {
        Parameter p = new Parameter(Tensor.of(start, start.length));
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("x", p);
        GradientStep opt = new GradientStep(ParameterSet.of(m), c.transform().get(), Engine.serial());
        for (int s = 0; s < c.steps(); s++) {
            obj.eval(p.value().data(), p.grad().data());
            opt.step();
        }
        return obj.eval(p.value().data(), new float[start.length]);
    }

    @Test
    void everyOptimizerConvergesOnAQuadratic() {
        float[] start = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            start[i] = 3f - 0.5f * i;
        }
        double f0 = quadratic(start, new float[DIM]);
        StringBuilder failures = new StringBuilder();
        for (Case c : QUADRATIC) {
            double f = run(c, start, ConvergenceTest::quadratic);
            if (!(f < 1e-6 * f0)) {
                failures.append(c.name()).append(": f=").append(f).append(" (start ").append(f0).append(")\n");
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void everyOptimizerConvergesOnRosenbrock() {
        float[] start = {-1.2f, 1f};
        StringBuilder failures = new StringBuilder();
        for (Case c : ROSENBROCK) {
            double f = run(c, start, ConvergenceTest::rosenbrock);
            if (!(f < 1e-3)) {
                failures.append(c.name()).append(": f=").append(f).append('\n');
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }
}
