package io.gradscale.tensor;

import java.util.Arrays;

/**
 * A dense, row-major float32 tensor of rank 0 to 4.
 *
 * <p>A tensor is a {@link Shape} over a {@code float[]} of exactly {@code shape.size()} elements.
 * {@link #reshape} shares the array (a view, as in PyTorch); every operation in {@link Engine}
 * returns a new tensor unless its name ends in {@code InPlace} or it writes into an {@code out}
 * argument. The array is exposed through {@link #data()} for kernels and optimizers that update in
 * place; treat tensors you did not create as read-only.
 */
public final class Tensor {
    private final float[] data;
    private final Shape shape;

    private Tensor(Shape shape, float[] data) {
        if (data.length != shape.size()) {
            throw new ShapeException("data of length " + data.length + " does not fit shape " + shape
                    + " (" + shape.size() + " elements)");
        }
        this.shape = shape;
        this.data = data;
    }

    /** Wraps {@code data} (not copied) as a tensor of the given shape. */
    public static Tensor wrap(float[] data, int... dims) {
        return new Tensor(Shape.of(dims), data);
    }

    /** Wraps {@code data} (not copied) as a tensor of the given shape. */
    public static Tensor wrap(float[] data, Shape shape) {
        return new Tensor(shape, data);
    }

    /** A copy of {@code data} as a tensor of the given shape. */
    public static Tensor of(float[] data, int... dims) {
        return new Tensor(Shape.of(dims), data.clone());
    }

    /** A rank-0 tensor. */
    public static Tensor scalar(float value) {
        return new Tensor(Shape.scalar(), new float[] {value});
    }

    /** A rank-1 tensor holding a copy of the values. */
    public static Tensor vector(float... values) {
        return new Tensor(Shape.of(values.length), values.clone());
    }

    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return new Tensor(s, new float[s.size()]);
    }

    public static Tensor zeros(Shape shape) {
        return new Tensor(shape, new float[shape.size()]);
    }

    public static Tensor full(Shape shape, float value) {
        float[] d = new float[shape.size()];
        Arrays.fill(d, value);
        return new Tensor(shape, d);
    }

    public static Tensor full(float value, int... dims) {
        return full(Shape.of(dims), value);
    }

    public static Tensor ones(int... dims) {
        return full(Shape.of(dims), 1f);
    }

    /** Independent standard normal entries drawn from {@code rng}. */
    public static Tensor randn(Rng rng, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextGaussian();
        }
        return new Tensor(s, d);
    }

    /** Independent entries uniform in {@code [lo, hi)} drawn from {@code rng}. */
    public static Tensor uniform(Rng rng, float lo, float hi, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return new Tensor(s, d);
    }

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    public int size() {
        return data.length;
    }

    /** Dimension {@code axis}; negative counts from the end. */
    public int dim(int axis) {
        return shape.dim(axis);
    }

    /** The backing array (shared, not copied). */
    public float[] data() {
        return data;
    }

    /** The only element of a one-element tensor. */
    public float item() {
        if (data.length != 1) {
            throw new ShapeException("item() needs a tensor of one element, got shape " + shape);
        }
        return data[0];
    }

    /** The element at the given multi-index. */
    public float get(int... index) {
        return data[offset(index)];
    }

    public void set(float value, int... index) {
        data[offset(index)] = value;
    }

    private int offset(int[] index) {
        if (index.length != shape.rank()) {
            throw new ShapeException("index " + Arrays.toString(index) + " has rank " + index.length
                    + " but the tensor has shape " + shape);
        }
        int off = 0;
        for (int k = 0; k < index.length; k++) {
            int d = shape.dim(k);
            if (index[k] < 0 || index[k] >= d) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " is out of bounds for shape " + shape);
            }
            off = off * d + index[k];
        }
        return off;
    }

    /** A view with another shape of the same size, sharing the data. One dimension may be -1 (inferred). */
    public Tensor reshape(int... dims) {
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int k = 0; k < d.length; k++) {
            if (d[k] == -1) {
                if (infer >= 0) {
                    throw new ShapeException("reshape " + shape + " to " + Arrays.toString(dims) + ": only one dimension may be -1");
                }
                infer = k;
            } else {
                known *= d[k];
            }
        }
        if (infer >= 0) {
            if (known == 0 || data.length % known != 0) {
                throw new ShapeException("reshape " + shape + " to " + Arrays.toString(dims) + ": sizes do not divide");
            }
            d[infer] = (int) (data.length / known);
        }
        Shape s = Shape.of(d);
        if (s.size() != data.length) {
            throw new ShapeException("reshape " + shape + " (" + data.length + " elements) to " + s
                    + " (" + s.size() + " elements)");
        }
        return new Tensor(s, data);
    }

    /** A view with the given shape, sharing the data. */
    public Tensor reshape(Shape s) {
        if (s.size() != data.length) {
            throw new ShapeException("reshape " + shape + " (" + data.length + " elements) to " + s
                    + " (" + s.size() + " elements)");
        }
        return new Tensor(s, data);
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(shape, data.clone());
    }

    /** Copies {@code src}'s elements into this tensor; the shapes must be equal. */
    public void copyFrom(Tensor src) {
        if (!src.shape.equals(shape)) {
            throw new ShapeException("copyFrom: source shape " + src.shape + " differs from target shape " + shape);
        }
        System.arraycopy(src.data, 0, data, 0, data.length);
    }

    public void fill(float value) {
        Arrays.fill(data, value);
    }

    /** True when shapes are equal and the elements are equal bit for bit. */
    public boolean bitEquals(Tensor other) {
        if (!shape.equals(other.shape)) {
            return false;
        }
        for (int i = 0; i < data.length; i++) {
            if (Float.floatToRawIntBits(data[i]) != Float.floatToRawIntBits(other.data[i])) {
                return false;
            }
        }
        return true;
    }

    /** A copy of the elements widened to double. */
    public double[] toDoubleArray() {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = data[i];
        }
        return d;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(shape).append(' ');
        int n = Math.min(data.length, 8);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(data[i]);
        }
        if (data.length > n) {
            sb.append(", ... (").append(data.length - n).append(" more)");
        }
        return sb.append(']').toString();
    }
}
