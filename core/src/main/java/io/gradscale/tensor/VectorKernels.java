package io.gradscale.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels on the Vector API ({@code jdk.incubator.vector}), tested against {@link ScalarKernels}.
 *
 * <p>Loops follow the usual idiom: a main loop to {@code SPECIES.loopBound(n)} and a scalar tail.
 * Sums keep float lanes over blocks of {@link #BLOCK} elements and add each block's lane total to a
 * double, so long sums keep double accuracy at SIMD speed. Loaded only by name from
 * {@link KernelSelection}, so a JVM without the module never touches this class.
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int BLOCK = 1024;
    private static final ScalarKernels REF = ScalarKernels.INSTANCE;

    /**
     * Sums the lanes in index order. {@code reduceLanes(ADD)} on floats may associate differently in
     * the interpreter and in compiled code, which would break bit-for-bit reproducibility. The scratch array
     * is made once per call, not per block: a sum over 10M floats made 10 000 of them, and {@code lane(i)}
     * with a variable index is slower still.
     */
    private static double laneSum(FloatVector v, float[] scratch) {
        v.intoArray(scratch, 0);
        double s = 0;
        for (float x : scratch) {
            s += x;
        }
        return s;
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    @Override
    public void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            FloatVector.fromArray(SPECIES, a, ao + i).add(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] + b[bo + i];
        }
    }

    @Override
    public void sub(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            FloatVector.fromArray(SPECIES, a, ao + i).sub(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] - b[bo + i];
        }
    }

    @Override
    public void mul(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            FloatVector.fromArray(SPECIES, a, ao + i).mul(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] * b[bo + i];
        }
    }

    @Override
    public void div(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            FloatVector.fromArray(SPECIES, a, ao + i).div(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] / b[bo + i];
        }
    }

    @Override
    public void scaleShift(float[] a, int ao, float s, float t, float[] out, int oo, int n) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(SPECIES, s);
        FloatVector vt = FloatVector.broadcast(SPECIES, t);
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            // mul then add (not fma) to round exactly as the scalar reference does
            FloatVector.fromArray(SPECIES, a, ao + i).mul(vs).add(vt).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] * s + t;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(SPECIES, alpha);
        for (int u = SPECIES.loopBound(n); i < u; i += L) {
            FloatVector.fromArray(SPECIES, x, xo + i).mul(va).add(FloatVector.fromArray(SPECIES, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public void unary(UnaryOp op, float p, float[] a, int ao, float[] out, int oo, int n) {
        int i = 0;
        int u = SPECIES.loopBound(n);
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        switch (op) {
            case NEG -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).neg().intoArray(out, oo + i);
                }
            }
            case ABS -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).abs().intoArray(out, oo + i);
                }
            }
            case SQUARE -> {
                for (; i < u; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, a, ao + i);
                    v.mul(v).intoArray(out, oo + i);
                }
            }
            case SQRT -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).sqrt().intoArray(out, oo + i);
                }
            }
            case EXP -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).lanewise(VectorOperators.EXP).intoArray(out, oo + i);
                }
            }
            case LOG -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).lanewise(VectorOperators.LOG).intoArray(out, oo + i);
                }
            }
            case TANH -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, a, ao + i).lanewise(VectorOperators.TANH).intoArray(out, oo + i);
                }
            }
            case SIGMOID -> {
                for (; i < u; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, a, ao + i);
                    one.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoArray(out, oo + i);
                }
            }
            case RELU -> {
                for (; i < u; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, a, ao + i);
                    // blend keeps -0 -> 0 and NaN -> 0 exactly as the scalar "x > 0 ? x : 0"
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, oo + i);
                }
            }
            case LEAKY_RELU -> {
                for (; i < u; i += L) {
                    FloatVector v = FloatVector.fromArray(SPECIES, a, ao + i);
                    VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
                    v.mul(p).blend(v, pos).intoArray(out, oo + i);
                }
            }
            default -> i = 0; // RECIPROCAL, ELU, GELU, SOFTPLUS: the reference, element by element
        }
        REF.unary(op, p, a, ao + i, out, oo + i, n - i);
    }

    @Override
    public void unaryBackward(UnaryOp op, float p, float[] x, float[] y, float[] g, float[] out, int off, int n) {
        int i = off;
        int u = off + SPECIES.loopBound(n);
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        switch (op) {
            case TANH -> {
                for (; i < u; i += L) {
                    FloatVector yv = FloatVector.fromArray(SPECIES, y, i);
                    FloatVector.fromArray(SPECIES, g, i).mul(one.sub(yv.mul(yv))).intoArray(out, i);
                }
            }
            case SIGMOID -> {
                for (; i < u; i += L) {
                    FloatVector yv = FloatVector.fromArray(SPECIES, y, i);
                    FloatVector.fromArray(SPECIES, g, i).mul(yv.mul(one.sub(yv))).intoArray(out, i);
                }
            }
            case RELU -> {
                for (; i < u; i += L) {
                    FloatVector xv = FloatVector.fromArray(SPECIES, x, i);
                    zero.blend(FloatVector.fromArray(SPECIES, g, i), xv.compare(VectorOperators.GT, 0f)).intoArray(out, i);
                }
            }
            case EXP -> {
                for (; i < u; i += L) {
                    FloatVector.fromArray(SPECIES, g, i).mul(FloatVector.fromArray(SPECIES, y, i)).intoArray(out, i);
                }
            }
            default -> i = off;
        }
        REF.unaryBackward(op, p, x, y, g, out, i, off + n - i);
    }

    @Override
    public double sum(float[] a, int off, int n) {
        double total = 0;
        float[] scratch = new float[L];
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            int base = off + b;
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (int u = SPECIES.loopBound(len); i < u; i += L) {
                acc = acc.add(FloatVector.fromArray(SPECIES, a, base + i));
            }
            double s = laneSum(acc, scratch);
            for (; i < len; i++) {
                s += a[base + i];
            }
            total += s;
        }
        return total;
    }

    @Override
    public double sumSquares(float[] a, int off, int n) {
        double total = 0;
        float[] scratch = new float[L];
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            int base = off + b;
            FloatVector acc0 = FloatVector.zero(SPECIES);
            FloatVector acc1 = FloatVector.zero(SPECIES);
            int i = 0;
            for (int u = len - (len % (2 * L)); i < u; i += 2 * L) {
                FloatVector v0 = FloatVector.fromArray(SPECIES, a, base + i);
                FloatVector v1 = FloatVector.fromArray(SPECIES, a, base + i + L);
                acc0 = v0.fma(v0, acc0);
                acc1 = v1.fma(v1, acc1);
            }
            double s = laneSum(acc0.add(acc1), scratch);
            for (; i < len; i++) {
                double v = a[base + i];
                s += v * v;
            }
            total += s;
        }
        return total;
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        double total = 0;
        float[] scratch = new float[L];
        for (int blk = 0; blk < n; blk += BLOCK) {
            int len = Math.min(BLOCK, n - blk);
            FloatVector acc = FloatVector.zero(SPECIES);
            int i = 0;
            for (int u = SPECIES.loopBound(len); i < u; i += L) {
                acc = FloatVector.fromArray(SPECIES, a, ao + blk + i).fma(FloatVector.fromArray(SPECIES, b, bo + blk + i), acc);
            }
            double s = laneSum(acc, scratch);
            for (; i < len; i++) {
                s += (double) a[ao + blk + i] * b[bo + blk + i];
            }
            total += s;
        }
        return total;
    }

    @Override
    public float max(float[] a, int off, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (int u = SPECIES.loopBound(n); i < u; i += L) {
                acc = acc.max(FloatVector.fromArray(SPECIES, a, off + i)); // Vector max propagates NaN
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        if (m != m) {
            return Float.NaN;
        }
        float t = REF.max(a, off + i, n - i);
        return t != t ? Float.NaN : Math.max(m, t);
    }

    @Override
    public float maxAbs(float[] a, int off, int n) {
        int i = 0;
        float m = 0f;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int u = SPECIES.loopBound(n); i < u; i += L) {
                acc = acc.max(FloatVector.fromArray(SPECIES, a, off + i).abs());
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        if (m != m) {
            return Float.NaN;
        }
        float t = REF.maxAbs(a, off + i, n - i);
        return t != t ? Float.NaN : Math.max(m, t);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        VectorGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
    }
}
