package io.gradscale.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (https://github.com/huggingface/safetensors), as PyTorch users save and load
 * weights with {@code safetensors.torch}.
 *
 * <p>Layout: 8 bytes, an unsigned little-endian 64-bit header length {@code N}; {@code N} bytes of
 * UTF-8 JSON (padded with spaces), an object mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}}, plus an optional
 * {@code "__metadata__"} object of string to string; then the byte buffer. Offsets are relative to
 * the start of the buffer; each tensor is contiguous, row-major, little-endian.
 *
 * <p>The reader trusts nothing in the file. As the reference implementation does, it rejects a header
 * longer than {@link #MAX_HEADER_BYTES} or beyond the end of the file, a header that is not a JSON
 * object, tensors whose offsets leave the buffer, overlap, leave gaps or do not cover the buffer, and
 * tensors whose shape times dtype size differs from their byte count. Every length is checked against
 * the file's size before anything of that length is allocated, so a hostile file cannot make the
 * reader allocate more than the file holds. gradscale tensors are float32 of rank at most 4: any other
 * dtype, known or not, is rejected with the tensor's name.
 */
public final class Safetensors {
    /** Largest header accepted: 100 MB, the limit of the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The key of the free-form string metadata in the header. */
    public static final String METADATA_KEY = "__metadata__";

    /** The dtypes of the specification with their sizes in bytes. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1),
            Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Safetensors() {}

    /** The tensors of a file in buffer order, and its string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Writes {@code tensors} (in the map's order) and {@code metadata} to {@code out} as F32. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(len.array());
        out.write(header);
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; ) {
                chunk.clear();
                int m = Math.min(d.length - i, chunk.capacity() / 4);
                chunk.asFloatBuffer().put(d, i, m);
                out.write(chunk.array(), 0, 4 * m);
                i += m;
            }
        }
    }

    /** Writes a safetensors file atomically (see {@link AtomicFiles}). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.write(file, out -> write(out, tensors, metadata));
    }

    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> m.put(k, v));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("'" + name + "' cannot be a tensor name in a safetensors file");
            }
            ObjectNode info = root.putObject(name);
            info.put("dtype", "F32");
            ArrayNode shape = info.putArray("shape");
            for (int d : e.getValue().shape().dims()) {
                shape.add(d);
            }
            long end = offset + 4L * e.getValue().size();
            info.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Reads and validates a safetensors file holding only F32 tensors of rank at most 4. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(file, "the file has " + size + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + n > size) {
                throw bad(file, "header length " + n + " goes beyond the end of the file (" + size + " bytes, so at most "
                        + (size - 8) + " header bytes)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, file);
            long bufferStart = 8 + n;
            long bufferLen = size - bufferStart;
            List<Entry> entries = new ArrayList<>();
            Map<String, String> metadata = parseHeader(file, headerBuf.array(), bufferLen, entries);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                int count = (int) ((e.end - e.begin) / 4);
                ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, b, bufferStart + e.begin, file);
                b.flip();
                float[] d = new float[count];
                b.asFloatBuffer().get(d);
                tensors.put(e.name, Tensor.wrap(d, Shape.of(e.shape)));
            }
            return new Contents(tensors, metadata);
        }
    }

    private record Entry(String name, String dtype, int[] shape, long begin, long end) {}

    private static Map<String, String> parseHeader(Path file, byte[] header, long bufferLen, List<Entry> out) {
        if (header.length == 0 || header[0] != '{') {
            throw bad(file, "the header must be a JSON object starting with '{'"
                    + (header.length == 0 ? ", got an empty header" : ", got byte 0x" + String.format("%02X", header[0] & 0xff)));
        }
        JsonNode root;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(header)).toString();
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw bad(file, "the header is not valid UTF-8 JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "the header must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals(METADATA_KEY)) {
                if (!f.getValue().isObject()) {
                    throw bad(file, "'__metadata__' must be an object of strings, got " + f.getValue().getNodeType());
                }
                f.getValue().fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw bad(file, "metadata value '" + m.getKey() + "' must be a string, got " + m.getValue().getNodeType());
                    }
                    metadata.put(m.getKey(), m.getValue().textValue());
                });
                continue;
            }
            entries.add(entry(file, f.getKey(), f.getValue(), bufferLen));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : byOffset) {
            if (e.begin != expected) {
                throw bad(file, e.begin < expected
                        ? "tensor '" + e.name + "' at bytes [" + e.begin + ", " + e.end + ") overlaps tensor '" + previous
                                + "', which ends at " + expected
                        : "a gap of bytes [" + expected + ", " + e.begin + ") before tensor '" + e.name + "' belongs to no tensor");
            }
            expected = e.end;
            previous = e.name;
        }
        if (expected != bufferLen) {
            throw bad(file, "the tensors cover " + expected + " bytes of the " + bufferLen + "-byte data buffer");
        }
        for (Entry e : entries) {
            if (!e.dtype.equals("F32")) {
                throw bad(file, "tensor '" + e.name + "' has dtype " + e.dtype + "; gradscale reads only F32 tensors");
            }
            if (e.shape.length > Shape.MAX_RANK) {
                throw bad(file, "tensor '" + e.name + "' has rank " + e.shape.length + " (shape " + Arrays.toString(e.shape)
                        + "); gradscale tensors have rank at most " + Shape.MAX_RANK);
            }
        }
        out.addAll(byOffset);
        return metadata;
    }

    private static Entry entry(Path file, String name, JsonNode info, long bufferLen) {
        String where = "tensor '" + name + "'";
        if (!info.isObject()) {
            throw bad(file, where + ": expected an object with dtype, shape and data_offsets, got " + info.getNodeType());
        }
        JsonNode dtype = info.get("dtype");
        JsonNode shape = info.get("shape");
        JsonNode offsets = info.get("data_offsets");
        if (dtype == null || !dtype.isTextual()) {
            throw bad(file, where + ": missing or non-string \"dtype\"");
        }
        Integer elementBytes = DTYPE_BYTES.get(dtype.textValue());
        if (elementBytes == null) {
            throw bad(file, where + ": unknown dtype '" + dtype.textValue() + "' (the format defines "
                    + String.join(", ", DTYPE_BYTES.keySet().stream().sorted().toList()) + ")");
        }
        if (shape == null || !shape.isArray()) {
            throw bad(file, where + ": missing or non-array \"shape\"");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw bad(file, where + ": \"data_offsets\" must be two integers [begin, end], got " + offsets);
        }
        int[] dims = new int[shape.size()];
        long count = 1;
        boolean overflow = false;
        for (int k = 0; k < dims.length; k++) {
            JsonNode d = shape.get(k);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw bad(file, where + ": shape " + shape + " must hold non-negative integers");
            }
            long v = d.asLong();
            dims[k] = (int) Math.min(v, Integer.MAX_VALUE);
            if (v > Integer.MAX_VALUE) {
                overflow = true;
            }
            try {
                count = Math.multiplyExact(count, v);
            } catch (ArithmeticException e) {
                overflow = true;
            }
        }
        if (!offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw bad(file, where + ": data_offsets " + offsets + " are beyond any file size");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > bufferLen) {
            throw bad(file, where + ": data_offsets [" + begin + ", " + end + ") are out of range of the "
                    + bufferLen + "-byte data buffer");
        }
        long bytes = overflow || count > Long.MAX_VALUE / elementBytes ? -1 : count * elementBytes;
        if (bytes != end - begin) {
            throw bad(file, where + ": shape " + shape + " of dtype " + dtype.textValue() + " needs "
                    + (bytes < 0 ? "more than 2^63" : String.valueOf(bytes)) + " bytes but data_offsets give " + (end - begin));
        }
        if (count > Integer.MAX_VALUE - 16) {
            throw bad(file, where + ": " + count + " elements is more than one array can hold");
        }
        return new Entry(name, dtype.textValue(), dims, begin, end);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw bad(file, "the file ended at byte " + pos + " while " + b.remaining() + " more bytes were expected"
                        + " (was it truncated while being read?)");
            }
            pos += r;
        }
    }

    private static FileFormatException bad(Path file, String what) {
        return new FileFormatException("safetensors file " + file + ": " + what);
    }

    private static FileFormatException bad(Path file, String what, Throwable cause) {
        return new FileFormatException("safetensors file " + file + ": " + what, cause);
    }
}
