package io.gradscale.autograd;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.ShapeException;
import io.gradscale.tensor.Tensor;
import io.gradscale.tensor.UnaryOp;

/**
 * Every differentiable primitive, each with its forward computation and its backward rule side by
 * side. Everything else (layers, losses) is composed from these, so these rules are the whole of
 * backpropagation; the gradient-check test runs over every {@link Primitive}.
 *
 * <p>Notation: {@code g = dL/dy} is the gradient arriving at the output {@code y}; each rule adds
 * {@code dL/dx = g * dy/dx} (summed over broadcast dimensions) into each input {@code x} that needs it.
 */
public final class Ops {
    private Ops() {
    }

    /** The primitives, for provenance in the tape and coverage in the gradient check. */
    public enum Primitive {
        ADD, SUB, MUL, DIV, SCALE_SHIFT, UNARY, SUM, SUM_AXIS, MAX_AXIS, MATMUL, SOFTMAX, LOG_SOFTMAX,
        SLICE, CONCAT, GATHER_LAST, RESHAPE, TRANSPOSE
    }

    /** A backward rule: given {@code dL/dy}, accumulate into the inputs. */
    @FunctionalInterface
    interface Rule {
        void backward(Tensor g);
    }

    private static Engine eng(Var v) {
        return v.tape.engine();
    }

    private static void same(Var a, Var b) {
        if (a.tape != b.tape) {
            throw new IllegalArgumentException("operands belong to different tapes");
        }
    }

    /** {@code y = a + b} (broadcasting). {@code da = sumToShape(g)}, {@code db = sumToShape(g)}. */
    public static Var add(Var a, Var b) {
        same(a, b);
        Engine e = eng(a);
        Tensor y = e.add(a.value, b.value);
        return a.tape.record(Primitive.ADD, y, g -> {
            if (a.requiresGrad) {
                a.accumulate(e.sumToShape(g, a.shape()));
            }
            if (b.requiresGrad) {
                b.accumulate(e.sumToShape(g, b.shape()));
            }
        }, a, b);
    }

    /** {@code y = a - b}. {@code da = g}, {@code db = -g}. */
    public static Var sub(Var a, Var b) {
        same(a, b);
        Engine e = eng(a);
        Tensor y = e.sub(a.value, b.value);
        return a.tape.record(Primitive.SUB, y, g -> {
            if (a.requiresGrad) {
                a.accumulate(e.sumToShape(g, a.shape()));
            }
            if (b.requiresGrad) {
                b.accumulate(e.sumToShape(e.scaleShift(g, -1f, 0f), b.shape()));
            }
        }, a, b);
    }

    /** {@code y = a * b}. {@code da = g * b}, {@code db = g * a}. */
    public static Var mul(Var a, Var b) {
        same(a, b);
        Engine e = eng(a);
        Tensor y = e.mul(a.value, b.value);
        return a.tape.record(Primitive.MUL, y, g -> {
            if (a.requiresGrad) {
                a.accumulate(e.sumToShape(e.mul(g, b.value), a.shape()));
            }
            if (b.requiresGrad) {
                b.accumulate(e.sumToShape(e.mul(g, a.value), b.shape()));
            }
        }, a, b);
    }

    /** {@code y = a / b}. {@code da = g / b}, {@code db = -g * y / b}. */
    public static Var div(Var a, Var b) {
        same(a, b);
        Engine e = eng(a);
        Tensor y = e.div(a.value, b.value);
        return a.tape.record(Primitive.DIV, y, g -> {
            Tensor gb = e.div(g, b.value);
            if (a.requiresGrad) {
                a.accumulate(e.sumToShape(gb, a.shape()));
            }
            if (b.requiresGrad) {
                b.accumulate(e.sumToShape(e.scaleShift(e.mul(gb, y), -1f, 0f), b.shape()));
            }
        }, a, b);
    }

    /** {@code y = a * s + t} for constants s, t. {@code da = g * s}. */
    public static Var scaleShift(Var a, float s, float t) {
        Engine e = eng(a);
        Tensor y = e.scaleShift(a.value, s, t);
        return a.tape.record(Primitive.SCALE_SHIFT, y, g -> a.accumulate(e.scaleShift(g, s, 0f)), a);
    }

    /** {@code y = f(a; p)} element-wise. {@code da = g * f'(a)}; see {@link UnaryOp#derivative}. */
    public static Var unary(UnaryOp op, float p, Var a) {
        Engine e = eng(a);
        Tensor y = e.unary(op, p, a.value);
        return a.tape.record(Primitive.UNARY, y,
                g -> a.accumulate(e.unaryBackward(op, p, op.derivativeUsesInput() ? a.value : null, y, g)), a);
    }

    /** {@code y = sum_i a_i} (a scalar). {@code da_i = g}. */
    public static Var sum(Var a) {
        Engine e = eng(a);
        Tensor y = Tensor.scalar((float) e.sum(a.value));
        return a.tape.record(Primitive.SUM, y, g -> a.accumulate(Tensor.full(a.shape(), g.item())), a);
    }

    /** {@code y = sum over axis}. {@code da = g} broadcast back along the axis. */
    public static Var sum(Var a, int axis, boolean keepDim) {
        Engine e = eng(a);
        int ax = a.shape().normalizeAxis(axis);
        Tensor y = e.sum(a.value, ax, keepDim);
        Shape kept = a.shape().withDim(ax, 1);
        return a.tape.record(Primitive.SUM_AXIS, y, g -> a.accumulate(e.broadcastTo(g.reshape(kept), a.shape())), a);
    }

    /** {@code y = max over axis}. The gradient flows only to the (first) arg-max of each slice. */
    public static Var max(Var a, int axis, boolean keepDim) {
        Engine e = eng(a);
        Shape s = a.shape();
        int ax = s.normalizeAxis(axis);
        Engine.ArgMax am = e.max(a.value, ax, keepDim);
        return a.tape.record(Primitive.MAX_AXIS, am.values(), g -> {
            int len = s.dim(ax);
            int inner = s.innerSize(ax);
            Tensor da = Tensor.zeros(s);
            float[] d = da.data();
            float[] gd = g.data();
            int[] idx = am.indices();
            for (int q = 0; q < idx.length; q++) {
                int o = q / inner;
                int i = q % inner;
                d[(o * len + idx[q]) * inner + i] += gd[q];
            }
            a.accumulate(da);
        }, a);
    }

    /**
     * {@code Y = op(A) op(B)}. For {@code Y = A B}: {@code dA = G B^T}, {@code dB = A^T G}; the transposed
     * variants follow by transposing these. A rank-3/4 {@code A} times a rank-2 {@code B} folds the
     * leading dimensions into rows.
     */
    public static Var matmul(Var a, Var b, boolean transA, boolean transB) {
        same(a, b);
        Engine e = eng(a);
        Tensor y = e.matmul(a.value, b.value, transA, transB);
        return a.tape.record(Primitive.MATMUL, y, g -> {
            boolean batched = a.value.rank() == 3 && b.value.rank() == 3;
            if (batched) {
                if (a.requiresGrad) {
                    a.accumulate(transA ? e.matmul(b.value, g, transB, true) : e.matmul(g, b.value, false, !transB));
                }
                if (b.requiresGrad) {
                    b.accumulate(transB ? e.matmul(g, a.value, true, transA) : e.matmul(a.value, g, !transA, false));
                }
                return;
            }
            Tensor a2 = a.value.rank() == 2 ? a.value : a.value.reshape(-1, a.value.dim(-1));
            Tensor g2 = g.rank() == 2 ? g : g.reshape(-1, g.dim(-1));
            Tensor b2 = b.value;
            if (a.requiresGrad) {
                // A B: dA = G B^T;  A B^T: dA = G B;  A^T B: dA = B G^T;  A^T B^T: dA = B^T G^T
                Tensor da = transA ? e.matmul(b2, g2, transB, true) : e.matmul(g2, b2, false, !transB);
                a.accumulate(da.reshape(a.shape()));
            }
            if (b.requiresGrad) {
                // A B: dB = A^T G;  A B^T: dB = G^T A;  A^T B: dB = A G;  A^T B^T: dB = G^T A^T
                Tensor db = transB ? e.matmul(g2, a2, true, transA) : e.matmul(a2, g2, !transA, false);
                b.accumulate(db);
            }
        }, a, b);
    }

    /** Softmax over the last axis. {@code da = y * (g - sum(g * y))} per row. */
    public static Var softmax(Var a) {
        Engine e = eng(a);
        Tensor y = e.softmax(a.value);
        return a.tape.record(Primitive.SOFTMAX, y, g -> {
            int c = a.dim(-1);
            int rows = y.size() / c;
            float[] yd = y.data();
            float[] gd = g.data();
            float[] d = new float[y.size()];
            for (int r = 0; r < rows; r++) {
                int off = r * c;
                double dot = e.kernels().dot(gd, off, yd, off, c);
                for (int j = 0; j < c; j++) {
                    d[off + j] = yd[off + j] * (float) (gd[off + j] - dot);
                }
            }
            a.accumulate(Tensor.wrap(d, a.shape()));
        }, a);
    }

    /** Log-softmax over the last axis. {@code da = g - softmax(a) * sum(g)} per row. */
    public static Var logSoftmax(Var a) {
        Engine e = eng(a);
        Tensor y = e.logSoftmax(a.value);
        return a.tape.record(Primitive.LOG_SOFTMAX, y, g -> {
            int c = a.dim(-1);
            int rows = y.size() / c;
            float[] yd = y.data();
            float[] gd = g.data();
            float[] d = new float[y.size()];
            for (int r = 0; r < rows; r++) {
                int off = r * c;
                double gs = e.kernels().sum(gd, off, c);
                for (int j = 0; j < c; j++) {
                    d[off + j] = (float) (gd[off + j] - Math.exp(yd[off + j]) * gs);
                }
            }
            a.accumulate(Tensor.wrap(d, a.shape()));
        }, a);
    }

    /** {@code y = a[start:end]} along an axis. {@code da} is {@code g} placed back in a zero tensor. */
    public static Var slice(Var a, int axis, int start, int end) {
        Engine e = eng(a);
        int ax = a.shape().normalizeAxis(axis);
        Tensor y = e.slice(a.value, ax, start, end);
        return a.tape.record(Primitive.SLICE, y, g -> {
            Tensor da = Tensor.zeros(a.shape());
            e.addIntoSlice(da, ax, start, g);
            a.accumulate(da);
        }, a);
    }

    /** Joins along an axis. Each input's gradient is its slice of {@code g}. */
    public static Var concat(int axis, Var... parts) {
        if (parts.length == 0) {
            throw new ShapeException("concat needs at least one input");
        }
        Engine e = eng(parts[0]);
        Tensor[] vals = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            same(parts[0], parts[i]);
            vals[i] = parts[i].value;
        }
        int ax = vals[0].shape().normalizeAxis(axis);
        Tensor y = e.concat(ax, vals);
        return parts[0].tape.record(Primitive.CONCAT, y, g -> {
            int at = 0;
            for (Var p : parts) {
                int w = p.dim(ax);
                if (p.requiresGrad) {
                    p.accumulate(e.slice(g, ax, at, at + w));
                }
                at += w;
            }
        }, parts);
    }

    /** {@code y_i = a[i, index_i]} over the last axis. {@code da} scatters {@code g} back. */
    public static Var gatherLast(Var a, int[] index) {
        Engine e = eng(a);
        int[] idx = index.clone();
        Tensor y = e.gatherLast(a.value, idx);
        return a.tape.record(Primitive.GATHER_LAST, y, g -> a.accumulate(e.scatterLast(g, idx, a.shape())), a);
    }

    /** A view with another shape. {@code da = g} reshaped back. */
    public static Var reshape(Var a, int... dims) {
        Tensor y = a.value.reshape(dims);
        return a.tape.record(Primitive.RESHAPE, y, g -> a.accumulate(g.reshape(a.shape())), a);
    }

    /** The transpose of a matrix. {@code da = g^T}. */
    public static Var transpose(Var a) {
        Engine e = eng(a);
        Tensor y = e.transpose(a.value);
        return a.tape.record(Primitive.TRANSPOSE, y, g -> a.accumulate(e.transpose(g)), a);
    }
}
