package io.gradscale.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import io.gradscale.tensor.UnaryOp;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every primitive's backward rule against central finite differences, on random shapes. */
@Tag("kernels")
class GradCheckTest {
    /** One row of the table: what it covers, the function and how to make its inputs. */
    record Case(String name, Ops.Primitive primitive, UnaryOp unary, Function<List<Var>, Var> f,
                Function<Rng, Tensor[]> inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Tensor away(Rng rng, float margin, int... dims) {
        Tensor t = Tensor.uniform(rng, -2f, 2f, dims);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (Math.abs(d[i]) < margin) {
                d[i] = d[i] < 0 ? -margin - 0.1f : margin + 0.1f;
            }
        }
        return t;
    }

    private static Tensor positive(Rng rng, int... dims) {
        return Tensor.uniform(rng, 0.5f, 2f, dims);
    }

    private static int r(Rng rng, int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        Rng s = new Rng(2024);
        int m = r(s, 2, 5);
        int n = r(s, 2, 6);
        int k = r(s, 2, 7);
        c.add(new Case("add", Ops.Primitive.ADD, null, v -> v.get(0).add(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, m, n), Tensor.randn(g, m, n)}));
        c.add(new Case("add broadcast row", Ops.Primitive.ADD, null, v -> v.get(0).add(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, 2, m, n), Tensor.randn(g, n)}));
        c.add(new Case("add broadcast column", Ops.Primitive.ADD, null, v -> v.get(0).add(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, m, 1), Tensor.randn(g, 1, n)}));
        c.add(new Case("sub", Ops.Primitive.SUB, null, v -> v.get(0).sub(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, m, n), Tensor.randn(g, 1, n)}));
        c.add(new Case("mul", Ops.Primitive.MUL, null, v -> v.get(0).mul(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, m, n), Tensor.randn(g, m, 1)}));
        c.add(new Case("mul same var twice", Ops.Primitive.MUL, null, v -> v.get(0).mul(v.get(0)),
                g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("div", Ops.Primitive.DIV, null, v -> v.get(0).div(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, m, n), positive(g, n)}));
        c.add(new Case("scaleShift", Ops.Primitive.SCALE_SHIFT, null, v -> v.get(0).mul(-2.5f).add(0.7f),
                g -> new Tensor[] {Tensor.randn(g, m, n)}));
        for (UnaryOp op : UnaryOp.values()) {
            boolean pos = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL;
            float p = switch (op) {
                case LEAKY_RELU -> 0.07f;
                case ELU -> 1.3f;
                case SOFTPLUS -> 0.8f;
                default -> 0f;
            };
            c.add(new Case("unary " + op, Ops.Primitive.UNARY, op, v -> Ops.unary(op, p, v.get(0)),
                    g -> new Tensor[] {pos ? positive(g, m, n) : away(g, 0.05f, m, n)}));
        }
        c.add(new Case("sum", Ops.Primitive.SUM, null, v -> v.get(0).sum(), g -> new Tensor[] {Tensor.randn(g, m, n, k)}));
        for (int axis = 0; axis < 3; axis++) {
            int ax = axis;
            c.add(new Case("sum axis " + ax, Ops.Primitive.SUM_AXIS, null, v -> v.get(0).sum(ax, ax == 1),
                    g -> new Tensor[] {Tensor.randn(g, m, n, k)}));
            c.add(new Case("max axis " + ax, Ops.Primitive.MAX_AXIS, null, v -> v.get(0).max(ax, ax == 0),
                    g -> new Tensor[] {distinct(g, m, n, k)}));
        }
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            c.add(new Case("matmul ta=" + ta + " tb=" + tb, Ops.Primitive.MATMUL, null, v -> v.get(0).matmul(v.get(1), ta, tb),
                    g -> new Tensor[] {ta ? Tensor.randn(g, k, m) : Tensor.randn(g, m, k), tb ? Tensor.randn(g, n, k) : Tensor.randn(g, k, n)}));
            c.add(new Case("batched matmul ta=" + ta + " tb=" + tb, Ops.Primitive.MATMUL, null, v -> v.get(0).matmul(v.get(1), ta, tb),
                    g -> new Tensor[] {ta ? Tensor.randn(g, 2, k, m) : Tensor.randn(g, 2, m, k), tb ? Tensor.randn(g, 2, n, k) : Tensor.randn(g, 2, k, n)}));
        }
        c.add(new Case("matmul rank-3 by matrix", Ops.Primitive.MATMUL, null, v -> v.get(0).matmul(v.get(1)),
                g -> new Tensor[] {Tensor.randn(g, 2, m, k), Tensor.randn(g, k, n)}));
        c.add(new Case("softmax", Ops.Primitive.SOFTMAX, null, v -> v.get(0).softmax(), g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("logSoftmax", Ops.Primitive.LOG_SOFTMAX, null, v -> v.get(0).logSoftmax(), g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("slice", Ops.Primitive.SLICE, null, v -> v.get(0).slice(1, 1, n), g -> new Tensor[] {Tensor.randn(g, m, n + 1, 2)}));
        c.add(new Case("concat", Ops.Primitive.CONCAT, null, v -> Ops.concat(-1, v.get(0), v.get(1), v.get(0)),
                g -> new Tensor[] {Tensor.randn(g, m, 2), Tensor.randn(g, m, n)}));
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) {
            idx[i] = s.nextInt(n);
        }
        c.add(new Case("gatherLast", Ops.Primitive.GATHER_LAST, null, v -> v.get(0).gatherLast(idx), g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("reshape", Ops.Primitive.RESHAPE, null, v -> v.get(0).reshape(n, -1).mul(v.get(0).reshape(n, -1)),
                g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("transpose", Ops.Primitive.TRANSPOSE, null, v -> v.get(0).transpose(), g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("transpose of the first two axes of a rank-3 tensor", Ops.Primitive.TRANSPOSE, null,
                v -> v.get(0).transpose().mul(v.get(1)), g -> new Tensor[] {Tensor.randn(g, m, 3, n), Tensor.randn(g, 3, m, n)}));
        c.add(new Case("linear", Ops.Primitive.LINEAR, null, v -> Ops.linear(v.get(0), v.get(1), v.get(2)),
                g -> new Tensor[] {Tensor.randn(g, m, k), Tensor.randn(g, n, k), Tensor.randn(g, n)}));
        c.add(new Case("linear rank-3 input, no bias", Ops.Primitive.LINEAR, null, v -> Ops.linear(v.get(0), v.get(1), null),
                g -> new Tensor[] {Tensor.randn(g, 2, m, k), Tensor.randn(g, n, k)}));
        c.add(new Case("linear weight used twice (accumulating GEMM)", Ops.Primitive.LINEAR, null,
                v -> Ops.linear(Ops.linear(v.get(0), v.get(1), v.get(2)).tanh(), v.get(1), v.get(2)),
                g -> new Tensor[] {Tensor.randn(g, m, k), Tensor.randn(g, k, k), Tensor.randn(g, k)}));
        c.add(new Case("linear with the step weight packed", Ops.Primitive.LINEAR, null,
                v -> Ops.linear(v.get(0), v.get(1), v.get(2), new StepWeight(v.get(1))),
                g -> new Tensor[] {Tensor.randn(g, m, k), Tensor.randn(g, n, k), Tensor.randn(g, n)}));
        int hs = r(s, 2, 4);
        int seq = 3;
        for (boolean relu : new boolean[] {false, true}) {
            c.add(new Case("rnnCell " + (relu ? "relu" : "tanh") + " over two steps", Ops.Primitive.RNN_CELL, null, v -> {
                Var h1 = Ops.rnnCell(v.get(0), 1, Ops.linear(v.get(1), v.get(2), null), relu);
                return Ops.rnnCell(v.get(0), 2, Ops.linear(h1, v.get(2), null), relu);
            }, g -> new Tensor[] {away(g, 0.05f, seq, m, hs), Tensor.randn(g, m, hs), Tensor.randn(g, hs, hs)}));
        }
        c.add(new Case("lstmCell over two steps, h and c", Ops.Primitive.LSTM_CELL, null, v -> {
            Var[] s1 = Ops.lstmCell(v.get(0), 0, Ops.linear(v.get(1), v.get(2), null), v.get(3));
            Var[] s2 = Ops.lstmCell(v.get(0), 2, Ops.linear(s1[0], v.get(2), null), s1[1]);
            return s2[0].add(s2[1].mul(-0.7f));
        }, g -> new Tensor[] {Tensor.randn(g, seq, m, 4 * hs), Tensor.randn(g, m, hs), Tensor.randn(g, 4 * hs, hs),
                Tensor.randn(g, m, hs)}));
        c.add(new Case("lstmCell rank-2 projection, c only", Ops.Primitive.LSTM_CELL, null,
                v -> Ops.lstmCell(v.get(0), 0, v.get(1), v.get(2))[1],
                g -> new Tensor[] {Tensor.randn(g, m, 4 * hs), Tensor.randn(g, m, 4 * hs), Tensor.randn(g, m, hs)}));
        c.add(new Case("gruCell over two steps", Ops.Primitive.GRU_CELL, null, v -> {
            Var h1 = Ops.gruCell(v.get(0), 1, Ops.linear(v.get(1), v.get(2), v.get(3)), v.get(1));
            return Ops.gruCell(v.get(0), 0, Ops.linear(h1, v.get(2), v.get(3)), h1);
        }, g -> new Tensor[] {Tensor.randn(g, seq, m, 3 * hs), Tensor.randn(g, m, hs), Tensor.randn(g, 3 * hs, hs),
                Tensor.randn(g, 3 * hs)}));
        c.add(new Case("per-example tap (the identity, its rule seeing the gradient)", Ops.Primitive.PER_EXAMPLE_TAP, null,
                v -> v.get(0).tape().tap(v.get(0).tanh(), g -> { }).mul(v.get(0)),
                g -> new Tensor[] {Tensor.randn(g, m, n)}));
        c.add(new Case("composite: tanh MLP layer with log-softmax loss", Ops.Primitive.MATMUL, null,
                v -> v.get(0).matmul(v.get(1)).add(v.get(2)).tanh().logSoftmax().gatherLast(idx).mean().neg(),
                g -> new Tensor[] {Tensor.randn(g, m, k), Tensor.randn(g, k, n), Tensor.randn(g, n)}));
        return c.stream();
    }

    private static Tensor distinct(Rng g, int... dims) {
        Tensor t = Tensor.zeros(dims);
        int[] perm = new int[t.size()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        g.shuffle(perm);
        for (int i = 0; i < perm.length; i++) {
            t.data()[i] = perm[i] * 0.1f - 1f; // values 0.1 apart: no ties within a step
        }
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c) {
        Tensor[] in = c.inputs().apply(new Rng(c.name().hashCode()));
        GradCheck.Result res = GradCheck.defaults().check(c.f(), in);
        assertTrue(res.passed(), c.name() + ": " + res);
        assertTrue(res.checked() > 0);
    }

    @Test
    void theTableCoversEveryPrimitiveAndEveryUnaryOp() {
        Set<Ops.Primitive> prims = EnumSet.noneOf(Ops.Primitive.class);
        Set<UnaryOp> unaries = EnumSet.noneOf(UnaryOp.class);
        cases().forEach(c -> {
            prims.add(c.primitive());
            if (c.unary() != null) {
                unaries.add(c.unary());
            }
        });
        assertEquals(EnumSet.allOf(Ops.Primitive.class), prims);
        assertEquals(EnumSet.allOf(UnaryOp.class), unaries);
    }

    @Test
    void theCheckerCatchesAWrongFactor() {
        Function<List<Var>, Var> wrong = v -> v.get(0).tape().isRecording() ? v.get(0).mul(1.1f) : v.get(0).mul(1f);
        assertFalse(GradCheck.defaults().check(wrong, Tensor.randn(new Rng(1), 3, 4)).passed());
    }

    @Test
    void theCheckerCatchesATransposedGradient() {
        Function<List<Var>, Var> wrong = v -> v.get(0).tape().isRecording() ? v.get(0).transpose() : v.get(0);
        assertFalse(GradCheck.defaults().check(wrong, Tensor.randn(new Rng(2), 4, 4)).passed());
    }

    @Test
    void gradientsOfAReusedValueAreSummedAndParametersAccumulate() {
        Parameter p = new Parameter(Tensor.vector(1f, 2f, 3f));
        for (int pass = 1; pass <= 2; pass++) {
            Tape t = Tape.recording();
            Var w = t.param(p);
            Var y = w.mul(w).add(w.mul(3f)).sum(); // dy/dw = 2w + 3
            t.backward(y);
            assertEquals(pass * 5f, p.grad().data()[0]);
            assertEquals(pass * 9f, p.grad().data()[2]);
        }
        p.zeroGrad();
        assertEquals(0f, p.grad().data()[1]);
    }

    @Test
    void productGradientsWrittenStraightIntoAClearedParameterStillAccumulateAcrossPasses() {
        // dW of a linear layer is written by its GEMM straight into the parameter's buffer when the gradient
        // is zero (zeroGrad clears lazily); it must still add to an uncleared gradient and clear on zeroGrad.
        Rng rng = new Rng(5);
        Parameter w = new Parameter(Tensor.randn(rng, 3, 4));
        Parameter b = new Parameter(Tensor.randn(rng, 3));
        Tensor x = Tensor.randn(rng, 2, 4);
        float[][] once = new float[2][];
        for (int pass = 1; pass <= 4; pass++) {
            if (pass == 3) {
                w.zeroGrad();
                b.zeroGrad();
            }
            Tape t = Tape.recording();
            Var wv = t.param(w);
            t.backward(Ops.linear(t.constant(x), wv, t.param(b)).tanh().sum());
            if (pass == 1) {
                once[0] = w.grad().data().clone();
                once[1] = b.grad().data().clone();
            }
            assertArrayEquals(once[0], wv.grad().data(), "the var's gradient is this pass's, pass " + pass);
            int times = pass <= 2 ? pass : pass - 2;
            for (int i = 0; i < once[0].length; i++) {
                assertEquals(times * once[0][i], w.grad().data()[i], 1e-6f, "dW, pass " + pass);
            }
            for (int i = 0; i < once[1].length; i++) {
                assertEquals(times * once[1][i], b.grad().data()[i], 1e-6f, "db, pass " + pass);
            }
        }
        w.zeroGrad();
        assertArrayEquals(new float[12], w.grad().data());
    }

    @Test
    void noGradTapeRecordsNothingAndFrozenParametersGetNoGradient() {
        Parameter p = new Parameter(Tensor.vector(1f, 2f));
        Tape t = Tape.noGrad(io.gradscale.tensor.Engine.serial());
        Var y = t.param(p).tanh().sum();
        assertEquals(0, t.size());
        assertFalse(y.requiresGrad());
        Parameter q = new Parameter(Tensor.vector(1f, 2f));
        q.setFrozen(true);
        Tape t2 = Tape.recording();
        t2.backward(t2.param(q).mul(t2.param(p)).sum());
        assertFalse(q.hasGrad());
        assertEquals(1f, p.grad().data()[0]);
    }
}
