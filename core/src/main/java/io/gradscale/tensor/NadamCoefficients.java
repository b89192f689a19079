package io.gradscale.tensor;

/**
 * The per-step scalars of one NAdam update ({@link Kernels#nadam}), all in float as the kernel uses them.
 *
 * @param b1      {@code beta1}, the first moment's decay
 * @param c1      {@code 1 - beta1}
 * @param b2      {@code beta2}, the second moment's decay
 * @param c2      {@code 1 - beta2}
 * @param bc2Sqrt {@code sqrt(1 - beta2^t)}, the second moment's bias correction (a divisor, as in PyTorch)
 * @param eps     added to the corrected root of the second moment
 * @param cg      the gradient's weight, {@code (1 - mu_t) / (1 - prod mu)}
 * @param cm      the first moment's weight, {@code mu_{t+1} / (1 - prod mu * mu_{t+1})}
 */
public record NadamCoefficients(float b1, float c1, float b2, float c2, float bc2Sqrt, float eps, float cg, float cm) {
}
