/**
 * Differential privacy accounting: the Rényi-DP accountant of the Poisson-subsampled Gaussian mechanism
 * ({@link io.gradscale.privacy.RdpAccountant}), which turns a DP-SGD run's sampling rate, noise multiplier and step
 * count into the (epsilon, delta) it spent, and finds the noise multiplier for a target epsilon.
 */
package io.gradscale.privacy;
