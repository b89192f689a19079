package io.gradscale.tensor;

import java.util.Arrays;

/**
 * The dimensions of a dense row-major tensor, rank 0 to 4.
 *
 * <p>A shape is immutable. The element at index {@code (i0, ..., i{r-1})} lives at
 * {@code sum_k i_k * stride_k} with {@code stride_{r-1} = 1} and
 * {@code stride_k = stride_{k+1} * dim_{k+1}}.
 *
 * <p>Broadcasting follows NumPy and PyTorch: shapes are aligned at their trailing dimensions, and two
 * dimensions are compatible when they are equal or one of them is 1.
 */
public final class Shape {
    /** The largest rank a tensor may have. */
    public static final int MAX_RANK = 4;

    private static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        if (dims.length > MAX_RANK) {
            throw new IllegalArgumentException("rank " + dims.length + " is above the maximum of " + MAX_RANK
                    + ": " + Arrays.toString(dims));
        }
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^31 elements");
            }
        }
        this.dims = dims;
        this.size = (int) n;
    }

    /** A shape with the given dimensions (copied). */
    public static Shape of(int... dims) {
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    /** The shape of a rank-0 tensor (one element). */
    public static Shape scalar() {
        return SCALAR;
    }

    public int rank() {
        return dims.length;
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    /** Dimension {@code axis}; a negative axis counts from the end. */
    public int dim(int axis) {
        return dims[normalizeAxis(axis)];
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** The row-major stride of {@code axis}. */
    public int stride(int axis) {
        int a = normalizeAxis(axis);
        int s = 1;
        for (int k = dims.length - 1; k > a; k--) {
            s *= dims[k];
        }
        return s;
    }

    /** Product of the dimensions before {@code axis}. */
    public int outerSize(int axis) {
        int a = normalizeAxis(axis);
        int s = 1;
        for (int k = 0; k < a; k++) {
            s *= dims[k];
        }
        return s;
    }

    /** Product of the dimensions after {@code axis} (equal to its stride). */
    public int innerSize(int axis) {
        return stride(axis);
    }

    /** Maps a possibly negative axis into {@code [0, rank)}, or fails naming the shape. */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for shape " + this);
        }
        return a;
    }

    /** This shape with dimension {@code axis} replaced by {@code value}. */
    public Shape withDim(int axis, int value) {
        int[] d = dims.clone();
        d[normalizeAxis(axis)] = value;
        return new Shape(d);
    }

    /** This shape without dimension {@code axis}. */
    public Shape without(int axis) {
        int a = normalizeAxis(axis);
        int[] d = new int[dims.length - 1];
        for (int k = 0, j = 0; k < dims.length; k++) {
            if (k != a) {
                d[j++] = dims[k];
            }
        }
        return d.length == 0 ? SCALAR : new Shape(d);
    }

    /**
     * The shape two operands broadcast to, or an error naming the operation and both shapes.
     */
    public static Shape broadcast(Shape a, Shape b, String op) {
        if (a.equals(b)) {
            return a;
        }
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int k = 0; k < r; k++) {
            int da = k < r - a.rank() ? 1 : a.dims[k - (r - a.rank())];
            int db = k < r - b.rank() ? 1 : b.dims[k - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(op + ": shapes " + a + " and " + b + " cannot be broadcast together"
                        + " (dimension " + k + " of the result: " + da + " vs " + db + ")");
            }
            out[k] = da == 1 ? db : da;
        }
        return of(out);
    }

    /** True when a tensor of this shape can be broadcast to {@code target} without growing the target. */
    public boolean broadcastsTo(Shape target) {
        if (rank() > target.rank()) {
            return false;
        }
        int off = target.rank() - rank();
        for (int k = 0; k < rank(); k++) {
            if (dims[k] != 1 && dims[k] != target.dims[k + off]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
