package io.gradscale.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TranspositionTest {
    /**
     * Every element lands at its transposed place and nothing outside the block is written, for blocks with
     * and without a short group of rows (fewer than eight), with padded strides and offsets on both sides.
     */
    @ParameterizedTest
    @CsvSource({"0,5,5,0", "1,1,1,1", "3,7,9,4", "8,8,8,8", "9,5,6,12", "16,33,40,20", "17,1,3,17", "32,512,512,1600"})
    void movesEachElementToItsTransposedPlace(int rows, int cols, int lds, int ldd) {
        int srcOff = 3;
        int dstOff = 5;
        float[] src = new float[srcOff + rows * lds + 2];
        for (int i = 0; i < src.length; i++) {
            src[i] = i + 0.5f;
        }
        float[] dst = new float[dstOff + Math.max(1, cols) * Math.max(ldd, 1) + 2];
        java.util.Arrays.fill(dst, Float.NaN);
        Transposition.into(src, srcOff, rows, cols, lds, dst, dstOff, ldd);
        boolean[] written = new boolean[dst.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int d = dstOff + j * ldd + i;
                assertEquals(src[srcOff + i * lds + j], dst[d], "element (" + i + ", " + j + ")");
                written[d] = true;
            }
        }
        for (int d = 0; d < dst.length; d++) {
            if (!written[d]) {
                assertTrue(Float.isNaN(dst[d]), "wrote outside the block at " + d);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"-1,3,3,3", "3,-1,3,3", "3,4,3,3", "4,3,3,3"})
    void badSizesAndStridesAreRefused(int rows, int cols, int lds, int ldd) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Transposition.into(new float[64], 0, rows, cols, lds, new float[64], 0, ldd));
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
    }
}
