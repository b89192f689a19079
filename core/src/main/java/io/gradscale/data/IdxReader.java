package io.gradscale.data;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX format of the MNIST database (LeCun, Cortes and Burges,
 * http://yann.lecun.com/exdb/mnist/), plain or gzip-compressed (detected by the gzip magic
 * {@code 1f 8b}).
 *
 * <p>Layout: a 4-byte magic number {@code 00 00 TT DD} where {@code TT} is the element type
 * ({@code 08} unsigned byte, {@code 09} signed byte, {@code 0B} int16, {@code 0C} int32, {@code 0D}
 * float32, {@code 0E} float64) and {@code DD} the number of dimensions; then {@code DD} big-endian
 * int32 dimension sizes; then the elements, big-endian, row-major. MNIST images are
 * {@code 0x00000803} ({@code [n, 28, 28]} unsigned bytes), labels {@code 0x00000801} ({@code [n]}).
 *
 * <p>The byte count the header promises is checked against the file before anything of that size is
 * allocated (for gzip, the decompressed stream is read incrementally and compared), so a truncated
 * or padded file fails naming the expected and the actual count, and a mislabelled file (labels
 * given as images, or the other way round) fails naming the magic number expected and found. A float
 * element that is NaN or infinite (or a float64 beyond the float32 range) is refused, naming the file,
 * the element's position and its value: no data file brings a non-finite number into training.
 */
public final class IdxReader {
    /** Magic number of an MNIST image file: unsigned bytes, 3 dimensions. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an MNIST label file: unsigned bytes, 1 dimension. */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /** The decoded header of an IDX file and its elements as raw big-endian bytes. */
    public record IdxArray(Path file, int type, int[] dims, byte[] payload) {
        /** The magic number {@code 0x0000TTDD}. */
        public int magic() {
            return (type << 8) | dims.length;
        }
    }

    /** Reads and checks any IDX file. */
    public static IdxArray read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            if (gzip) {
                try (InputStream in = new GZIPInputStream(raw)) {
                    return readStream(file, in, -1, true);
                }
            }
            return readStream(file, raw, Files.size(file), false);
        } catch (ZipException | EOFException e) {
            throw new DataFormatException(file + ": the gzip stream is corrupt or truncated (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX file " + file + ": " + io.gradscale.io.FileErrors.reason(e), e);
        }
    }

    private static IdxArray readStream(Path file, InputStream in, long fileSize, boolean gzip) throws IOException {
        String where = file + (gzip ? " (after gzip decompression)" : "");
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new DataFormatException(where + " is truncated: expected a 4-byte IDX magic number, got " + magic.length + " bytes");
        }
        int magicValue = ByteBuffer.wrap(magic).getInt();
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DataFormatException(where + ": not an IDX file: the magic number " + hex(magicValue)
                    + " should start with two zero bytes (0x0000TTDD)");
        }
        int type = magic[2] & 0xff;
        int rank = magic[3] & 0xff;
        int elementSize = elementSize(type);
        if (elementSize < 0) {
            throw new DataFormatException(where + ": unknown IDX element type 0x" + String.format("%02X", type) + " in magic " + hex(magicValue)
                    + " (known: 08 ubyte, 09 byte, 0B int16, 0C int32, 0D float32, 0E float64)");
        }
        if (rank == 0) {
            throw new DataFormatException(where + ": magic " + hex(magicValue) + " declares 0 dimensions");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new DataFormatException(where + " is truncated: expected " + (4 + 4 * rank) + " header bytes for "
                    + rank + " dimensions, got " + (4 + dimBytes.length));
        }
        ByteBuffer db = ByteBuffer.wrap(dimBytes).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[rank];
        long count = 1;
        for (int k = 0; k < rank; k++) {
            dims[k] = db.getInt();
            if (dims[k] < 0) {
                throw new DataFormatException(where + ": dimension " + k + " is negative (" + dims[k] + ")");
            }
            count *= dims[k];
            if (count > Integer.MAX_VALUE - 16) {
                throw new DataFormatException(where + ": dimensions " + Arrays.toString(Arrays.copyOf(dims, k + 1))
                        + "... describe more than 2^31 elements");
            }
        }
        long header = 4L + 4L * rank;
        long payloadBytes = count * elementSize;
        long expected = header + payloadBytes;
        if (payloadBytes > Integer.MAX_VALUE - 16) {
            throw new DataFormatException(where + ": " + payloadBytes + " bytes of elements is more than one array can hold");
        }
        String promise = "expected " + expected + " bytes (" + header + " header + " + Arrays.toString(dims) + " x "
                + elementSize + "-byte " + typeName(type) + ")";
        byte[] payload;
        if (!gzip) {
            if (fileSize != expected) {
                throw new DataFormatException(where + (fileSize < expected ? " is truncated: " : " has trailing bytes: ")
                        + promise + ", the file has " + fileSize);
            }
            payload = in.readNBytes((int) payloadBytes);
            if (payload.length != payloadBytes) {
                throw new DataFormatException(where + " is truncated: " + promise + ", could read only " + (header + payload.length));
            }
        } else {
            payload = readAtMost(in, payloadBytes + 1);
            if (payload.length != payloadBytes) {
                throw new DataFormatException(where + (payload.length < payloadBytes ? " is truncated: " : " has trailing bytes: ")
                        + promise + ", the stream has " + (payload.length < payloadBytes ? header + payload.length : "more"));
            }
        }
        return new IdxArray(file, type, dims, payload);
    }

    /** Reads up to {@code limit} bytes, growing the buffer with the data rather than trusting a declared size. */
    private static byte[] readAtMost(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 16];
        long left = limit;
        while (left > 0) {
            int r = in.read(chunk, 0, (int) Math.min(chunk.length, left));
            if (r < 0) {
                break;
            }
            out.write(chunk, 0, r);
            left -= r;
        }
        return out.toByteArray();
    }

    /** Any IDX file as a float tensor (rank 1 to 4), elements converted to float32 without scaling. */
    public static Tensor readTensor(Path file) {
        IdxArray a = read(file);
        if (a.dims.length > Shape.MAX_RANK) {
            throw new DataFormatException(file + ": " + a.dims.length + " dimensions; tensors hold at most " + Shape.MAX_RANK);
        }
        return Tensor.wrap(toFloats(a, 1f), a.dims);
    }

    /** An MNIST-style image file ({@link #IMAGES_MAGIC}) as {@code [n, rows, cols]}, pixels scaled to [0, 1]. */
    public static Tensor readImages(Path file) {
        IdxArray a = readImageBytes(file);
        return Tensor.wrap(toFloats(a, 255f), a.dims);
    }

    /** An MNIST-style label file ({@link #LABELS_MAGIC}) as labels {@code 0..255}. */
    public static int[] readLabels(Path file) {
        IdxArray a = read(file);
        expect(a, LABELS_MAGIC, "labels", "unsigned bytes, 1 dimension [n]");
        int[] labels = new int[a.dims[0]];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = a.payload[i] & 0xff;
        }
        return labels;
    }

    /**
     * An image file and its label file as a classification set, inputs {@code [n, rows, cols]} in [0, 1];
     * the counts must agree and every label must be below {@code classes} (10 for MNIST).
     */
    public static Dataset readDataset(Path images, Path labels, int classes) {
        IdxArray x = readImageBytes(images);
        int[] y = checkedLabels(x, images, labels, classes);
        return Dataset.classification(Tensor.wrap(toFloats(x, 255f), x.dims), y, classes);
    }

    /**
     * As {@code readDataset(images, labels, classes).split(validationFraction, rng)}: the same examples in the same
     * order, the same bits, but each part's pixels are converted from the file's bytes straight into its own array,
     * so that the whole set is never held as floats on the way (for MNIST's 60 000 training images, 188 MB that would
     * be written, copied into the parts and then dropped). With fewer than two images nothing can be held out: the
     * split is the whole set and a null validation set.
     */
    public static Dataset.Split readSplit(Path images, Path labels, int classes, double validationFraction, Rng rng) {
        IdxArray x = readImageBytes(images);
        int[] y = checkedLabels(x, images, labels, classes);
        int n = y.length;
        if (n < 2) {
            return new Dataset.Split(Dataset.classification(Tensor.wrap(toFloats(x, 255f), x.dims), y, classes), null);
        }
        int nVal = Dataset.validationCount(n, validationFraction);
        int[] order = Dataset.splitOrder(n, rng);
        return new Dataset.Split(rows(x, y, classes, Arrays.copyOfRange(order, nVal, n)),
                rows(x, y, classes, Arrays.copyOfRange(order, 0, nVal)));
    }

    /** The images at {@code indices} of {@code x}, in that order, with their labels, pixels scaled to [0, 1]. */
    private static Dataset rows(IdxArray x, int[] y, int classes, int[] indices) {
        int row = x.dims[1] * x.dims[2];
        float[] quotient = quotients(255f);
        byte[] src = x.payload;
        float[] dst = new float[Math.multiplyExact(indices.length, row)];
        int[] labels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int from = indices[i] * row;
            int to = i * row;
            for (int j = 0; j < row; j++) {
                dst[to + j] = quotient[src[from + j] & 0xff];
            }
            labels[i] = y[indices[i]];
        }
        return Dataset.classification(Tensor.wrap(dst, indices.length, x.dims[1], x.dims[2]), labels, classes);
    }

    private static IdxArray readImageBytes(Path images) {
        IdxArray a = read(images);
        expect(a, IMAGES_MAGIC, "images", "unsigned bytes, 3 dimensions [n, rows, cols]");
        return a;
    }

    /** The labels of {@code labels}, checked against the image file's count and the class count. */
    private static int[] checkedLabels(IdxArray x, Path images, Path labels, int classes) {
        int[] y = readLabels(labels);
        if (x.dims[0] != y.length) {
            throw new DataFormatException("image file " + images + " holds " + x.dims[0] + " images but label file " + labels
                    + " holds " + y.length + " labels");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= classes) {
                throw new DataFormatException(labels + ": label " + i + " is " + y[i] + ", outside [0, " + classes + ")");
            }
        }
        return y;
    }

    private static void expect(IdxArray a, int magic, String what, String description) {
        if (a.magic() != magic) {
            String hint = a.magic() == IMAGES_MAGIC ? " (that of an image file)" : a.magic() == LABELS_MAGIC ? " (that of a label file)" : "";
            throw new DataFormatException(a.file + ": expected an IDX " + what + " file, magic " + hex(magic) + " (" + description
                    + "), got magic " + hex(a.magic()) + hint + " with dimensions " + Arrays.toString(a.dims));
        }
    }

    private static float[] toFloats(IdxArray a, float divisor) {
        if (a.type == 0x08) {
            return unsignedBytesToFloats(a.payload, divisor);
        }
        ByteBuffer b = ByteBuffer.wrap(a.payload).order(ByteOrder.BIG_ENDIAN);
        int n = a.payload.length / elementSize(a.type);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double v = switch (a.type) {
                case 0x08 -> b.get() & 0xff;
                case 0x09 -> b.get();
                case 0x0B -> b.getShort();
                case 0x0C -> b.getInt();
                case 0x0D -> b.getFloat();
                case 0x0E -> b.getDouble();
                default -> throw new IllegalStateException("type checked in read: " + a.type);
            };
            out[i] = (float) v / divisor;
            if (!Float.isFinite(out[i])) {
                throw new DataFormatException(a.file + ": element " + i + " (index " + Arrays.toString(index(i, a.dims)) + ") is " + v
                        + (Double.isFinite(v) ? ", outside the float32 range" : "") + "; IDX data must be finite numbers");
            }
        }
        return out;
    }

    /**
     * Unsigned bytes (MNIST's pixels) through a table of the 256 quotients {@code (float) v / divisor}: the same
     * bits as the general loop, with one load per element instead of a buffer read, a conversion, a division and a
     * finiteness check (every quotient of a byte by a divisor of at least 1 is finite).
     */
    private static float[] unsignedBytesToFloats(byte[] payload, float divisor) {
        float[] quotient = quotients(divisor);
        float[] out = new float[payload.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = quotient[payload[i] & 0xff];
        }
        return out;
    }

    /** The 256 quotients {@code (float) v / divisor} of the unsigned bytes {@code v}. */
    private static float[] quotients(float divisor) {
        float[] quotient = new float[256];
        for (int v = 0; v < quotient.length; v++) {
            quotient[v] = (float) v / divisor;
        }
        return quotient;
    }

    /** The row-major multi-index of flat element {@code i}. */
    private static int[] index(int i, int[] dims) {
        int[] idx = new int[dims.length];
        for (int k = dims.length - 1, rest = i; k >= 0; k--) {
            idx[k] = dims[k] == 0 ? 0 : rest % dims[k];
            rest = dims[k] == 0 ? 0 : rest / dims[k];
        }
        return idx;
    }

    private static int elementSize(int type) {
        return switch (type) {
            case 0x08, 0x09 -> 1;
            case 0x0B -> 2;
            case 0x0C, 0x0D -> 4;
            case 0x0E -> 8;
            default -> -1;
        };
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "ubyte";
            case 0x09 -> "byte";
            case 0x0B -> "int16";
            case 0x0C -> "int32";
            case 0x0D -> "float32";
            case 0x0E -> "float64";
            default -> "unknown";
        };
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }
}
