package io.gradscale.tensor;

/**
 * The flat-array kernels every tensor operation is built from.
 *
 * <p>There are two implementations: {@link ScalarKernels}, the plain reference that defines the
 * results, and {@code VectorKernels}, the SIMD fast path on the Vector API, which is tested against
 * the reference over random lengths including vector tails. {@link #best()} picks the fast path when
 * the {@code jdk.incubator.vector} module is present, and the reference otherwise.
 *
 * <p>Every method works on {@code n} elements starting at the given offsets. Output ranges may alias
 * input ranges exactly (in-place), never partially. Sums are returned in double.
 */
public interface Kernels {
    /** Name of the implementation, for logs and provenance. */
    String name();

    /**
     * The new cell state of one row of an LSTM cell: {@code c'_j = f_j c_j + i_j g_j} for j in {@code [0, h)},
     * from the activated gate blocks i, f, g of width {@code h} at {@code act[ao..ao+3h)} and the previous state
     * {@code c[so..so+h)}, into {@code cNext[so..so+h)}: each product rounded, then their sum (no fused
     * multiply-add), the first product first.
     */
    void lstmCellState(float[] act, int ao, float[] c, int so, int h, float[] cNext);

    /**
     * The GRU's candidate pre-activation for one row: {@code n_j = xn_j + r_j hn_j} for j in {@code [0, h)}, with
     * {@code xn} the third gate block of the input projection at {@code xp[xo + 2h..]}, {@code hn} that of the hidden
     * projection at {@code hp[po + 2h..]} and {@code r} the activated reset gate at {@code rz[ro..]}; the product
     * rounded, then the sum. Into {@code n[so..so+h)}.
     */
    void gruCellCandidate(float[] xp, int xo, float[] rz, int ro, float[] hp, int po, int h, float[] n, int so);

    /**
     * The GRU's new state for one row: {@code out_j = (1 - z_j) n_j + z_j hprev_j}, each product rounded, then the
     * sum, with the activated update gate at {@code rz[ro + h..]}, the candidate {@code n}, the previous state
     * {@code hprev} and {@code out} all at {@code [so, so+h)}.
     */
    void gruCellState(float[] rz, int ro, float[] n, float[] hprev, int so, int h, float[] out);

    /**
     * The backward rule of one row of a GRU cell (activated gates r, z at {@code rz[ro..ro+2h)}, the candidate
     * {@code n}, the previous state {@code hprev} and the incoming {@code dh} at {@code [so, so+h)}, the hidden
     * projection's candidate block {@code hn} at {@code hp[po + 2h..]}). For each j, each product left to right:
     * <pre>
     *   a_n = dh (1 - z) (1 - n n)     a_r = a_n hn r (1 - r)     a_z = dh (hprev - n) z (1 - z)
     *   dx = [a_r, a_z, a_n]           dhp = [a_r, a_z, a_n r]    dPrev = dh z   (skipped when dPrev is null)
     * </pre>
     * with {@code dx} and {@code dhp} written at {@code [po, po+3h)} and {@code dPrev} at {@code [so, so+h)}.
     */
    void gruCellBackward(float[] rz, int ro, float[] n, float[] hprev, float[] dh, int so, int h, float[] hp, int po,
                         float[] dx, float[] dhp, float[] dPrev);

    /**
     * The backward rule of one row of an LSTM cell (gate blocks i, f, g, o of width {@code h}, activated, at
     * {@code act[ao..ao+4h)}; {@code tc = tanh c'}, {@code c} the previous cell state and {@code dh}, {@code dc'}
     * the incoming gradients at {@code [so, so+h)}, either of the two may be null for zero). For each j:
     * <pre>
     *   dc    = dc' + dh o (1 - tc^2)
     *   dp_i  = dc g i (1 - i)     dp_f = dc c f (1 - f)     dp_g = dc i (1 - g^2)     dp_o = dh tc o (1 - o)
     *   dcPrev = dc f                                          (skipped when dcPrev is null)
     * </pre>
     * each product taken left to right, written to {@code dp[po..po+4h)} and {@code dcPrev[so..so+h)}.
     */
    void lstmCellBackward(float[] act, int ao, float[] tc, float[] c, float[] dh, float[] dcNext, int so, int h,
                          float[] dp, int po, float[] dcPrev);

    /**
     * One Adam update of the elements {@code [off, off+n)}, Kingma and Ba (ICLR 2015), with the AMSGrad maximum
     * of Reddi et al. (ICLR 2018) when {@code vmax} is not null; {@code k} holds the step's scalars. For each j:
     * <pre>
     *   m = m b1 + c1 g            v = v b2 + c2 g g                   (each product left to right)
     *   d = v, or with vmax: vmax = max(vmax, v) and d = vmax
     *   q = m / (sqrt(d) / bc2Sqrt + eps) * invBc1
     *   u = q                                                           (skipped when u is null)
     *   w = w + q when f == 1, else w + (q f + 0)                       (skipped when w is null)
     * </pre>
     * The last line is {@code GradientStep}'s {@code w += f u} (the {@code + 0} turns a negative zero positive, as
     * {@code Norms.scale} leaves it), fused so that a step reads {@code g, m, v, w} and writes {@code m, v, w} in
     * one pass without storing {@code u}. {@code g} may be {@code u} itself (read before written).
     */
    void adam(float[] g, float[] m, float[] v, float[] vmax, float[] u, float[] w, int off, int n,
              AdamCoefficients k, float f);

    /**
     * One heavy-ball momentum update of the elements {@code [off, off+n)} (PyTorch SGD's buffer, Polyak 1964;
     * Nesterov's variant as in Sutskever et al., ICML 2013). For each j:
     * <pre>
     *   b = g                              (first, the buffer's first update)
     *   b = fma(keep, g, b mu)             (otherwise; keep = 1 - dampening)
     *   q = fma(mu, b, g)   (nesterov)     or   q = b
     *   u = q                                                           (skipped when u is null)
     *   w = w + q when f == 1, else w + (q f + 0)                       (skipped when w is null)
     * </pre>
     * The last line is {@code GradientStep}'s {@code w += f u}, fused as in {@link #adam}. {@code g} may be
     * {@code u} itself (read before written).
     */
    void momentum(float[] g, float[] b, float[] u, float[] w, int off, int n, float mu, float keep, boolean first,
                  boolean nesterov, float f);

    /**
     * One RMSprop update of the elements {@code [off, off+n)} (Hinton 2012; centered as Graves 2013 when {@code ga}
     * is not null), PyTorch's placement of epsilon. For each j, each product left to right:
     * <pre>
     *   s = s a + c g g          m = m a + c g   (centered)
     *   q = g / (sqrt(s - m m) + eps)   (centered)   or   g / (sqrt(s) + eps)
     *   u = q; w = w + q (f == 1) or w + (q f + 0)      (each skipped when null), as in {@link #adam}
     * </pre>
     */
    void rmsprop(float[] g, float[] s, float[] ga, float[] u, float[] w, int off, int n, float a, float c, float eps,
                 float f);

    /**
     * One AdaGrad update of the elements {@code [off, off+n)} (Duchi, Hazan and Singer, JMLR 2011), PyTorch's
     * placement of epsilon: {@code s = s + g g; q = g / (sqrt(s) + eps)}, then {@code u} and {@code w} as in
     * {@link #adam}.
     */
    void adagrad(float[] g, float[] s, float[] u, float[] w, int off, int n, float eps, float f);

    /**
     * One Adadelta update of the elements {@code [off, off+n)} (Zeiler 2012, PyTorch's placement of epsilon). For
     * each j, each product left to right: {@code s = s rho + c g g; d = sqrt(a + eps) / sqrt(s + eps) g;
     * a = a rho + c d d; q = d} ({@code c = 1 - rho}, {@code a} the accumulated squared updates), then {@code u} and
     * {@code w} as in {@link #adam}.
     */
    void adadelta(float[] g, float[] s, float[] a, float[] u, float[] w, int off, int n, float rho, float c, float eps,
                  float f);

    /**
     * One NAdam update of the elements {@code [off, off+n)} (Dozat 2016, PyTorch 1.13's momentum schedule in
     * {@code k}). For each j, each product left to right:
     * <pre>
     *   m = m b1 + c1 g      v = v b2 + c2 g g      d = sqrt(v) / bc2Sqrt + eps      q = cg (g / d) + cm (m / d)
     * </pre>
     * then {@code u} and {@code w} as in {@link #adam}.
     */
    void nadam(float[] g, float[] m, float[] v, float[] u, float[] w, int off, int n, NadamCoefficients k, float f);

    /** {@code out[i] = a[i] + b[i]}. */
    void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    /** {@code out[i] = a[i] - b[i]}. */
    void sub(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    /** {@code out[i] = a[i] * b[i]}. */
    void mul(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    /** {@code out[i] = a[i] / b[i]}. */
    void div(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);

    /** {@code out[i] = a[i] * s + t}. */
    void scaleShift(float[] a, int ao, float s, float t, float[] out, int oo, int n);

    /** {@code y[i] += alpha * x[i]}. */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n);

    /** {@code out[i] = op(a[i]; p)}. */
    void unary(UnaryOp op, float p, float[] a, int ao, float[] out, int oo, int n);

    /** {@code out[i] = g[i] * op'(x[i], y[i]; p)}; {@code x} may be null when the op's derivative needs only {@code y}. */
    void unaryBackward(UnaryOp op, float p, float[] x, float[] y, float[] g, float[] out, int off, int n);

    /** {@code sum a[i]}, accumulated in double (SIMD paths: float lanes over short blocks, blocks in double). */
    double sum(float[] a, int off, int n);

    /** {@code sum a[i]^2}, accumulated as {@link #sum}. */
    double sumSquares(float[] a, int off, int n);

    /** {@code sum a[i] b[i]}, accumulated as {@link #sum}. */
    double dot(float[] a, int ao, float[] b, int bo, int n);

    /** {@code max a[i]}; NaN if any element is NaN; -infinity for {@code n == 0}. */
    float max(float[] a, int off, int n);

    /** {@code max |a[i]|}; NaN if any element is NaN; 0 for {@code n == 0}. */
    float maxAbs(float[] a, int off, int n);

    /**
     * {@code C = op(A) op(B) (+ C if accumulate)} for row-major matrices, where {@code op(A)} is
     * {@code m x k} ({@code A} is {@code k x m} when {@code transA}) and {@code op(B)} is {@code k x n}.
     * Each element of {@code C} is summed over {@code k} in a fixed order that does not depend on
     * {@code par}, so results are bit-identical on any thread count.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
              boolean accumulate, float[] c, int cOff, int ldc, Parallel par);

    /**
     * Gaussian noise for DP-SGD over the elements {@code j} in {@code [from, to)} of a tensor (arrays indexed by element,
     * unlike the offset-and-length kernels): {@code out[j] = (float) ((in[j] + sigma z_j) * scale)}, {@code z_j} the
     * standard normal number of element {@code j} drawn from SplitMix64 state {@code state} as {@link Gaussian}
     * defines it. Every implementation gives {@link Gaussian#noiseRange}'s bits; {@code in} may be {@code out}.
     */
    void gaussianNoise(long state, double sigma, double scale, float[] in, float[] out, int from, int to);

    /**
     * {@code op(B)} ({@code k x n}) copied into the layout {@link #gemmPrepacked} reads, or null when these
     * kernels read B in place (then packing once saves nothing). The default packs nothing.
     */
    default float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, Parallel par) {
        return packB(transB, k, n, b, bOff, ldb, par, float[]::new);
    }

    /**
     * {@link #packB(boolean, int, int, float[], int, int, Parallel)} into a buffer of {@code buffers.apply(size)}
     * (zero-filled), so that a caller can lease it (a {@link BufferArena}) instead of allocating it. The default
     * packs nothing.
     */
    default float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, Parallel par,
                          java.util.function.IntFunction<float[]> buffers) {
        return null;
    }

    /**
     * {@link #gemm} where {@code packedB} is this kernel's {@link #packB} of the same {@code op(B)} (or null):
     * bit-identical to {@code gemm} with {@code b}, which is still given for products too small to use the
     * packed copy. The default ignores {@code packedB}.
     */
    default void gemmPrepacked(boolean transA, boolean transB, int m, int n, int k,
                               float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] packedB,
                               boolean accumulate, float[] c, int cOff, int ldc, Parallel par) {
        gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc, par);
    }

    /** The fastest kernels this JVM can run: SIMD when {@code jdk.incubator.vector} is present. */
    static Kernels best() {
        return KernelSelection.BEST;
    }

    /** The scalar reference kernels. */
    static Kernels reference() {
        return ScalarKernels.INSTANCE;
    }
}
