package io.gradscale.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips by the specification, and one hostile file per way a header can lie. */
class SafetensorsTest {
    @TempDir
    Path dir;

    /** A file with the given header text (not padded) and a zeroed buffer of {@code bufferBytes}. */
    static byte[] craft(String header, int bufferBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return craft(h.length, h, bufferBytes);
    }

    static byte[] craft(long declaredLength, byte[] header, int bufferBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + bufferBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        return b.array();
    }

    private Path file(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void roundTripIsBitExactAndFollowsTheLayout() throws IOException {
        Rng rng = new Rng(11);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("scalar", Tensor.scalar(-0.0f));
        tensors.put("layers.0.weight", Tensor.randn(rng, 3, 5));
        tensors.put("empty", Tensor.zeros(0, 4));
        tensors.put("rank4", Tensor.randn(rng, 2, 1, 3, 2));
        tensors.put("vec", Tensor.vector(Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE));
        tensors.put("big", Tensor.randn(rng, 70_000));
        Map<String, String> meta = Map.of("format", "pt", "note", "ünïcode");
        Path p = dir.resolve("m.safetensors");
        Safetensors.write(p, tensors, meta);

        Safetensors.Contents c = Safetensors.read(p);
        assertEquals(meta, c.metadata());
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(c.tensors().keySet()), "buffer order is the writer's order");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            assertTrue(e.getValue().bitEquals(c.tensors().get(e.getKey())), e.getKey());
        }

        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        JsonNode w = header.get("layers.0.weight");
        assertEquals("F32", w.get("dtype").asText());
        assertEquals("[3,5]", w.get("shape").toString());
        long begin = w.get("data_offsets").get(0).asLong();
        assertEquals(tensors.get("layers.0.weight").data()[1], b.getFloat((int) (8 + n + begin + 4)), "little-endian floats");
        assertEquals("[]", header.get("scalar").get("shape").toString());
        assertEquals(bytes.length - 8 - n, header.get("big").get("data_offsets").get(1).asLong(), "last tensor ends the file");
    }

    /** Each hostile header, the buffer size after it, and the words the error must contain. */
    @Test
    void hostileFilesFailWithAClearError() throws IOException {
        String f32 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Object[][] cases = {
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "'a'", "out of range", "8-byte data buffer"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "'a'", "out of range"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-4,4]}}", 8, "'a'", "out of range"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12, "'b'", "overlaps tensor 'a'"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap of bytes [0, 4)"},
            {f32, 12, "cover 8 bytes of the 12-byte data buffer"},
            {"{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a'", "unknown dtype 'Q7'"},
            {"{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8, "'a'", "dtype F16", "only F32"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "'a'", "needs 12 bytes", "give 8"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "'a'", "more than 2^63"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "'a'", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "'a'", "non-negative integers"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, "'a'", "rank 5"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "'a'", "data_offsets"},
            {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a'", "dtype"},
            {"{\"a\":3}", 0, "'a'", "expected an object"},
            {f32.replace("}}", "},\"a\":{}}"), 8, "not valid UTF-8 JSON", "Duplicate field 'a'"},
            {f32 + " x", 8, "not valid UTF-8 JSON"},
            {"{\"a\":", 8, "not valid UTF-8 JSON"},
            {"[1,2]", 0, "must be a JSON object starting with '{'"},
            {"", 0, "empty header"},
            {"{\"__metadata__\":{\"k\":1}}", 0, "metadata value 'k' must be a string"},
        };
        for (Object[] c : cases) {
            Path p = file(craft((String) c[0], (Integer) c[1]));
            FileFormatException e = assertThrows(FileFormatException.class, () -> Safetensors.read(p), (String) c[0]);
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            for (int k = 2; k < c.length; k++) {
                assertTrue(e.getMessage().contains((String) c[k]), "'" + c[k] + "' not in: " + e.getMessage());
            }
        }
    }

    @Test
    void headerLengthsThatLieFailBeforeAllocating() throws IOException {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        Object[][] cases = {
            {file(craft(1000, h, 0)), "header length 1000 goes beyond the end of the file (10 bytes"},
            {file(craft(99_999_999, h, 0)), "header length 99999999 goes beyond the end of the file"},
            {file(craft(100_000_001, h, 0)), "header length 100000001 exceeds the limit of 100000000"},
            {file(craft(-1L, h, 0)), "header length 18446744073709551615 exceeds the limit"},
            {file(new byte[] {1, 0, 0}), "3 bytes, fewer than the 8-byte header length"},
        };
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (Object[] c : cases) {
            Path p = (Path) c[0];
            Safetensors.read(file(craft("{}", 0))); // warm up class loading outside the measurement
            long before = mx.getCurrentThreadAllocatedBytes();
            FileFormatException e = assertThrows(FileFormatException.class, () -> Safetensors.read(p));
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
            assertTrue(allocated < 1_000_000, "a " + Files.size(p) + "-byte file made the reader allocate " + allocated + " bytes");
        }
        Path claims = file(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000],\"data_offsets\":[0,4000000000]}}", 8));
        long before = mx.getCurrentThreadAllocatedBytes();
        assertThrows(FileFormatException.class, () -> Safetensors.read(claims));
        assertTrue(mx.getCurrentThreadAllocatedBytes() - before < 1_000_000, "a shape claiming 4 GB allocates nothing of that size");
    }

    @Test
    void writerRejectsTheReservedName() {
        Map<String, Tensor> t = Map.of(Safetensors.METADATA_KEY, Tensor.zeros(1));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(new ByteArrayOutputStream(), t, Map.of()));
    }
}
