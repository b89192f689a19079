package io.gradscale.tensor;

/**
 * The per-step scalars of one Adam update ({@link Kernels#adam}), all in float as the kernel uses them.
 *
 * @param b1      {@code beta1}, the first moment's decay
 * @param c1      {@code 1 - beta1}
 * @param b2      {@code beta2}, the second moment's decay
 * @param c2      {@code 1 - beta2}
 * @param bc2Sqrt {@code sqrt(1 - beta2^t)}, the second moment's bias correction (a divisor, as in PyTorch)
 * @param eps     added to the corrected root of the second moment
 * @param invBc1  {@code 1 / (1 - beta1^t)}, the first moment's bias correction (a factor)
 */
public record AdamCoefficients(float b1, float c1, float b2, float c2, float bc2Sqrt, float eps, float invBc1) {
}
