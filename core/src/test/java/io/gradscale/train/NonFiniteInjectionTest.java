package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.LSTM;
import io.gradscale.nn.Linear;
import io.gradscale.nn.MSELoss;
import io.gradscale.nn.Module;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.Metrics;
import io.gradscale.transform.NonFiniteGradientException;
import io.gradscale.transform.NonFinitePolicy;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.Transforms;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * NaN and ±infinity injected into real gradients (an MLP with batch norm, an LSTM; Adam and SGD with
 * Nesterov momentum; guard written first in the chain, or left to the step's own head guard) at
 * random steps, into random elements of random parameters, over many seeds, under each
 * {@link NonFinitePolicy}:
 * <ul>
 *   <li>{@code SKIP}: a step with an injection changes no weight and no optimizer moment (same bits),
 *       is reported skipped; the weights and moments stay finite;</li>
 *   <li>{@code ZERO}: exactly the injected elements are counted as zeroed; weights and moments stay finite;</li>
 *   <li>{@code FAIL}: the step throws, naming the step and the parameter, and changes nothing;</li>
 *   <li>{@code ALLOW}: the values reach the weights, as documented (counted, not an error).</li>
 * </ul>
 * The seed count is {@code -Dgradscale.injection.seeds} (default {@value #DEFAULT_SEEDS});
 * {@code bench/nonfinite-injection.sh} runs the campaign and prints the table of docs/RELIABILITY.md.
 */
class NonFiniteInjectionTest {
    static final int DEFAULT_SEEDS = 4;
    static final int STEPS = 10;
    static final double INJECT_PROBABILITY = 0.4;
    private static final float[] POISON = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a policy's runs counted. */
    static final class Tally {
        int runs;
        int steps;
        int injectedSteps;
        int injectedElements;
        int corruptions; // a non-finite weight or moment after a step (an error under SKIP, ZERO and FAIL)
        int skipsReported;
        long zeroedReported;
        int failuresNamingStepAndTensor;
    }

    private record Case(String model, String optimizer, boolean explicitGuard) {
    }

    @Test
    void injectedNonFiniteGradientsNeverReachTheWeightsUnlessAllowed() {
        int seeds = Integer.getInteger("gradscale.injection.seeds", DEFAULT_SEEDS);
        Map<NonFinitePolicy, Tally> tallies = new EnumMap<>(NonFinitePolicy.class);
        List<Case> cases = new ArrayList<>();
        for (String model : List.of("mlp", "lstm")) {
            for (String opt : List.of("adam", "nesterov")) {
                cases.add(new Case(model, opt, true));
            }
        }
        cases.add(new Case("mlp", "adam", false)); // the step's own head guard (SKIP) with the fused load check
        cases.add(new Case("lstm", "nesterov", false));
        for (NonFinitePolicy policy : NonFinitePolicy.values()) {
            Tally t = new Tally();
            tallies.put(policy, t);
            for (Case c : cases) {
                if (!c.explicitGuard() && policy != NonFinitePolicy.SKIP) {
                    continue;
                }
                for (long seed = 0; seed < seeds; seed++) {
                    run(c, policy, seed, t);
                }
            }
        }
        System.out.println("policy\truns\tsteps\tinjected_steps\tinjected_elements\tcorruptions\tskips_reported\tzeroed_reported"
                + "\tfailures_naming_step_and_tensor");
        tallies.forEach((p, t) -> System.out.println(p + "\t" + t.runs + "\t" + t.steps + "\t" + t.injectedSteps + "\t"
                + t.injectedElements + "\t" + t.corruptions + "\t" + t.skipsReported + "\t" + t.zeroedReported + "\t"
                + t.failuresNamingStepAndTensor));
        for (NonFinitePolicy p : List.of(NonFinitePolicy.SKIP, NonFinitePolicy.ZERO, NonFinitePolicy.FAIL)) {
            assertEquals(0, tallies.get(p).corruptions, p + " let a non-finite value into the weights or moments");
            assertTrue(tallies.get(p).injectedSteps > 0, "no injection happened under " + p);
        }
        assertEquals(tallies.get(NonFinitePolicy.SKIP).injectedSteps, tallies.get(NonFinitePolicy.SKIP).skipsReported);
        assertEquals(tallies.get(NonFinitePolicy.ZERO).injectedElements, tallies.get(NonFinitePolicy.ZERO).zeroedReported);
        // a FAIL run stops at its first injection, so each injected step is one run's failure
        assertEquals(tallies.get(NonFinitePolicy.FAIL).injectedSteps, tallies.get(NonFinitePolicy.FAIL).failuresNamingStepAndTensor);
        assertTrue(tallies.get(NonFinitePolicy.ALLOW).corruptions > 0, "ALLOW should let the injected values through");
    }

    private static void run(Case c, NonFinitePolicy policy, long seed, Tally t) {
        Rng rng = new Rng(1000 * seed + c.hashCode() % 997);
        Engine engine = Engine.serial();
        Module model;
        Function<Tape, Var> loss;
        Rng data = rng.split();
        if (c.model().equals("mlp")) {
            model = new Sequential(new Linear(4, 8, rng), new BatchNorm1d(8), Activation.relu(), new Linear(8, 3, rng));
            Tensor x = Tensor.randn(data, 6, 4);
            Tensor y = Tensor.randn(data, 6, 3);
            loss = tape -> new MSELoss().apply(model.forward(tape.constant(x)), tape.constant(y));
        } else {
            model = new LSTM(3, 5, 1, rng);
            Tensor x = Tensor.randn(data, 4, 6, 3);
            Tensor y = Tensor.randn(data, 4, 6, 5);
            loss = tape -> new MSELoss().apply(model.forward(tape.constant(x)), tape.constant(y));
        }
        GradientTransform<?> opt = c.optimizer().equals("adam") ? Optimizers.adam(1e-2)
                : Optimizers.sgd(io.gradscale.transform.Schedule.constant(1e-2), 0.9, 0, true, 0);
        ParameterSet params = ParameterSet.of(model);
        GradientStep step = new GradientStep(params,
                c.explicitGuard() ? Transforms.chain(Transforms.guard(policy), Transforms.clipByGlobalNorm(1.0), opt)
                        : Transforms.chain(Transforms.clipByGlobalNorm(1.0), opt), engine);
        t.runs++;
        Rng inject = rng.split();
        for (int s = 0; s < STEPS; s++) {
            Tape tape = Tape.recording(engine);
            tape.backward(loss.apply(tape));
            Set<Long> poisoned = new HashSet<>();
            String firstPoisoned = null;
            if (inject.nextDouble() < INJECT_PROBABILITY) {
                int n = 1 + (int) (inject.nextDouble() * 3);
                for (int k = 0; k < n; k++) {
                    int pi = (int) (inject.nextDouble() * params.size());
                    Tensor g = params.parameter(pi).grad();
                    int e = (int) (inject.nextDouble() * g.size());
                    g.data()[e] = POISON[(int) (inject.nextDouble() * POISON.length)];
                    poisoned.add(((long) pi << 32) | e);
                }
                for (int pi = 0; pi < params.size() && firstPoisoned == null; pi++) {
                    for (long key : poisoned) {
                        if (key >>> 32 == pi) {
                            firstPoisoned = params.path(pi);
                        }
                    }
                }
                t.injectedSteps++;
                t.injectedElements += poisoned.size();
            }
            List<float[]> weightsBefore = weights(params);
            String momentsBefore = moments(step);
            t.steps++;
            if (policy == NonFinitePolicy.FAIL && !poisoned.isEmpty()) {
                long stepNo = step.stepCount();
                NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, step::step);
                if (e.getMessage().contains("step " + stepNo + ":") && e.getMessage().contains("'" + firstPoisoned + "'")
                        && e.path().equals(firstPoisoned)) {
                    t.failuresNamingStepAndTensor++;
                }
                if (!sameBits(weightsBefore, weights(params)) || !momentsBefore.equals(moments(step))) {
                    t.corruptions++;
                }
                return; // the run stops here, as a training run would
            }
            Metrics m = step.step(true);
            if (!poisoned.isEmpty() && policy == NonFinitePolicy.SKIP) {
                if (m.get("guard.skipped") == 1) {
                    t.skipsReported++;
                }
                if (!sameBits(weightsBefore, weights(params)) || !momentsBefore.equals(moments(step))) {
                    t.corruptions++;
                }
            }
            if (policy == NonFinitePolicy.ZERO && !poisoned.isEmpty()) {
                t.zeroedReported += (long) m.get("guard.nonfinite");
            }
            if (!allFinite(weights(params)) || !finiteState(step)) {
                t.corruptions++;
                if (policy == NonFinitePolicy.ALLOW) {
                    return; // once through, every later step is non-finite too
                }
            }
            model.zeroGrad();
        }
    }

    private static List<float[]> weights(ParameterSet params) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            out.add(params.parameter(i).value().data().clone());
        }
        return out;
    }

    private static boolean sameBits(List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                if (Float.floatToRawIntBits(a.get(i)[j]) != Float.floatToRawIntBits(b.get(i)[j])) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean allFinite(List<float[]> ws) {
        for (float[] w : ws) {
            for (float v : w) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The optimizer's state without the guard's counters: the moments and step counts. */
    private static String moments(GradientStep step) {
        try {
            JsonNode n = JSON.readTree(step.writeState());
            stripGuards(n);
            return n.toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void stripGuards(JsonNode n) {
        if (n.isObject()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove(List.of("skippedSteps", "zeroedElements", "step"));
            n.forEach(NonFiniteInjectionTest::stripGuards);
        } else if (n.isArray()) {
            n.forEach(NonFiniteInjectionTest::stripGuards);
        }
    }

    /** Every tensor in the optimizer's state (Base64 little-endian float32) and every number is finite. */
    private static boolean finiteState(GradientStep step) {
        try {
            return finite(JSON.readTree(step.writeState()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean finite(JsonNode n) {
        if (n.isObject() && "float32".equals(n.path("dtype").asText()) && n.path("data").isTextual()) {
            ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(n.get("data").asText())).order(ByteOrder.LITTLE_ENDIAN);
            while (b.remaining() >= 4) {
                if (!Float.isFinite(b.getFloat())) {
                    return false;
                }
            }
            return true;
        }
        if (n.isNumber()) {
            return Double.isFinite(n.asDouble());
        }
        if (n.isTextual()) {
            return !List.of("NaN", "Infinity", "-Infinity").contains(n.asText());
        }
        for (JsonNode c : n) {
            if (!finite(c)) {
                return false;
            }
        }
        return true;
    }
}
