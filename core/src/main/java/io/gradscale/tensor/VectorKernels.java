package io.gradscale.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    /**
     * Int lanes of the same shape, as a constant: derived inside a loop's method
     * ({@code SPECIES.vectorShape().withLanes(int.class)}) C2 cannot intrinsify the int operations on it, and
     * they ran in the Vector API's Java fallback (tanh at about 2 ns per float instead of 0.1).
     */
    static final VectorSpecies<Integer> INT_SPECIES = VectorSpecies.of(int.class, SPECIES.vectorShape());
    private static final int L = SPECIES.length();
    /** All bits of a float but its sign. */
    private static final int ABS_MASK = 0x7fffffff;
    /** The bits of positive infinity; above it, with the sign cleared, lie only NaNs. */
    private static final int INFINITY_BITS = 0x7f800000;
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

    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;
    private static final float EXP_MAX = 88.7228394f;
    private static final float EXP_MIN = -87.3365479f;
    // exp(r) on |r| <= ln2 / 2: the Taylor coefficients 1/k! (truncation error below 5e-9)
    private static final float EXP_C7 = 1.98412698e-4f;
    private static final float EXP_C6 = 1.38888889e-3f;
    private static final float EXP_C5 = 8.33333333e-3f;
    private static final float EXP_C4 = 4.16666667e-2f;
    private static final float EXP_C3 = 1.66666667e-1f;
    private static final float EXP_C2 = 0.5f;
    // tanh(x) on |x| < 1/4: the odd Taylor coefficients, x^11 down to x^3
    private static final float TANH_C11 = -8.86323552e-3f;
    private static final float TANH_C9 = 2.18694885e-2f;
    private static final float TANH_C7 = -5.39682540e-2f;
    private static final float TANH_C5 = 1.33333333e-1f;
    private static final float TANH_C3 = -3.33333333e-1f;
    private static final float TANH_SMALL = 0.25f;

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(SPECIES, v);
    }

    /**
     * {@code out = f(a)} for f = exp, sigmoid or tanh over {@code [0, u)}, u a multiple of the vector length.
     *
     * <p>{@code e^x} is built from additions, multiplications and fused multiply-adds only: {@code x = n ln2 + r}
     * (Cody and Waite's two-part ln2), a degree-7 polynomial for {@code e^r}, and {@code 2^n} put into the
     * exponent bits (as two halves: n reaches 128 at the top of the range). Not {@code lanewise(EXP)}: that
     * is an intrinsic (SVML) once compiled and {@code Math.exp} per lane before, so its bits would depend on
     * when the JIT reached the loop, and runs on one thread and on two drifted apart. These operations round
     * exactly either way. exp is within 2 ulp of {@code Math.exp}, {@code +inf} above 88.72, 0 below -87.34
     * (where the reference gives subnormals), NaN for NaN. sigmoid is {@code 1 / (1 + e^-x)}; tanh is
     * {@code sign(x) (1 - 2 / (e^{2|x|} + 1))}, and its odd Taylor series on {@code |x| < 1/4} where that
     * difference would cancel (absolute error below 3e-7).
     *
     * <p>All of it is one straight loop on purpose: a helper called per vector and not inlined (C2 will not
     * inline a callee whose compiled code is large) boxes every vector it takes or returns.
     */
    private static void transcendental(UnaryOp op, float[] a, int ao, float[] out, int oo, int u) {
        FloatVector one = bc(1f);
        FloatVector two = bc(2f);
        FloatVector lo = bc(EXP_MIN);
        FloatVector hi = bc(EXP_MAX);
        FloatVector log2e = bc(LOG2E);
        FloatVector round = bc(ROUND);
        FloatVector ln2Hi = bc(-LN2_HI);
        FloatVector ln2Lo = bc(-LN2_LO);
        FloatVector c7 = bc(EXP_C7);
        FloatVector c6 = bc(EXP_C6);
        FloatVector c5 = bc(EXP_C5);
        FloatVector c4 = bc(EXP_C4);
        FloatVector c3 = bc(EXP_C3);
        FloatVector c2 = bc(EXP_C2);
        FloatVector inf = bc(Float.POSITIVE_INFINITY);
        FloatVector zero = bc(0f);
        FloatVector t11 = bc(TANH_C11);
        FloatVector t9 = bc(TANH_C9);
        FloatVector t7 = bc(TANH_C7);
        FloatVector t5 = bc(TANH_C5);
        FloatVector t3 = bc(TANH_C3);
        FloatVector smallBound = bc(TANH_SMALL);
        IntVector roundBits = IntVector.broadcast(INT_SPECIES, Float.floatToRawIntBits(ROUND));
        IntVector bias = IntVector.broadcast(INT_SPECIES, 127);
        for (int i = 0; i < u; i += L) {
            FloatVector v = FloatVector.fromArray(SPECIES, a, ao + i);
            FloatVector x = op == UnaryOp.EXP ? v : op == UnaryOp.SIGMOID ? v.neg() : v.abs().mul(two);
            FloatVector xc = x.max(lo).min(hi);
            FloatVector shifted = xc.fma(log2e, round); // n + 1.5 * 2^23: n sits in the low mantissa bits
            FloatVector n = shifted.sub(round);
            FloatVector r = n.fma(ln2Hi, xc).add(n.mul(ln2Lo));
            FloatVector poly = c7.fma(r, c6).fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2).fma(r, one).fma(r, one);
            IntVector ni = shifted.reinterpretAsInts().sub(roundBits);
            IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
            FloatVector e = poly.mul(half.add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(ni.sub(half).add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .blend(inf, x.compare(VectorOperators.GT, hi))
                    .blend(zero, x.compare(VectorOperators.LT, lo));
            FloatVector y;
            if (op == UnaryOp.EXP) {
                y = e;
            } else if (op == UnaryOp.SIGMOID) {
                y = one.div(one.add(e));
            } else {
                FloatVector big = one.sub(two.div(e.add(one)));
                big = big.blend(big.neg(), v.compare(VectorOperators.LT, zero));
                FloatVector v2 = v.mul(v);
                FloatVector p = t11.fma(v2, t9).fma(v2, t7).fma(v2, t5).fma(v2, t3);
                FloatVector small = v.fma(v2.mul(p), v);
                y = big.blend(small, v.abs().compare(VectorOperators.LT, smallBound)).blend(v, v.compare(VectorOperators.NE, v));
            }
            y.intoArray(out, oo + i);
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
            case EXP, TANH, SIGMOID -> {
                transcendental(op, a, ao, out, oo, u);
                i = u;
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
            default -> i = 0; // RECIPROCAL, LOG, ELU, GELU, SOFTPLUS: the reference, element by element
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
    public void adam(float[] g, float[] m, float[] v, float[] vmax, float[] u, float[] w, int off, int n,
                     AdamCoefficients k, float f) {
        float b1 = k.b1();
        float c1 = k.c1();
        float b2 = k.b2();
        float c2 = k.c2();
        float bc2Sqrt = k.bc2Sqrt();
        float eps = k.eps();
        float invBc1 = k.invBc1();
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            // the reference's order: (m b1) + (c1 g), (v b2) + ((c2 g) g); no fused multiply-add
            FloatVector mv = FloatVector.fromArray(SPECIES, m, j).mul(b1).add(gv.mul(c1));
            FloatVector vv = FloatVector.fromArray(SPECIES, v, j).mul(b2).add(gv.mul(c2).mul(gv));
            mv.intoArray(m, j);
            vv.intoArray(v, j);
            if (vmax != null) {
                vv = FloatVector.fromArray(SPECIES, vmax, j).max(vv);
                vv.intoArray(vmax, j);
            }
            applyUpdate(mv.div(vv.sqrt().div(bc2Sqrt).add(eps)).mul(invBc1), u, w, j, f);
        }
        ScalarKernels.adamFrom(j, g, m, v, vmax, u, w, off + n, k, f);
    }

    @Override
    public void momentum(float[] g, float[] b, float[] u, float[] w, int off, int n, float mu, float keep,
                         boolean first, boolean nesterov, float f) {
        FloatVector keepV = FloatVector.broadcast(SPECIES, keep);
        FloatVector muV = FloatVector.broadcast(SPECIES, mu);
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            // the reference's order: fma(keep, g, b mu), then fma(mu, b, g)
            FloatVector bv = first ? gv : gv.fma(keepV, FloatVector.fromArray(SPECIES, b, j).mul(mu));
            bv.intoArray(b, j);
            applyUpdate(nesterov ? bv.fma(muV, gv) : bv, u, w, j, f);
        }
        ScalarKernels.momentumFrom(j, g, b, u, w, off + n, mu, keep, first, nesterov, f);
    }

    @Override
    public void gruCellCandidate(float[] xp, int xo, float[] rz, int ro, float[] hp, int po, int h, float[] n, int so) {
        int j = 0;
        for (int u = SPECIES.loopBound(h); j < u; j += L) {
            FloatVector rn = FloatVector.fromArray(SPECIES, rz, ro + j).mul(FloatVector.fromArray(SPECIES, hp, po + 2 * h + j));
            FloatVector.fromArray(SPECIES, xp, xo + 2 * h + j).add(rn).intoArray(n, so + j);
        }
        ScalarKernels.gruCellCandidateFrom(j, xp, xo, rz, ro, hp, po, h, n, so);
    }

    @Override
    public void gruCellState(float[] rz, int ro, float[] n, float[] hprev, int so, int h, float[] out) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int j = 0;
        for (int u = SPECIES.loopBound(h); j < u; j += L) {
            FloatVector z = FloatVector.fromArray(SPECIES, rz, ro + h + j);
            FloatVector keepN = one.sub(z).mul(FloatVector.fromArray(SPECIES, n, so + j));
            keepN.add(z.mul(FloatVector.fromArray(SPECIES, hprev, so + j))).intoArray(out, so + j);
        }
        ScalarKernels.gruCellStateFrom(j, rz, ro, n, hprev, so, h, out);
    }

    @Override
    public void gruCellBackward(float[] rz, int ro, float[] n, float[] hprev, float[] dh, int so, int h, float[] hp,
                                int po, float[] dx, float[] dhp, float[] dPrev) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        int j = 0;
        for (int u = SPECIES.loopBound(h); j < u; j += L) {
            FloatVector rg = FloatVector.fromArray(SPECIES, rz, ro + j);
            FloatVector z = FloatVector.fromArray(SPECIES, rz, ro + h + j);
            FloatVector nj = FloatVector.fromArray(SPECIES, n, so + j);
            FloatVector d = FloatVector.fromArray(SPECIES, dh, so + j);
            // the reference's order: each product left to right
            FloatVector an = d.mul(one.sub(z)).mul(one.sub(nj.mul(nj)));
            FloatVector ar = an.mul(FloatVector.fromArray(SPECIES, hp, po + 2 * h + j)).mul(rg).mul(one.sub(rg));
            FloatVector az = d.mul(FloatVector.fromArray(SPECIES, hprev, so + j).sub(nj)).mul(z).mul(one.sub(z));
            ar.intoArray(dx, po + j);
            az.intoArray(dx, po + h + j);
            an.intoArray(dx, po + 2 * h + j);
            ar.intoArray(dhp, po + j);
            az.intoArray(dhp, po + h + j);
            an.mul(rg).intoArray(dhp, po + 2 * h + j);
            if (dPrev != null) {
                d.mul(z).intoArray(dPrev, so + j);
            }
        }
        ScalarKernels.gruCellBackwardFrom(j, rz, ro, n, hprev, dh, so, h, hp, po, dx, dhp, dPrev);
    }

    @Override
    public void rmsprop(float[] g, float[] s, float[] ga, float[] u, float[] w, int off, int n, float a, float c,
                        float eps, float f) {
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            // the reference's order: (s a) + ((c g) g); no fused multiply-add
            FloatVector sv = FloatVector.fromArray(SPECIES, s, j).mul(a).add(gv.mul(c).mul(gv));
            sv.intoArray(s, j);
            FloatVector avg;
            if (ga != null) {
                FloatVector mv = FloatVector.fromArray(SPECIES, ga, j).mul(a).add(gv.mul(c));
                mv.intoArray(ga, j);
                avg = sv.sub(mv.mul(mv)).sqrt();
            } else {
                avg = sv.sqrt();
            }
            applyUpdate(gv.div(avg.add(eps)), u, w, j, f);
        }
        ScalarKernels.rmspropFrom(j, g, s, ga, u, w, off + n, a, c, eps, f);
    }

    @Override
    public void adagrad(float[] g, float[] s, float[] u, float[] w, int off, int n, float eps, float f) {
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            FloatVector sv = FloatVector.fromArray(SPECIES, s, j).add(gv.mul(gv));
            sv.intoArray(s, j);
            applyUpdate(gv.div(sv.sqrt().add(eps)), u, w, j, f);
        }
        ScalarKernels.adagradFrom(j, g, s, u, w, off + n, eps, f);
    }

    @Override
    public void adadelta(float[] g, float[] s, float[] a, float[] u, float[] w, int off, int n, float rho, float c,
                         float eps, float f) {
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            // the reference's order: (s rho) + ((c g) g); sqrt(a + eps) / sqrt(s + eps) * g; (a rho) + ((c d) d)
            FloatVector sv = FloatVector.fromArray(SPECIES, s, j).mul(rho).add(gv.mul(c).mul(gv));
            sv.intoArray(s, j);
            FloatVector av = FloatVector.fromArray(SPECIES, a, j);
            FloatVector d = av.add(eps).sqrt().div(sv.add(eps).sqrt()).mul(gv);
            av.mul(rho).add(d.mul(c).mul(d)).intoArray(a, j);
            applyUpdate(d, u, w, j, f);
        }
        ScalarKernels.adadeltaFrom(j, g, s, a, u, w, off + n, rho, c, eps, f);
    }

    @Override
    public void nadam(float[] g, float[] m, float[] v, float[] u, float[] w, int off, int n, NadamCoefficients k,
                      float f) {
        float b1 = k.b1();
        float c1 = k.c1();
        float b2 = k.b2();
        float c2 = k.c2();
        float bc2Sqrt = k.bc2Sqrt();
        float eps = k.eps();
        float cg = k.cg();
        float cm = k.cm();
        int j = off;
        for (int end = off + SPECIES.loopBound(n); j < end; j += L) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, j);
            // the reference's order: (m b1) + (c1 g), (v b2) + ((c2 g) g); (cg (g / d)) + (cm (m / d))
            FloatVector mv = FloatVector.fromArray(SPECIES, m, j).mul(b1).add(gv.mul(c1));
            FloatVector vv = FloatVector.fromArray(SPECIES, v, j).mul(b2).add(gv.mul(c2).mul(gv));
            mv.intoArray(m, j);
            vv.intoArray(v, j);
            FloatVector d = vv.sqrt().div(bc2Sqrt).add(eps);
            applyUpdate(gv.div(d).mul(cg).add(mv.div(d).mul(cm)), u, w, j, f);
        }
        ScalarKernels.nadamFrom(j, g, m, v, u, w, off + n, k, f);
    }

    /** A vector of update {@code q} at {@code j}: {@code u = q} and {@code w += f q} as {@code GradientStep} applies it, each when not null. */
    private static void applyUpdate(FloatVector q, float[] u, float[] w, int j, float f) {
        if (u != null) {
            q.intoArray(u, j);
        }
        if (w != null) {
            FloatVector wv = FloatVector.fromArray(SPECIES, w, j);
            (f == 1f ? wv.add(q) : wv.add(q.mul(f).add(0f))).intoArray(w, j);
        }
    }

    @Override
    public void lstmCellState(float[] act, int ao, float[] c, int so, int h, float[] cNext) {
        int j = 0;
        for (int u = SPECIES.loopBound(h); j < u; j += L) {
            FloatVector fc = FloatVector.fromArray(SPECIES, act, ao + h + j).mul(FloatVector.fromArray(SPECIES, c, so + j));
            FloatVector ig = FloatVector.fromArray(SPECIES, act, ao + j).mul(FloatVector.fromArray(SPECIES, act, ao + 2 * h + j));
            fc.add(ig).intoArray(cNext, so + j);
        }
        ScalarKernels.lstmCellStateFrom(j, act, ao, c, so, h, cNext);
    }

    @Override
    public void lstmCellBackward(float[] act, int ao, float[] tc, float[] c, float[] dh, float[] dcNext, int so,
                                 int h, float[] dp, int po, float[] dcPrev) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector zero = FloatVector.zero(SPECIES);
        int j = 0;
        for (int u = SPECIES.loopBound(h); j < u; j += L) {
            FloatVector ig = FloatVector.fromArray(SPECIES, act, ao + j);
            FloatVector fg = FloatVector.fromArray(SPECIES, act, ao + h + j);
            FloatVector gg = FloatVector.fromArray(SPECIES, act, ao + 2 * h + j);
            FloatVector og = FloatVector.fromArray(SPECIES, act, ao + 3 * h + j);
            FloatVector th = FloatVector.fromArray(SPECIES, tc, so + j);
            FloatVector dhj = dh == null ? zero : FloatVector.fromArray(SPECIES, dh, so + j);
            FloatVector dcn = dcNext == null ? zero : FloatVector.fromArray(SPECIES, dcNext, so + j);
            // the reference's order: dc' + ((dh o) (1 - th th)), then each product left to right
            FloatVector dc = dcn.add(dhj.mul(og).mul(one.sub(th.mul(th))));
            dc.mul(gg).mul(ig).mul(one.sub(ig)).intoArray(dp, po + j);
            dc.mul(FloatVector.fromArray(SPECIES, c, so + j)).mul(fg).mul(one.sub(fg)).intoArray(dp, po + h + j);
            dc.mul(ig).mul(one.sub(gg.mul(gg))).intoArray(dp, po + 2 * h + j);
            dhj.mul(th).mul(og).mul(one.sub(og)).intoArray(dp, po + 3 * h + j);
            if (dcPrev != null) {
                dc.mul(fg).intoArray(dcPrev, so + j);
            }
        }
        ScalarKernels.lstmCellBackwardFrom(j, act, ao, tc, c, dh, dcNext, so, h, dp, po, dcPrev);
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
        // On the bits with the sign cleared: for non-negative floats the integer order is the float order, and every
        // NaN lies above infinity, so an integer max (one instruction, where a float max with Java's NaN rule is
        // several on one dependency chain) gives the same maximum, and a NaN whenever there is one.
        int i = 0;
        IntVector acc0 = IntVector.zero(INT_SPECIES);
        IntVector acc1 = acc0;
        for (int u = n - n % (2 * L); i < u; i += 2 * L) {
            acc0 = acc0.max(FloatVector.fromArray(SPECIES, a, off + i).reinterpretAsInts().lanewise(VectorOperators.AND, ABS_MASK));
            acc1 = acc1.max(FloatVector.fromArray(SPECIES, a, off + i + L).reinterpretAsInts().lanewise(VectorOperators.AND, ABS_MASK));
        }
        int bits = acc0.max(acc1).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            bits = Math.max(bits, Float.floatToRawIntBits(a[off + i]) & ABS_MASK);
        }
        return bits > INFINITY_BITS ? Float.NaN : Float.intBitsToFloat(bits);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        VectorGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
    }

    @Override
    public float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, Parallel par,
                         java.util.function.IntFunction<float[]> buffers) {
        return VectorGemm.packWhole(transB, k, n, b, bOff, ldb, par, buffers);
    }

    @Override
    public void gemmPrepacked(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] packedB,
                              boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        if (packedB == null) {
            VectorGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
        } else {
            VectorGemm.prepacked(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, packedB, accumulate, c, cOff, ldc, par);
        }
    }

    @Override
    public void gaussianNoise(long state, double sigma, double scale, float[] in, float[] out, int from, int to) {
        VectorGaussian.noise(state, sigma, scale, in, out, from, to);
    }
}
