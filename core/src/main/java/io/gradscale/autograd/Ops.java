package io.gradscale.autograd;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.PackedMatrix;
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
        SLICE, CONCAT, GATHER_LAST, RESHAPE, TRANSPOSE, LINEAR, RNN_CELL, LSTM_CELL, GRU_CELL,
        /** The identity through which a layer receives its output's gradient for per-example gradients ({@link PerExample}). */
        PER_EXAMPLE_TAP
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
        return a.tape.record(Primitive.SUM, y, g -> {
            Tensor da = e.blank(a.shape());
            da.fill(g.item());
            a.accumulate(da);
        }, a);
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
            Tensor da = e.zeros(s);
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
                if (transA) {
                    addProduct(e, a, b2, g2, transB, true);
                } else {
                    addProduct(e, a, g2, b2, false, !transB);
                }
            }
            if (b.requiresGrad) {
                // A B: dB = A^T G;  A B^T: dB = G^T A;  A^T B: dB = A G;  A^T B^T: dB = G^T A^T
                if (transB) {
                    addProduct(e, b, g2, a2, true, transA);
                } else {
                    addProduct(e, b, a2, g2, !transA, false);
                }
            }
        }, a, b);
    }

    /**
     * {@code v.grad += op(x) op(y)} for rank-2 {@code x, y}. The first contribution is the fresh product
     * itself; later ones are accumulated by the GEMM into the var's own buffer, so a weight used at every
     * step of a sequence costs one gradient buffer, not one per step.
     */
    static void addProduct(Engine e, Var v, Tensor x, Tensor y, boolean tx, boolean ty) {
        Tensor buf = v.grad == null ? parameterBuffer(v) : null;
        if (buf != null) {
            e.gemmInto(tx, ty, x, y, buf.rank() == 2 ? buf : buf.reshape(-1, buf.dim(-1)), false);
            return;
        }
        if (v.grad == null) {
            v.accumulate(e.matmul(x, y, tx, ty).reshape(v.shape()));
            return;
        }
        buf = v.ownGrad();
        e.gemmInto(tx, ty, x, y, buf.rank() == 2 ? buf : buf.reshape(-1, buf.dim(-1)), true);
    }

    /**
     * For a parameter leaf whose gradient is zero: its parameter's gradient buffer, made this var's own
     * gradient, for the first product to overwrite (no allocation, no pass adding it at the end of the
     * backward pass). Null for any other var.
     */
    private static Tensor parameterBuffer(Var v) {
        if (v.parameter == null) {
            return null;
        }
        Tensor buf = v.parameter.takeZeroGrad();
        if (buf != null) {
            v.setGrad(buf);
            v.gradOwned = true;
        }
        return buf;
    }

    /** {@link #addProduct(Engine, Var, Tensor, Tensor, boolean, boolean)} with {@code y} packed, untransposed {@code x}. */
    static void addProduct(Engine e, Var v, Tensor x, PackedMatrix y) {
        Tensor own = v.grad == null ? parameterBuffer(v) : null;
        if (own != null) {
            e.gemmInto(false, x, y, own.rank() == 2 ? own : own.reshape(-1, own.dim(-1)), false);
            return;
        }
        if (v.grad == null) {
            v.accumulate(e.matmul(x, false, y).reshape(v.shape()));
            return;
        }
        Tensor buf = v.ownGrad();
        e.gemmInto(false, x, y, buf.rank() == 2 ? buf : buf.reshape(-1, buf.dim(-1)), true);
    }

    /**
     * The affine map {@code y = x W^T + b} over the last axis (PyTorch's {@code F.linear}): {@code x} is
     * {@code [..., in]}, {@code W} is {@code [out, in]}, {@code b} is {@code [out]} or null. One primitive
     * instead of a product and a broadcast sum: the bias is added into the product's rows in place, and its
     * gradient is the column sums of {@code g} with no broadcast bookkeeping.
     * {@code dx = g W}, {@code dW = g^T x}, {@code db = sum over rows of g}.
     */
    public static Var linear(Var x, Var w, Var b) {
        return linear(x, w, b, null);
    }

    /**
     * {@link #linear(Var, Var, Var)} for a weight used at every step of a sequence, with its packed operands
     * made once per pass ({@link StepWeight}, for {@code w}) rather than by the GEMM at every step; the same
     * bits as without. When {@code w} is a parameter, {@code dW} is not a product per step but one product over
     * all steps at the end of the reverse pass ({@link StepWeightGrad}): the same sum in another, fixed order.
     */
    public static Var linear(Var x, Var w, Var b, StepWeight shared) {
        same(x, w);
        if (b != null) {
            same(x, b);
        }
        Engine e = eng(x);
        if (w.value.rank() != 2 || x.value.rank() < 1 || x.dim(-1) != w.dim(1)) {
            throw new ShapeException("linear: input " + x.shape() + " and weight " + w.shape()
                    + " do not fit (expected input [..., in] and weight [out, in])");
        }
        int out = w.dim(0);
        if (b != null && (b.value.rank() != 1 || b.dim(0) != out)) {
            throw new ShapeException("linear: bias " + b.shape() + " does not fit weight " + w.shape() + " (expected [" + out + "])");
        }
        Tensor x2 = x.value.rank() == 2 ? x.value : x.value.reshape(-1, x.dim(-1));
        if (shared != null && shared.weight() != w) {
            throw new IllegalArgumentException("linear: the step weight packs " + shared.weight().shape()
                    + " of another var than the weight " + w.shape() + " given");
        }
        Tensor y2 = shared == null ? e.matmul(x2, w.value, false, true) : e.matmul(x2, false, shared.transposed());
        if (b != null) {
            e.addRowInPlace(y2, b.value);
        }
        Tensor y = x.value.rank() == 2 ? y2 : y2.reshape(x.shape().withDim(-1, out));
        Var[] in = b == null ? new Var[] {x, w} : new Var[] {x, w, b};
        return x.tape.record(Primitive.LINEAR, y, g -> {
            Tensor g2 = g.rank() == 2 ? g : g.reshape(-1, out);
            if (x.requiresGrad) {
                if (shared == null) {
                    addProduct(e, x, g2, w.value, false, false);
                } else {
                    addProduct(e, x, g2, shared.plain());
                }
            }
            if (w.requiresGrad) {
                if (shared != null && w.parameter != null) {
                    w.tape.stepWeightGrad(w).add(g2, x2);
                } else {
                    addProduct(e, w, g2, x2, true, false);
                }
            }
            if (b != null && b.requiresGrad) {
                b.accumulate(e.sumToShape(g2, b.shape()));
            }
        }, in);
    }

    /**
     * Row {@code r} of time step {@code t} of a time-major {@code [T, batch, G]} projection (or {@code [batch, G]}
     * when T = 1): each step's rows are consecutive, so a step reads and writes one contiguous block.
     */
    private static int timeRow(Tensor xp, int r, int t) {
        int batch = xp.rank() == 3 ? xp.dim(1) : xp.dim(0);
        return (t * batch + r) * xp.dim(-1);
    }

    private static void checkCell(String what, Var xp, int t, Var hp, int gates, Var state) {
        if (xp.value.rank() != 2 && xp.value.rank() != 3) {
            throw new ShapeException(what + ": the input projection must be [batch, G*H] or time-major [T, batch, G*H], got "
                    + xp.shape());
        }
        int steps = xp.value.rank() == 3 ? xp.dim(0) : 1;
        int batch = xp.value.rank() == 3 ? xp.dim(1) : xp.dim(0);
        if (t < 0 || t >= steps) {
            throw new ShapeException(what + ": time step " + t + " is outside [0, " + steps + ") of " + xp.shape());
        }
        int gh = xp.dim(-1);
        if (gh % gates != 0 || hp.value.rank() != 2 || hp.dim(0) != batch || hp.dim(1) != gh) {
            throw new ShapeException(what + ": the hidden projection " + hp.shape() + " does not fit the input projection "
                    + xp.shape() + " (expected [batch, " + gates + "*H] with batch " + batch + ")");
        }
        if (state != null && (state.value.rank() != 2 || state.dim(0) != batch || state.dim(1) != gh / gates)) {
            throw new ShapeException(what + ": the state " + state.shape() + " does not fit [batch, " + gh / gates + "]");
        }
    }

    /** Adds {@code d [batch, G]} into time step {@code t} of {@code xp}'s gradient. */
    private static void addAtTime(Engine e, Var xp, int t, Tensor d) {
        if (!xp.requiresGrad) {
            return;
        }
        if (xp.value.rank() == 2) {
            xp.accumulate(d);
            return;
        }
        float[] gd = xp.ownGrad().data();
        int o = timeRow(xp.value, 0, t); // the step's rows are one block
        e.kernels().add(gd, o, d.data(), 0, gd, o, d.size());
    }

    /**
     * One step of an Elman cell: {@code h = act(xp_t + hp)}, act tanh or ReLU, where {@code xp} holds the
     * input projections (with both biases) of every step, time-major {@code [T, batch, H]}, and {@code hp = h_{t-1} W_hh^T}.
     * {@code d pre = g * act'(h)}, which goes to {@code hp} and to step {@code t} of {@code xp}.
     */
    public static Var rnnCell(Var xp, int t, Var hp, boolean relu) {
        same(xp, hp);
        checkCell("rnnCell", xp, t, hp, 1, null);
        Engine e = eng(xp);
        var k = e.kernels();
        int batch = hp.dim(0);
        int hsz = hp.dim(1);
        Tensor h = e.blank(batch, hsz);
        float[] hd = h.data();
        float[] xd = xp.value.data();
        float[] pd = hp.value.data();
        UnaryOp act = relu ? UnaryOp.RELU : UnaryOp.TANH;
        k.add(xd, timeRow(xp.value, 0, t), pd, 0, hd, 0, hd.length); // the step's rows of xp are one block
        k.unary(act, 0f, hd, 0, hd, 0, hd.length);
        return xp.tape.record(Primitive.RNN_CELL, h, g -> {
            Tensor d = e.blank(batch, hsz);
            k.unaryBackward(act, 0f, hd, hd, g.data(), d.data(), 0, hd.length);
            addAtTime(e, xp, t, d);
            if (hp.requiresGrad) {
                hp.accumulate(d);
            }
        }, xp, hp);
    }

    /**
     * One step of an LSTM cell (gate blocks i, f, g, o, as PyTorch), from the input projections of every
     * step {@code xp [T, batch, 4H]} (time-major, both biases included), {@code hp = h_{t-1} W_hh^T [batch, 4H]} and the
     * previous cell state {@code c [batch, H]}:
     * <pre>
     * i, f, o = sigmoid(xp_t + hp)   g = tanh(xp_t + hp)   c' = f c + i g   h = o tanh(c')
     * </pre>
     * Returns {@code {h, c'}}. Backward, with {@code dc = dc' + dh o (1 - tanh^2 c')}:
     * {@code do = dh tanh c'}, {@code di = dc g}, {@code df = dc c}, {@code dg = dc i}, {@code d c_prev = dc f},
     * each gate's pre-activation gradient times its activation's derivative (from the output alone), which
     * goes to {@code hp} and to step {@code t} of {@code xp}. One node per step instead of about twenty.
     */
    public static Var[] lstmCell(Var xp, int t, Var hp, Var c) {
        same(xp, hp);
        same(xp, c);
        checkCell("lstmCell", xp, t, hp, 4, c);
        Engine e = eng(xp);
        var k = e.kernels();
        int batch = hp.dim(0);
        int hsz = hp.dim(1) / 4;
        int gw = 4 * hsz;
        float[] act = e.blankFloats(batch * gw); // activated gates, [batch, 4H]
        float[] xd = xp.value.data();
        float[] pd = hp.value.data();
        k.add(xd, timeRow(xp.value, 0, t), pd, 0, act, 0, act.length); // the step's rows of xp are one block
        for (int r = 0; r < batch; r++) {
            int o = r * gw;
            k.unary(UnaryOp.SIGMOID, 0f, act, o, act, o, 2 * hsz);
            k.unary(UnaryOp.TANH, 0f, act, o + 2 * hsz, act, o + 2 * hsz, hsz);
            k.unary(UnaryOp.SIGMOID, 0f, act, o + 3 * hsz, act, o + 3 * hsz, hsz);
        }
        float[] cp = c.value.data();
        Tensor cNext = e.blank(batch, hsz);
        Tensor h = e.blank(batch, hsz);
        float[] cn = cNext.data();
        float[] tc = e.blankFloats(batch * hsz); // tanh(c')
        float[] hd = h.data();
        for (int r = 0; r < batch; r++) {
            k.lstmCellState(act, r * gw, cp, r * hsz, hsz, cn);
        }
        k.unary(UnaryOp.TANH, 0f, cn, 0, tc, 0, tc.length);
        for (int r = 0; r < batch; r++) {
            k.mul(act, r * gw + 3 * hsz, tc, r * hsz, hd, r * hsz, hsz);
        }
        Var[] outs = new Var[2];
        Var[] made = xp.tape.recordMulti(Primitive.LSTM_CELL, new Tensor[] {h, cNext}, unused -> {
            float[] dh = outs[0].grad == null ? null : outs[0].grad.data();
            float[] dcn = outs[1].grad == null ? null : outs[1].grad.data();
            Tensor dPre = e.blank(batch, gw);
            float[] dp = dPre.data();
            Tensor dcPrev = c.requiresGrad ? e.blank(batch, hsz) : null;
            float[] dcp = dcPrev == null ? null : dcPrev.data();
            for (int r = 0; r < batch; r++) {
                k.lstmCellBackward(act, r * gw, tc, cp, dh, dcn, r * hsz, hsz, dp, r * gw, dcp);
            }
            addAtTime(e, xp, t, dPre);
            if (hp.requiresGrad) {
                hp.accumulate(dPre);
            }
            if (dcPrev != null) {
                c.accumulate(dcPrev);
            }
        }, xp, hp, c);
        outs[0] = made[0];
        outs[1] = made[1];
        return made;
    }

    /**
     * One step of a GRU cell (gate blocks r, z, n, as PyTorch), from the input projections of every step
     * {@code xp [T, batch, 3H]} (time-major, input bias only), {@code hp = h_{t-1} W_hh^T + b_hh [batch, 3H]} and
     * {@code h_{t-1}}:
     * <pre>
     * r = sigmoid(xp_r + hp_r)   z = sigmoid(xp_z + hp_z)   n = tanh(xp_n + r hp_n)   h = (1 - z) n + z h_{t-1}
     * </pre>
     * Backward: {@code dn = dh (1 - z)}, {@code dz = dh (h_{t-1} - n)}, {@code dh_{t-1} = dh z};
     * {@code a_n = dn (1 - n^2)} goes to {@code xp_n} and, times r, to {@code hp_n}; {@code dr = a_n hp_n};
     * {@code r} and {@code z} pre-activations get {@code dr r (1 - r)} and {@code dz z (1 - z)} in both.
     */
    public static Var gruCell(Var xp, int t, Var hp, Var h) {
        same(xp, hp);
        same(xp, h);
        checkCell("gruCell", xp, t, hp, 3, h);
        Engine e = eng(xp);
        var k = e.kernels();
        int batch = hp.dim(0);
        int hsz = hp.dim(1) / 3;
        int gw = 3 * hsz;
        float[] rz = e.blankFloats(batch * 2 * hsz); // r and z, [batch, 2H]
        float[] n = e.blankFloats(batch * hsz);
        float[] xd = xp.value.data();
        float[] pd = hp.value.data();
        float[] hprev = h.value.data();
        for (int r = 0; r < batch; r++) {
            int xo = timeRow(xp.value, r, t);
            int po = r * gw;
            int ro = r * 2 * hsz;
            k.add(xd, xo, pd, po, rz, ro, 2 * hsz);
            k.unary(UnaryOp.SIGMOID, 0f, rz, ro, rz, ro, 2 * hsz);
            k.gruCellCandidate(xd, xo, rz, ro, pd, po, hsz, n, r * hsz);
        }
        k.unary(UnaryOp.TANH, 0f, n, 0, n, 0, n.length);
        Tensor out = e.blank(batch, hsz);
        float[] od = out.data();
        for (int r = 0; r < batch; r++) {
            k.gruCellState(rz, r * 2 * hsz, n, hprev, r * hsz, hsz, od);
        }
        return xp.tape.record(Primitive.GRU_CELL, out, g -> {
            float[] dh = g.data();
            Tensor dx = e.blank(batch, gw);
            Tensor dhp = e.blank(batch, gw);
            Tensor dPrev = h.requiresGrad ? e.blank(batch, hsz) : null;
            float[] dxd = dx.data();
            float[] dhd = dhp.data();
            float[] dpd = dPrev == null ? null : dPrev.data();
            for (int r = 0; r < batch; r++) {
                k.gruCellBackward(rz, r * 2 * hsz, n, hprev, dh, r * hsz, hsz, pd, r * gw, dxd, dhd, dpd);
            }
            addAtTime(e, xp, t, dx);
            if (hp.requiresGrad) {
                hp.accumulate(dhp);
            }
            if (dPrev != null) {
                h.accumulate(dPrev);
            }
        }, xp, hp, h);
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
            float[] d = e.blankFloats(y.size());
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
            float[] d = e.blankFloats(y.size());
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
            Tensor da = e.zeros(a.shape());
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

    /** The transpose of a matrix, or a rank-3 tensor with its first two axes swapped. {@code da = g^T} (swapped back). */
    public static Var transpose(Var a) {
        Engine e = eng(a);
        Tensor y = e.transpose(a.value);
        return a.tape.record(Primitive.TRANSPOSE, y, g -> a.accumulate(e.transpose(g)), a);
    }
}
