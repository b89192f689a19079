package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer and loss against PyTorch 1.13 (float32) on the committed golden values: forward outputs,
 * input gradients, parameter gradients and updated buffers, each within {@value #TOLERANCE} by the
 * metric of {@link Golden#relError}. Loading PyTorch's parameters by name also checks that the parameter
 * paths and their order are PyTorch's.
 */
class ParityTest {
    /** The parity bound the issue asks for. */
    static final double TOLERANCE = 1e-5;

    private static final JsonNode GOLDEN = Golden.load();

    record Case(String name, JsonNode node) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> layerCases() {
        List<Case> out = new ArrayList<>();
        GOLDEN.get("layers").forEach(n -> out.add(new Case(n.get("name").asText(), n)));
        return out.stream();
    }

    static Stream<Case> lossCases() {
        List<Case> out = new ArrayList<>();
        GOLDEN.get("losses").forEach(n -> out.add(new Case(n.get("name").asText(), n)));
        return out.stream();
    }

    /** The Java module for a golden case; its initial weights are overwritten by PyTorch's. */
    static Module build(String layer, JsonNode cfg) {
        Rng rng = new Rng(1);
        return switch (layer) {
            case "Linear" -> new Linear(cfg.get("in").asInt(), cfg.get("out").asInt(), cfg.get("bias").asBoolean(), rng);
            case "Sigmoid" -> Activation.sigmoid();
            case "Tanh" -> Activation.tanh();
            case "ReLU" -> Activation.relu();
            case "LeakyReLU" -> Activation.leakyRelu((float) cfg.get("slope").asDouble());
            case "ELU" -> Activation.elu((float) cfg.get("alpha").asDouble());
            case "GELU" -> Activation.gelu();
            case "Softplus" -> Activation.softplus((float) cfg.get("beta").asDouble());
            case "Identity" -> Activation.identity();
            case "PReLU" -> new PReLU(cfg.get("channels").asInt(), PReLU.DEFAULT_INIT);
            case "BatchNorm1d" -> new BatchNorm1d(cfg.get("channels").asInt(), (float) cfg.get("eps").asDouble(),
                    (float) cfg.get("momentum").asDouble(), cfg.get("affine").asBoolean(), true);
            case "LayerNorm" -> {
                int[] s = new int[cfg.get("shape").size()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = cfg.get("shape").get(i).asInt();
                }
                yield new LayerNorm(s);
            }
            case "MLP" -> new Sequential(new Linear(5, 8, rng), Activation.relu(), new Linear(8, 3, rng));
            case "Residual" -> new Residual(new Sequential(new Linear(5, 5, rng), Activation.tanh()));
            case "ResidualProjection" -> new Residual(new Sequential(new Linear(5, 3, rng), Activation.tanh()),
                    new Linear(5, 3, false, rng));
            case "Recurrent" -> {
                int in = cfg.get("input").asInt();
                int h = cfg.get("hidden").asInt();
                int l = cfg.get("layers").asInt();
                boolean bias = cfg.get("bias").asBoolean();
                Recurrent r = switch (cfg.get("cell").asText()) {
                    case "RNN" -> new RNN(in, h, l, "relu".equals(cfg.get("nonlinearity").asText()) ? Nonlinearity.RELU
                            : Nonlinearity.TANH, bias, rng);
                    case "LSTM" -> new LSTM(in, h, l, bias, rng);
                    case "GRU" -> new GRU(in, h, l, bias, rng);
                    default -> throw new IllegalArgumentException(cfg.toString());
                };
                yield r.truncateEvery(cfg.get("truncate").asInt());
            }
            default -> throw new IllegalArgumentException("no Java module for golden layer " + layer);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layerCases")
    void layerMatchesPyTorch(Case c) {
        JsonNode n = c.node();
        Module m = build(n.get("layer").asText(), n.get("config"));
        Map<String, Parameter> params = m.namedParameters();
        List<String> expectedNames = new ArrayList<>();
        n.get("params").fieldNames().forEachRemaining(expectedNames::add);
        assertEquals(expectedNames, new ArrayList<>(params.keySet()), "parameter paths and order");
        params.forEach((k, p) -> p.value().copyFrom(Golden.tensor(n.get("params").get(k))));
        Map<String, Tensor> buffers = m.namedBuffers();
        for (Iterator<String> it = n.get("buffers").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertNotNull(buffers.get(k), "buffer " + k);
            buffers.get(k).copyFrom(Golden.tensor(n.get("buffers").get(k)));
        }
        if (n.get("train").asBoolean()) {
            m.train();
        } else {
            m.eval();
        }
        Tape tape = Tape.recording();
        Var x = tape.variable(Golden.tensor(n.get("input")));
        Var h0 = n.has("h0") ? tape.variable(Golden.tensor(n.get("h0"))) : null;
        Var c0 = n.has("c0") ? tape.variable(Golden.tensor(n.get("c0"))) : null;
        Map<String, Var> outs = new LinkedHashMap<>();
        if (m instanceof Recurrent r) {
            Recurrent.Output o = r.run(x, h0, c0);
            outs.put("output", o.output());
            outs.put("hidden", o.hidden());
            if (o.cell() != null) {
                outs.put("cell", o.cell());
            }
        } else {
            outs.put("output", m.forward(x));
        }
        assertEquals(iterToList(n.get("outputs").fieldNames()), new ArrayList<>(outs.keySet()));
        Var loss = null;
        for (Map.Entry<String, Var> e : outs.entrySet()) {
            Var term = e.getValue().mul(tape.constant(Golden.tensor(n.get("seeds").get(e.getKey())))).sum();
            loss = loss == null ? term : loss.add(term);
        }
        tape.backward(loss);

        Map<String, Double> errors = new LinkedHashMap<>();
        outs.forEach((k, v) -> errors.put("out:" + k, Golden.relError(v.value(), Golden.tensor(n.get("outputs").get(k)))));
        JsonNode grads = n.get("grads");
        errors.put("grad:input", Golden.relError(gradOrZero(x), Golden.tensor(grads.get("input"))));
        if (h0 != null) {
            errors.put("grad:h0", Golden.relError(gradOrZero(h0), Golden.tensor(grads.get("h0"))));
        }
        if (c0 != null) {
            errors.put("grad:c0", Golden.relError(gradOrZero(c0), Golden.tensor(grads.get("c0"))));
        }
        params.forEach((k, p) -> errors.put("grad:" + k, Golden.relError(p.grad(), Golden.tensor(grads.get(k)))));
        for (Iterator<String> it = n.get("buffers_after").fieldNames(); it.hasNext(); ) {
            String k = it.next();
            errors.put("buffer:" + k, Golden.relError(buffers.get(k), Golden.tensor(n.get("buffers_after").get(k))));
        }
        double worst = errors.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        System.out.printf("PARITY | %s | %.2e |%n", c.name(), worst);
        errors.forEach((k, v) -> assertTrue(v <= TOLERANCE, c.name() + " " + k + ": relative error " + v));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossCases")
    void lossMatchesPyTorch(Case c) {
        JsonNode n = c.node();
        Tape tape = Tape.recording();
        Var x = tape.variable(Golden.tensor(n.get("input")));
        Reduction red = "sum".equals(n.get("reduction").asText()) ? Reduction.SUM : Reduction.MEAN;
        JsonNode t = n.get("target");
        Var loss = switch (n.get("loss").asText()) {
            case "MSELoss" -> new MSELoss(red).apply(x, tape.constant(Golden.tensor(t)));
            case "BCEWithLogitsLoss" -> new BCEWithLogitsLoss(red).apply(x, tape.constant(Golden.tensor(t)));
            case "HuberLoss" -> new HuberLoss(red, (float) n.get("config").get("delta").asDouble())
                    .apply(x, tape.constant(Golden.tensor(t)));
            case "CrossEntropyLoss" -> {
                int[] cls = new int[t.size()];
                for (int i = 0; i < cls.length; i++) {
                    cls[i] = t.get(i).asInt();
                }
                yield new CrossEntropyLoss(red).apply(x, cls);
            }
            default -> throw new IllegalArgumentException(n.get("loss").asText());
        };
        tape.backward(loss);
        double expected = n.get("value").asDouble();
        double valueErr = Math.abs(loss.item() - expected) / Math.abs(expected);
        double gradErr = Golden.relError(x.grad(), Golden.tensor(n.get("grad")));
        System.out.printf("PARITY | %s | %.2e |%n", c.name(), Math.max(valueErr, gradErr));
        assertTrue(valueErr <= TOLERANCE, c.name() + " value: " + loss.item() + " vs " + expected);
        assertTrue(gradErr <= TOLERANCE, c.name() + " gradient: relative error " + gradErr);
    }

    private static Tensor gradOrZero(Var v) {
        return v.grad() == null ? Tensor.zeros(v.shape()) : v.grad();
    }

    private static List<String> iterToList(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
