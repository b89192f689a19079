package io.gradscale.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the golden values written by {@code core/src/test/python/gen_nn_golden.py}. */
final class Golden {
    private Golden() {
    }

    static JsonNode load() {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/nn.json")) {
            if (in == null) {
                throw new IllegalStateException("golden/nn.json is missing from the test resources");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tensor tensor(JsonNode n) {
        JsonNode s = n.get("shape");
        int[] dims = new int[s.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = s.get(i).asInt();
        }
        JsonNode d = n.get("data");
        float[] data = new float[d.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) d.get(i).asDouble();
        }
        return Tensor.wrap(data, dims);
    }

    /**
     * The parity metric: {@code max_i |a_i - b_i| / max_i |b_i|} (the error relative to the reference
     * tensor's largest magnitude; 0 when both are all zeros).
     */
    static double relError(Tensor actual, Tensor expected) {
        if (!actual.shape().equals(expected.shape())) {
            throw new AssertionError("shape " + actual.shape() + " differs from the expected " + expected.shape());
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < actual.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) actual.data()[i] - expected.data()[i]));
            maxRef = Math.max(maxRef, Math.abs((double) expected.data()[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
