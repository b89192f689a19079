package io.gradscale.tensor;

/**
 * The right operand {@code op(B)} ({@code k x n}) of a matrix product, copied once into the strip layout of
 * the packed GEMM (Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS
 * 34(3), 2008), for a weight that multiplies many left operands in a row: the recurrent weight of a sequence,
 * {@code h_{t-1} W^T} at every step. Made by {@link Engine#packB}, used by {@link Engine#matmul(Tensor, boolean,
 * PackedMatrix)} and {@link Engine#gemmInto(boolean, Tensor, PackedMatrix, Tensor, boolean)}, which give the
 * same bits as the unpacked product of the same operands.
 *
 * <p>An immutable value: the caller holds it for as long as it needs it (a pass), nothing caches it. It is a
 * snapshot of {@code B} and still refers to {@code B} (products too small for packing read it in place), so
 * {@code B} must not be written while the packed matrix is in use. The packed copy is absent (and {@code B}
 * is read directly) when the engine's kernels do not pack.
 */
public final class PackedMatrix {
    private final Tensor source;
    private final boolean transposed;
    private final int k;
    private final int n;
    private final float[] packed;

    PackedMatrix(Tensor source, boolean transposed, int k, int n, float[] packed) {
        this.source = source;
        this.transposed = transposed;
        this.k = k;
        this.n = n;
        this.packed = packed;
    }

    /** The stored operand {@code B}. */
    public Tensor source() {
        return source;
    }

    /** Whether {@code op(B) = B^T}. */
    public boolean transposed() {
        return transposed;
    }

    /** Rows of {@code op(B)}: the inner dimension of the product. */
    public int rows() {
        return k;
    }

    /** Columns of {@code op(B)}. */
    public int columns() {
        return n;
    }

    /** Whether the kernels packed a copy (false: products read {@link #source()} in place). */
    public boolean isPacked() {
        return packed != null;
    }

    /**
     * The packed copy, or null when not packed: for the bookkeeping of its lifetime (a {@link BufferArena} it was
     * leased from), never to be written.
     */
    public float[] packed() {
        return packed;
    }

    @Override
    public String toString() {
        return "PackedMatrix[" + source.shape() + (transposed ? "^T" : "") + (packed == null ? ", unpacked]" : "]");
    }
}
