package io.gradscale.tensor;

/**
 * The copy that transposes a row-major block: {@code dst[dstOff + j * ldd + i] = src[srcOff + i * lds + j]}.
 *
 * <p>Eight rows of the source at a time: each of the eight is read sequentially (each cache line is used
 * whole across sixteen consecutive {@code j}), and each step writes eight consecutive floats of one row of
 * the destination. Reading one source row at a time instead would write every float to a different row
 * of the destination, a new cache line for each. A pure copy: the values are moved, never computed.
 */
public final class Transposition {
    private Transposition() {
    }

    /**
     * Writes the transpose of the {@code rows x cols} block at {@code src[srcOff..]} (row stride {@code lds >= cols})
     * into {@code dst} from {@code dstOff}, row stride {@code ldd >= rows}: a block of {@code cols} rows of
     * {@code rows} floats each. Also the packing of a transposed B for the GEMM ({@link GemmPacking#packB}).
     */
    public static void into(float[] src, int srcOff, int rows, int cols, int lds, float[] dst, int dstOff, int ldd) {
        if (rows < 0 || cols < 0 || lds < cols || ldd < rows) {
            throw new IllegalArgumentException("transpose of a " + rows + " x " + cols + " block of row stride " + lds
                    + " into rows of stride " + ldd + ": the sizes must be >= 0 and the strides >= " + cols + " and "
                    + rows);
        }
        int i = 0;
        for (; i + 8 <= rows; i += 8) {
            int s = srcOff + i * lds;
            for (int j = 0, d = dstOff + i; j < cols; j++, d += ldd) {
                float v0 = src[s + j];
                float v1 = src[s + lds + j];
                float v2 = src[s + 2 * lds + j];
                float v3 = src[s + 3 * lds + j];
                float v4 = src[s + 4 * lds + j];
                float v5 = src[s + 5 * lds + j];
                float v6 = src[s + 6 * lds + j];
                float v7 = src[s + 7 * lds + j];
                dst[d] = v0;
                dst[d + 1] = v1;
                dst[d + 2] = v2;
                dst[d + 3] = v3;
                dst[d + 4] = v4;
                dst[d + 5] = v5;
                dst[d + 6] = v6;
                dst[d + 7] = v7;
            }
        }
        for (; i < rows; i++) {
            int s = srcOff + i * lds;
            for (int j = 0, d = dstOff + i; j < cols; j++, d += ldd) {
                dst[d] = src[s + j];
            }
        }
    }
}
