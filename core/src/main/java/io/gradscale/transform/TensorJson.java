package io.gradscale.transform;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * Jackson (de)serialization of {@link Tensor}: {@code {"dtype":"float32","shape":[2,3],"data":"<base64>"}}
 * where data is the row-major float32 elements, little-endian, in Base64.
 *
 * <p>Binary rather than decimal so that every value, NaN payloads included, comes back bit for bit, and
 * so that a state of millions of floats stays a few megabytes.
 */
public final class TensorJson {
    private TensorJson() {
    }

    /** A Jackson module that reads and writes tensors in the format above. */
    public static SimpleModule module() {
        SimpleModule m = new SimpleModule("gradscale-tensor");
        m.addSerializer(Tensor.class, new Writer());
        m.addDeserializer(Tensor.class, new Reader());
        return m;
    }

    private static final class Writer extends JsonSerializer<Tensor> {
        @Override
        public void serialize(Tensor t, JsonGenerator g, SerializerProvider p) throws IOException {
            g.writeStartObject();
            g.writeStringField("dtype", "float32");
            g.writeArrayFieldStart("shape");
            for (int d : t.shape().dims()) {
                g.writeNumber(d);
            }
            g.writeEndArray();
            ByteBuffer buf = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(t.data());
            g.writeStringField("data", Base64.getEncoder().encodeToString(buf.array()));
            g.writeEndObject();
        }
    }

    private static final class Reader extends JsonDeserializer<Tensor> {
        @Override
        public Tensor deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode n = p.getCodec().readTree(p);
            JsonNode dtype = n.get("dtype");
            if (dtype == null || !"float32".equals(dtype.asText())) {
                throw new IOException("tensor: expected dtype \"float32\", got " + dtype);
            }
            JsonNode shapeNode = n.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) {
                throw new IOException("tensor: expected a \"shape\" array, got " + shapeNode);
            }
            int[] dims = new int[shapeNode.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shapeNode.get(i).asInt();
            }
            Shape shape = Shape.of(dims);
            JsonNode dataNode = n.get("data");
            if (dataNode == null || !dataNode.isTextual()) {
                throw new IOException("tensor: expected Base64 \"data\", got " + dataNode);
            }
            byte[] bytes = Base64.getDecoder().decode(dataNode.asText());
            if (bytes.length != 4 * shape.size()) {
                throw new IOException("tensor of shape " + shape + ": expected " + 4 * shape.size()
                        + " bytes of data, got " + bytes.length);
            }
            float[] data = new float[shape.size()];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            return Tensor.wrap(data, shape);
        }
    }
}
