package io.gradscale.tensor;

/**
 * The plain scalar reference implementation of every kernel: obvious loops that define what the
 * fast paths must compute. Used directly when the Vector API is absent.
 */
public final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    /** Rows of C handled by one parallel chunk of the reference GEMM; fixed, so results do not depend on threads. */
    private static final int GEMM_ROW_CHUNK = 16;

    private ScalarKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = a[ao + i] + b[bo + i];
        }
    }

    @Override
    public void sub(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = a[ao + i] - b[bo + i];
        }
    }

    @Override
    public void mul(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = a[ao + i] * b[bo + i];
        }
    }

    @Override
    public void div(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = a[ao + i] / b[bo + i];
        }
    }

    @Override
    public void scaleShift(float[] a, int ao, float s, float t, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = a[ao + i] * s + t;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public void unary(UnaryOp op, float p, float[] a, int ao, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i], p);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, float p, float[] x, float[] y, float[] g, float[] out, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float xi = x == null ? 0f : x[i];
            float yi = y == null ? 0f : y[i];
            out[i] = g[i] * op.derivative(xi, yi, p);
        }
    }

    @Override
    public void adam(float[] g, float[] m, float[] v, float[] vmax, float[] u, float[] w, int off, int n,
                     AdamCoefficients k, float f) {
        adamFrom(off, g, m, v, vmax, u, w, off + n, k, f);
    }

    /** {@link #adam} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void adamFrom(int from, float[] g, float[] m, float[] v, float[] vmax, float[] u, float[] w, int end,
                         AdamCoefficients k, float f) {
        float b1 = k.b1();
        float c1 = k.c1();
        float b2 = k.b2();
        float c2 = k.c2();
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float mj = m[j] * b1 + c1 * gj;
            float vj = v[j] * b2 + c2 * gj * gj;
            m[j] = mj;
            v[j] = vj;
            float d = vj;
            if (vmax != null) {
                d = Math.max(vmax[j], vj);
                vmax[j] = d;
            }
            applyUpdate(mj / ((float) Math.sqrt(d) / k.bc2Sqrt() + k.eps()) * k.invBc1(), u, w, j, f);
        }
    }

    @Override
    public void momentum(float[] g, float[] b, float[] u, float[] w, int off, int n, float mu, float keep,
                         boolean first, boolean nesterov, float f) {
        momentumFrom(off, g, b, u, w, off + n, mu, keep, first, nesterov, f);
    }

    /** {@link #momentum} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void momentumFrom(int from, float[] g, float[] b, float[] u, float[] w, int end, float mu, float keep,
                             boolean first, boolean nesterov, float f) {
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float bj = first ? gj : Math.fma(keep, gj, b[j] * mu);
            b[j] = bj;
            applyUpdate(nesterov ? Math.fma(mu, bj, gj) : bj, u, w, j, f);
        }
    }

    @Override
    public void gruCellCandidate(float[] xp, int xo, float[] rz, int ro, float[] hp, int po, int h, float[] n, int so) {
        gruCellCandidateFrom(0, xp, xo, rz, ro, hp, po, h, n, so);
    }

    /** {@link #gruCellCandidate} for the columns {@code j >= from} only (a vector kernel's tail). */
    static void gruCellCandidateFrom(int from, float[] xp, int xo, float[] rz, int ro, float[] hp, int po, int h,
                                     float[] n, int so) {
        for (int j = from; j < h; j++) {
            n[so + j] = xp[xo + 2 * h + j] + rz[ro + j] * hp[po + 2 * h + j];
        }
    }

    @Override
    public void gruCellState(float[] rz, int ro, float[] n, float[] hprev, int so, int h, float[] out) {
        gruCellStateFrom(0, rz, ro, n, hprev, so, h, out);
    }

    /** {@link #gruCellState} for the columns {@code j >= from} only (a vector kernel's tail). */
    static void gruCellStateFrom(int from, float[] rz, int ro, float[] n, float[] hprev, int so, int h, float[] out) {
        for (int j = from; j < h; j++) {
            float z = rz[ro + h + j];
            out[so + j] = (1f - z) * n[so + j] + z * hprev[so + j];
        }
    }

    @Override
    public void gruCellBackward(float[] rz, int ro, float[] n, float[] hprev, float[] dh, int so, int h, float[] hp,
                                int po, float[] dx, float[] dhp, float[] dPrev) {
        gruCellBackwardFrom(0, rz, ro, n, hprev, dh, so, h, hp, po, dx, dhp, dPrev);
    }

    /** {@link #gruCellBackward} for the columns {@code j >= from} only (a vector kernel's tail). */
    static void gruCellBackwardFrom(int from, float[] rz, int ro, float[] n, float[] hprev, float[] dh, int so, int h,
                                    float[] hp, int po, float[] dx, float[] dhp, float[] dPrev) {
        for (int j = from; j < h; j++) {
            float rg = rz[ro + j];
            float z = rz[ro + h + j];
            float nj = n[so + j];
            float d = dh[so + j];
            float an = d * (1f - z) * (1f - nj * nj);
            float ar = an * hp[po + 2 * h + j] * rg * (1f - rg);
            float az = d * (hprev[so + j] - nj) * z * (1f - z);
            dx[po + j] = ar;
            dx[po + h + j] = az;
            dx[po + 2 * h + j] = an;
            dhp[po + j] = ar;
            dhp[po + h + j] = az;
            dhp[po + 2 * h + j] = an * rg;
            if (dPrev != null) {
                dPrev[so + j] = d * z;
            }
        }
    }

    @Override
    public void rmsprop(float[] g, float[] s, float[] ga, float[] u, float[] w, int off, int n, float a, float c,
                        float eps, float f) {
        rmspropFrom(off, g, s, ga, u, w, off + n, a, c, eps, f);
    }

    /** {@link #rmsprop} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void rmspropFrom(int from, float[] g, float[] s, float[] ga, float[] u, float[] w, int end, float a, float c,
                            float eps, float f) {
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float sj = s[j] * a + c * gj * gj;
            s[j] = sj;
            float avg;
            if (ga != null) {
                float mj = ga[j] * a + c * gj;
                ga[j] = mj;
                avg = (float) Math.sqrt(sj - mj * mj);
            } else {
                avg = (float) Math.sqrt(sj);
            }
            applyUpdate(gj / (avg + eps), u, w, j, f);
        }
    }

    @Override
    public void adagrad(float[] g, float[] s, float[] u, float[] w, int off, int n, float eps, float f) {
        adagradFrom(off, g, s, u, w, off + n, eps, f);
    }

    /** {@link #adagrad} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void adagradFrom(int from, float[] g, float[] s, float[] u, float[] w, int end, float eps, float f) {
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float sj = s[j] + gj * gj;
            s[j] = sj;
            applyUpdate(gj / ((float) Math.sqrt(sj) + eps), u, w, j, f);
        }
    }

    @Override
    public void adadelta(float[] g, float[] s, float[] a, float[] u, float[] w, int off, int n, float rho, float c,
                         float eps, float f) {
        adadeltaFrom(off, g, s, a, u, w, off + n, rho, c, eps, f);
    }

    /** {@link #adadelta} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void adadeltaFrom(int from, float[] g, float[] s, float[] a, float[] u, float[] w, int end, float rho,
                             float c, float eps, float f) {
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float sj = s[j] * rho + c * gj * gj;
            s[j] = sj;
            float std = (float) Math.sqrt(sj + eps);
            float d = (float) Math.sqrt(a[j] + eps) / std * gj;
            a[j] = a[j] * rho + c * d * d;
            applyUpdate(d, u, w, j, f);
        }
    }

    @Override
    public void nadam(float[] g, float[] m, float[] v, float[] u, float[] w, int off, int n, NadamCoefficients k,
                      float f) {
        nadamFrom(off, g, m, v, u, w, off + n, k, f);
    }

    /** {@link #nadam} for the elements {@code [from, end)} (a vector kernel's tail). */
    static void nadamFrom(int from, float[] g, float[] m, float[] v, float[] u, float[] w, int end, NadamCoefficients k,
                          float f) {
        for (int j = from; j < end; j++) {
            float gj = g[j];
            float mj = m[j] * k.b1() + k.c1() * gj;
            float vj = v[j] * k.b2() + k.c2() * gj * gj;
            m[j] = mj;
            v[j] = vj;
            float d = (float) Math.sqrt(vj) / k.bc2Sqrt() + k.eps();
            applyUpdate(k.cg() * (gj / d) + k.cm() * (mj / d), u, w, j, f);
        }
    }

    /** Element j of an update {@code q}: {@code u = q} and {@code w += f q} as {@code GradientStep} applies it, each when not null. */
    private static void applyUpdate(float q, float[] u, float[] w, int j, float f) {
        if (u != null) {
            u[j] = q;
        }
        if (w != null) {
            w[j] = f == 1f ? w[j] + q : w[j] + (q * f + 0f);
        }
    }

    @Override
    public void lstmCellState(float[] act, int ao, float[] c, int so, int h, float[] cNext) {
        lstmCellStateFrom(0, act, ao, c, so, h, cNext);
    }

    /** {@link #lstmCellState} for the columns {@code j >= from} only (a vector kernel's tail). */
    static void lstmCellStateFrom(int from, float[] act, int ao, float[] c, int so, int h, float[] cNext) {
        for (int j = from; j < h; j++) {
            cNext[so + j] = act[ao + h + j] * c[so + j] + act[ao + j] * act[ao + 2 * h + j];
        }
    }

    @Override
    public void lstmCellBackward(float[] act, int ao, float[] tc, float[] c, float[] dh, float[] dcNext, int so,
                                 int h, float[] dp, int po, float[] dcPrev) {
        lstmCellBackwardFrom(0, act, ao, tc, c, dh, dcNext, so, h, dp, po, dcPrev);
    }

    /** {@link #lstmCellBackward} for the columns {@code j >= from} only (a vector kernel's tail). */
    static void lstmCellBackwardFrom(int from, float[] act, int ao, float[] tc, float[] c, float[] dh, float[] dcNext,
                                     int so, int h, float[] dp, int po, float[] dcPrev) {
        for (int j = from; j < h; j++) {
            float ig = act[ao + j];
            float fg = act[ao + h + j];
            float gg = act[ao + 2 * h + j];
            float og = act[ao + 3 * h + j];
            float th = tc[so + j];
            float dhj = dh == null ? 0f : dh[so + j];
            float dc = (dcNext == null ? 0f : dcNext[so + j]) + dhj * og * (1f - th * th);
            dp[po + j] = dc * gg * ig * (1f - ig);
            dp[po + h + j] = dc * c[so + j] * fg * (1f - fg);
            dp[po + 2 * h + j] = dc * ig * (1f - gg * gg);
            dp[po + 3 * h + j] = dhj * th * og * (1f - og);
            if (dcPrev != null) {
                dcPrev[so + j] = dc * fg;
            }
        }
    }

    @Override
    public double sum(float[] a, int off, int n) {
        double s = 0;
        for (int i = off; i < off + n; i++) {
            s += a[i];
        }
        return s;
    }

    @Override
    public double sumSquares(float[] a, int off, int n) {
        double s = 0;
        for (int i = off; i < off + n; i++) {
            double v = a[i];
            s += v * v;
        }
        return s;
    }

    @Override
    public double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public float max(float[] a, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            float v = a[i];
            if (v != v) {
                return Float.NaN;
            }
            if (v > m) {
                m = v;
            }
        }
        return m;
    }

    @Override
    public float maxAbs(float[] a, int off, int n) {
        float m = 0f;
        for (int i = off; i < off + n; i++) {
            float v = Math.abs(a[i]);
            if (v != v) {
                return Float.NaN;
            }
            if (v > m) {
                m = v;
            }
        }
        return m;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        par.forRange(m, GEMM_ROW_CHUNK, (lo, hi) -> {
            float[] row = new float[n];
            for (int i = lo; i < hi; i++) {
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    if (transB) {
                        for (int j = 0; j < n; j++) {
                            row[j] += av * b[bOff + j * ldb + p];
                        }
                    } else {
                        int bb = bOff + p * ldb;
                        for (int j = 0; j < n; j++) {
                            row[j] += av * b[bb + j];
                        }
                    }
                }
                int cc = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[cc + j] = accumulate ? c[cc + j] + row[j] : row[j];
                }
            }
        });
    }

    @Override
    public void gaussianNoise(long state, double sigma, double scale, float[] in, float[] out, int from, int to) {
        Gaussian.noiseRange(state, sigma, scale, in, out, from, to);
    }
}
