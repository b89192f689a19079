package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files plain and gzip, MNIST pairing, and the errors for truncated, padded and mislabelled files. */
class IdxReaderTest {
    @TempDir
    Path dir;

    /** An IDX file: magic, big-endian dims, payload. */
    static byte[] idx(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(payload).array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(data);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] pixels(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 37);
        }
        return p;
    }

    @Test
    void mnistPairPlainAndGzip() throws IOException {
        byte[] px = pixels(3 * 4 * 5);
        byte[] images = idx(0x08, new int[] {3, 4, 5}, px);
        byte[] labels = idx(0x08, new int[] {3}, new byte[] {7, 0, 9});
        for (boolean gz : new boolean[] {false, true}) {
            Path im = file("im" + gz, gz ? gzip(images) : images);
            Path lb = file("lb" + gz, gz ? gzip(labels) : labels);
            Dataset d = IdxReader.readDataset(im, lb, 10);
            assertEquals(Shape.of(3, 4, 5), d.features().shape());
            assertArrayEquals(new int[] {7, 0, 9}, d.labels());
            for (int i = 0; i < px.length; i++) {
                assertEquals((px[i] & 0xff) / 255f, d.features().data()[i]);
            }
        }
        Tensor t = IdxReader.readImages(file("max", idx(0x08, new int[] {1, 1, 2}, new byte[] {(byte) 255, 0})));
        assertArrayEquals(new float[] {1f, 0f}, t.data(), "pixels scale to exactly [0, 1]");
    }

    /** Splitting while reading gives the parts of reading whole and then splitting: same examples, order and bits. */
    @Test
    void readSplitEqualsReadDatasetThenSplit() throws IOException {
        // {images, validation share (per mille), seed}
        int[][] cases = {{2, 500, 1}, {3, 200, 7}, {10, 200, 42}, {57, 100, 3}, {200, 900, 11}, {1, 200, 5}};
        for (int[] c : cases) {
            int n = c[0];
            double share = c[1] / 1000.0;
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) ((i * 7 + 3) % 10);
            }
            Path im = file("split-im" + n, idx(0x08, new int[] {n, 3, 4}, pixels(n * 12)));
            Path lb = file("split-lb" + n, idx(0x08, new int[] {n}, labels));
            Dataset.Split got = IdxReader.readSplit(im, lb, 10, share, new io.gradscale.tensor.Rng(c[2]));
            String what = n + " images, share " + share + ", seed " + c[2];
            if (n < 2) {
                assertEquals(null, got.validation(), what + ": nothing to hold out");
                assertArrayEquals(IdxReader.readDataset(im, lb, 10).features().data(), got.train().features().data(), what);
                continue;
            }
            Dataset.Split want = IdxReader.readDataset(im, lb, 10).split(share, new io.gradscale.tensor.Rng(c[2]));
            for (Dataset[] part : new Dataset[][] {{want.train(), got.train()}, {want.validation(), got.validation()}}) {
                assertEquals(part[0].features().shape(), part[1].features().shape(), what);
                assertArrayEquals(part[0].features().data(), part[1].features().data(), what);
                assertArrayEquals(part[0].labels(), part[1].labels(), what);
                assertEquals(part[0].task(), part[1].task(), what);
            }
        }
    }

    @Test
    void everyElementTypeDecodesBigEndian() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * 8);
        assertArrayEquals(new float[] {-2, 3}, IdxReader.readTensor(file("b", idx(0x09, new int[] {2}, new byte[] {-2, 3}))).data());
        b.clear();
        b.putShort((short) -300).putShort((short) 7);
        assertArrayEquals(new float[] {-300, 7}, IdxReader.readTensor(file("s", idx(0x0B, new int[] {2}, Arrays.copyOf(b.array(), 4)))).data());
        b.clear();
        b.putInt(-70000).putInt(1 << 20);
        assertArrayEquals(new float[] {-70000, 1 << 20}, IdxReader.readTensor(file("i", idx(0x0C, new int[] {2}, Arrays.copyOf(b.array(), 8)))).data());
        b.clear();
        b.putFloat(1.25f).putFloat(-0.5f);
        Tensor f = IdxReader.readTensor(file("f", idx(0x0D, new int[] {1, 2}, Arrays.copyOf(b.array(), 8))));
        assertEquals(Shape.of(1, 2), f.shape());
        assertArrayEquals(new float[] {1.25f, -0.5f}, f.data());
        b.clear();
        b.putDouble(3.5).putDouble(-1e-3);
        assertArrayEquals(new float[] {3.5f, -1e-3f}, IdxReader.readTensor(file("d", idx(0x0E, new int[] {2}, b.array()))).data());
    }

    private void assertFails(Path p, java.util.function.Consumer<Path> read, String... words) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> read.accept(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
        }
    }

    @Test
    void badFilesNameWhatWasExpected() throws IOException {
        byte[] images = idx(0x08, new int[] {2, 3, 3}, pixels(18));
        byte[] labels = idx(0x08, new int[] {2}, new byte[] {1, 2});
        byte[] truncated = Arrays.copyOf(images, images.length - 5);
        assertFails(file("t", truncated), IdxReader::readImages, "truncated", "expected 34 bytes", "the file has 29");
        assertFails(file("tz", gzip(truncated)), IdxReader::readImages, "truncated", "expected 34 bytes", "gzip");
        byte[] cutGzip = gzip(images);
        assertFails(file("cz", Arrays.copyOf(cutGzip, cutGzip.length - 12)), IdxReader::readImages, "gzip stream is corrupt or truncated");
        assertFails(file("p", Arrays.copyOf(images, images.length + 3)), IdxReader::readImages, "trailing bytes", "expected 34 bytes", "has 37");
        assertFails(file("pz", gzip(Arrays.copyOf(images, images.length + 3))), IdxReader::readImages, "trailing bytes");
        assertFails(file("hdr", Arrays.copyOf(images, 9)), IdxReader::readImages, "truncated", "16 header bytes");
        assertFails(file("tiny", new byte[] {0, 0}), IdxReader::readImages, "truncated", "4-byte IDX magic");
        assertFails(file("lab-as-img", labels), IdxReader::readImages, "expected an IDX images file", "0x00000803", "got magic 0x00000801",
                "label file");
        assertFails(file("img-as-lab", images), IdxReader::readLabels, "expected an IDX labels file", "0x00000801", "got magic 0x00000803",
                "image file");
        assertFails(file("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}), IdxReader::readImages, "not an IDX file");
        assertFails(file("type", idx(0x0A, new int[] {1}, new byte[1])), IdxReader::readTensor, "unknown IDX element type 0x0A");
        byte[] huge = idx(0x08, new int[] {65536, 65536, 65536}, new byte[0]);
        assertFails(file("huge", huge), IdxReader::readImages, "more than 2^31");
        byte[] big = idx(0x0E, new int[] {1 << 29}, new byte[16]);
        assertFails(file("big", big), IdxReader::readTensor, "more than one array can hold");
        byte[] claim = idx(0x08, new int[] {40000, 28, 28}, new byte[100]);
        assertFails(file("claim", gzip(claim)), IdxReader::readImages, "truncated", "expected 31360016 bytes", "the stream has 116");

        Path im = file("im", images);
        Path three = file("three", idx(0x08, new int[] {3}, new byte[] {1, 2, 3}));
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readDataset(im, three, 10));
        assertTrue(e.getMessage().contains("2 images") && e.getMessage().contains("3 labels"), e.getMessage());
        Path big9 = file("big9", idx(0x08, new int[] {2}, new byte[] {1, 12}));
        e = assertThrows(DataFormatException.class, () -> IdxReader.readDataset(im, big9, 10));
        assertTrue(e.getMessage().contains("label 1 is 12"), e.getMessage());
    }

    /** Non-finite elements (and float64 beyond float32) are refused with the file, the element and its index. */
    @Test
    void nonFiniteElementsAreRefusedWithTheirPosition() throws IOException {
        ByteBuffer f32 = ByteBuffer.allocate(16);
        f32.putFloat(1f).putFloat(2f).putFloat(3f).putFloat(Float.NaN);
        ByteBuffer f64inf = ByteBuffer.allocate(16);
        f64inf.putDouble(0).putDouble(Double.NEGATIVE_INFINITY);
        ByteBuffer f64big = ByteBuffer.allocate(16);
        f64big.putDouble(1e300).putDouble(0);
        Object[][] cases = {
            {idx(0x0D, new int[] {2, 2}, f32.array()), "element 3 (index [1, 1]) is NaN"},
            {idx(0x0E, new int[] {2}, f64inf.array()), "element 1 (index [1]) is -Infinity"},
            {idx(0x0E, new int[] {1, 2}, f64big.array()), "element 0 (index [0, 0]) is 1.0E300, outside the float32 range"},
        };
        for (Object[] c : cases) {
            for (boolean gz : new boolean[] {false, true}) {
                Path p = file(gz ? "bad.idx.gz" : "bad.idx", gz ? gzip((byte[]) c[0]) : (byte[]) c[0]);
                DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readTensor(p));
                assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains((String) c[1]), e.getMessage());
            }
        }
    }
}
