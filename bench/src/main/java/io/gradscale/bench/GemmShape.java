package io.gradscale.bench;

/**
 * A GEMM problem written {@code MxNxK} or {@code MxNxK:TT}: {@code C[M x N] = op(A)[M x K] op(B)[K x N]},
 * where the letters (N or T, default NN) say whether A and B are stored transposed. The same notation
 * is used by {@code bench/python/gemm_openblas.py} and {@code bench/python/foundation_table.py}.
 */
record GemmShape(int m, int n, int k, boolean transA, boolean transB) {
    static GemmShape parse(String text) {
        String[] parts = text.split(":", -1);
        String[] dims = parts[0].split("x", -1);
        String trans = parts.length > 1 ? parts[1] : "NN";
        if (parts.length > 2 || dims.length != 3 || !trans.matches("[NT]{2}")) {
            throw new IllegalArgumentException("shape: expected MxNxK or MxNxK:TT with T in {N, T}, got '" + text + "'");
        }
        try {
            GemmShape s = new GemmShape(Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2]),
                    trans.charAt(0) == 'T', trans.charAt(1) == 'T');
            if (s.m <= 0 || s.n <= 0 || s.k <= 0) {
                throw new IllegalArgumentException("shape: dimensions must be positive, got '" + text + "'");
            }
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shape: expected integer dimensions in '" + text + "'", e);
        }
    }

    /** Leading dimension of A as stored: {@code K} columns, or {@code M} when transposed. */
    int lda() {
        return transA ? m : k;
    }

    /** Leading dimension of B as stored: {@code N} columns, or {@code K} when transposed. */
    int ldb() {
        return transB ? k : n;
    }

    double flops() {
        return 2.0 * m * n * k;
    }
}
