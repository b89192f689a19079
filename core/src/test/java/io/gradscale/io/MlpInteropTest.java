package io.gradscale.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch interop fixture: the weights of {@code nn.Sequential(nn.Linear(4, 8), nn.Tanh(),
 * nn.Linear(8, 3))} in {@code checkpoint/mlp.safetensors}, and inputs with the outputs gradscale
 * computes in {@code checkpoint/mlp_io.json}. {@code core/src/test/python/check_safetensors.py} loads
 * both into PyTorch and compares. This test checks the committed files still match what the code
 * writes and computes; run it with {@code -Dgradscale.regenerateInterop=true} to rewrite them.
 */
class MlpInteropTest {
    private static final Path FIXTURES = Path.of("src", "test", "resources", "checkpoint");
    private static final long SEED = 20240517L;
    private static final int BATCH = 6;

    /** {@code nn.Linear}: {@code y = x W^T + b}, weight {@code [out, in]}, PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)). */
    static final class Affine extends Module {
        final Parameter weight; // [out, in]
        final Parameter bias; // [out]

        Affine(int in, int out, Rng rng) {
            float bound = (float) (1 / Math.sqrt(in));
            weight = registerParameter("weight", new Parameter(Tensor.uniform(rng, -bound, bound, out, in)));
            bias = registerParameter("bias", new Parameter(Tensor.uniform(rng, -bound, bound, out)));
        }

        @Override
        public Var forward(Var x) {
            return x.matmul(x.tape().param(weight), false, true).add(x.tape().param(bias));
        }
    }

    static final class Tanh extends Module {
        @Override
        public Var forward(Var x) {
            return x.tanh();
        }
    }

    /** {@code nn.Sequential}: children named 0, 1, 2. */
    static final class Mlp extends Module {
        private final List<Module> layers;

        Mlp(Rng rng) {
            layers = List.of(registerModule("0", new Affine(4, 8, rng)), registerModule("1", new Tanh()),
                    registerModule("2", new Affine(8, 3, rng)));
        }

        @Override
        public Var forward(Var x) {
            Var h = x;
            for (Module m : layers) {
                h = m.forward(h);
            }
            return h;
        }
    }

    private static Map<String, Tensor> weights(Mlp mlp) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        mlp.namedParameters().forEach((name, p) -> out.put(name, p.value()));
        return out;
    }

    @Test
    void committedFilesMatchTheEngine() throws IOException {
        Rng rng = new Rng(SEED);
        Mlp mlp = new Mlp(rng);
        Tensor inputs = Tensor.uniform(rng, -2f, 2f, BATCH, 4);
        Tensor outputs = mlp.forward(Tape.noGrad(Engine.serial()).constant(inputs)).value();
        Map<String, Tensor> weights = weights(mlp);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(weights.keySet()),
                "the names PyTorch's state_dict uses");

        ByteArrayOutputStream expectedFile = new ByteArrayOutputStream();
        Map<String, String> meta = Map.of("format", "pt");
        Safetensors.write(expectedFile, weights, meta);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (Boolean.getBoolean("gradscale.regenerateInterop")) {
            Files.createDirectories(FIXTURES);
            Safetensors.write(FIXTURES.resolve("mlp.safetensors"), weights, meta);
            ObjectNode io = json.createObjectNode();
            io.put("model", "nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))");
            io.put("generator", "io.gradscale.io.MlpInteropTest, seed " + SEED);
            io.set("inputs", rows(json, inputs));
            io.set("outputs", rows(json, outputs));
            AtomicFiles.write(FIXTURES.resolve("mlp_io.json"), json.writeValueAsBytes(io));
        }

        Path committed = FIXTURES.resolve("mlp.safetensors");
        assertTrue(Files.exists(committed), "missing fixture " + committed.toAbsolutePath()
                + " (regenerate with -Dgradscale.regenerateInterop=true)");
        assertArrayEquals(expectedFile.toByteArray(), Files.readAllBytes(committed), "the writer still produces the committed bytes");
        Safetensors.Contents c = Safetensors.read(committed);
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            assertTrue(e.getValue().bitEquals(c.tensors().get(e.getKey())), e.getKey() + " reads back bit-exactly");
        }

        JsonNode io = json.readTree(FIXTURES.resolve("mlp_io.json").toFile());
        assertTrue(inputs.bitEquals(tensor(io.get("inputs"))), "the committed inputs are the seeded ones");
        Tensor committedOut = tensor(io.get("outputs"));
        assertEquals(outputs.shape(), committedOut.shape());
        for (int i = 0; i < outputs.size(); i++) {
            assertEquals(committedOut.data()[i], outputs.data()[i], 1e-6f, "output " + i);
        }
        Mlp reloaded = new Mlp(new Rng(0));
        reloaded.namedParameters().forEach((name, p) -> p.value().copyFrom(c.tensors().get(name)));
        assertTrue(outputs.bitEquals(reloaded.forward(Tape.noGrad(Engine.serial()).constant(inputs)).value()),
                "a model loaded from the file computes the same outputs");
    }

    private static ArrayNode rows(ObjectMapper json, Tensor t) {
        ArrayNode a = json.createArrayNode();
        for (int r = 0; r < t.dim(0); r++) {
            ArrayNode row = a.addArray();
            for (int c = 0; c < t.dim(1); c++) {
                row.add(t.get(r, c));
            }
        }
        return a;
    }

    private static Tensor tensor(JsonNode rows) {
        int n = rows.size();
        int m = rows.get(0).size();
        float[] d = new float[n * m];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < m; c++) {
                d[r * m + c] = rows.get(r).get(c).floatValue();
            }
        }
        return Tensor.wrap(d, n, m);
    }
}
