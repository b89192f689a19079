package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.io.FileFormatException;
import io.gradscale.io.Safetensors;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fitted standardiser survives its file bit for bit, and a file that is not one is rejected by name. */
class StandardizerTest {
    @Test
    void roundTripsThroughItsFileBitForBit(@TempDir Path dir) throws IOException {
        Rng rng = new Rng(5);
        for (int[] shape : new int[][] {{50, 1}, {20, 7}, {3, 4, 5}}) {
            Tensor x = Tensor.randn(rng, shape);
            for (int i = 0; i < x.size(); i += 3) {
                x.data()[i] = x.data()[i] * 1e-7f + 123.456f; // awkward decimals: a text format would have to get them right
            }
            Standardizer s = Standardizer.fit(x);
            Path f = dir.resolve("s" + shape.length + shape[1] + ".safetensors");
            s.write(f);
            Standardizer back = Standardizer.read(f);
            assertArrayEquals(s.mean(), back.mean());
            assertArrayEquals(s.std(), back.std());
            assertArrayEquals(s.apply(x).data(), back.apply(x).data());
        }
    }

    @Test
    void aFileOfAnotherShapeIsRejected(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("other.safetensors");
        Safetensors.write(f, Map.of("weight", Tensor.zeros(2, 2)), Map.of());
        FileFormatException e = assertThrows(FileFormatException.class, () -> Standardizer.read(f));
        assertTrue(e.getMessage().contains("other.safetensors") && e.getMessage().contains("weight"), e.getMessage());
    }
}
