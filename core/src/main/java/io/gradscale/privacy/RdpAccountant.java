package io.gradscale.privacy;

/**
 * Rényi differential privacy of the Poisson-subsampled Gaussian mechanism, composed over the steps of a DP-SGD run,
 * and its conversion to (epsilon, delta).
 *
 * <p>One step samples each example with probability {@code q} and adds {@code N(0, sigma^2 C^2)} noise to the sum of
 * gradients clipped to {@code C}. Its RDP at order {@code alpha} is {@code log(A_alpha) / (alpha - 1)} with
 * {@code A_alpha = E_{z ~ mu0} [((1 - q) + q mu1(z) / mu0(z))^alpha]}, {@code mu0 = N(0, sigma^2)},
 * {@code mu1 = N(1, sigma^2)} (Mironov, Talwar and Zhang, "Rényi differential privacy of the sampled Gaussian
 * mechanism", 2019, Section 3.3):
 * <ul>
 *   <li>integer {@code alpha}: {@code A_alpha = sum_{i=0}^{alpha} binom(alpha, i) (1 - q)^(alpha - i) q^i
 *       exp((i^2 - i) / (2 sigma^2))};</li>
 *   <li>fractional {@code alpha}: the integral split at {@code z0 = sigma^2 log(1/q - 1) + 1/2} into two series over
 *       {@code i = 0, 1, ...} with {@code binom(alpha, i)} (signed), each term weighted by
 *       {@code erfc} of the distance to {@code z0}, summed in log space until a term falls below {@code e^-30}.</li>
 * </ul>
 * This is the computation of TensorFlow Privacy's {@code rdp_accountant} and Opacus's {@code analysis.rdp}, here
 * in {@link StrictMath} so that the same run reports the same epsilon on every JVM. RDP composes by addition over
 * steps; the conversion is Balle et al., "Hypothesis testing interpretations and Rényi differential privacy"
 * (AISTATS 2020, Theorem 21): {@code eps = rdp - (log delta + log alpha) / (alpha - 1) + log((alpha - 1) / alpha)},
 * minimized over the orders, as in Opacus.
 */
public final class RdpAccountant {
    /** Opacus's default orders: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. */
    public static final double[] DEFAULT_ORDERS = defaultOrders();
    /** A fractional order's series stops once both of its terms fall below {@code e^STOP_LOG_TERM}. */
    static final double STOP_LOG_TERM = -30;
    /** The noise multiplier a target is searched up to before the budget is called too small (Opacus's bound). */
    public static final double MAX_NOISE_MULTIPLIER = 1e6;
    /** Opacus's tolerance of the bisection on the noise multiplier: the epsilon reached is within this of the target. */
    public static final double DEFAULT_EPSILON_TOLERANCE = 0.01;

    /** Epsilon and the order that gave it. */
    public record Spent(double epsilon, double order) {
    }

    private final double q;
    private final double sigma;
    private final double[] orders;
    private final double[] stepRdp;

    /** An accountant for steps of sampling rate {@code q} and noise multiplier {@code sigma}, over the default orders. */
    public RdpAccountant(double q, double sigma) {
        this(q, sigma, DEFAULT_ORDERS);
    }

    public RdpAccountant(double q, double sigma, double[] orders) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("the sampling rate must be in [0, 1], got " + q);
        }
        if (!(sigma >= 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("the noise multiplier must be >= 0 and finite, got " + sigma);
        }
        for (double a : orders) {
            if (!(a > 1)) {
                throw new IllegalArgumentException("RDP orders must be > 1, got " + a);
            }
        }
        this.q = q;
        this.sigma = sigma;
        this.orders = orders.clone();
        this.stepRdp = new double[orders.length];
        for (int i = 0; i < orders.length; i++) {
            stepRdp[i] = rdp(q, sigma, orders[i]);
        }
    }

    public double samplingRate() {
        return q;
    }

    public double noiseMultiplier() {
        return sigma;
    }

    /** The (epsilon, order) spent after {@code steps} steps at {@code delta}. */
    public Spent spent(long steps, double delta) {
        double[] r = new double[orders.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = stepRdp[i] * steps;
        }
        return epsilon(orders, r, delta);
    }

    /** Epsilon spent after {@code steps} steps at {@code delta}. */
    public double epsilon(long steps, double delta) {
        return spent(steps, delta).epsilon();
    }

    private static double[] defaultOrders() {
        double[] o = new double[99 + 52];
        for (int x = 1; x < 100; x++) {
            o[x - 1] = 1 + x / 10.0;
        }
        for (int a = 12; a < 64; a++) {
            o[99 + a - 12] = a;
        }
        return o;
    }

    /** RDP at order {@code alpha} of one step of the sampled Gaussian mechanism (may be infinite). */
    public static double rdp(double q, double sigma, double alpha) {
        if (q == 0) {
            return 0;
        }
        if (sigma == 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (q == 1) {
            return alpha / (2 * sigma * sigma);
        }
        if (Double.isInfinite(alpha)) {
            return Double.POSITIVE_INFINITY;
        }
        double logA = alpha == StrictMath.rint(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    private static double logAInteger(double q, double sigma, int alpha) {
        double logA = Double.NEGATIVE_INFINITY;
        double logBinom = 0; // log binom(alpha, i), built up term by term
        double logQ = StrictMath.log(q);
        double log1mQ = StrictMath.log(1 - q);
        for (int i = 0; i <= alpha; i++) {
            if (i > 0) {
                logBinom += StrictMath.log(alpha - i + 1) - StrictMath.log(i);
            }
            double s = logBinom + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / (2 * sigma * sigma);
            logA = logAdd(logA, s);
        }
        return logA;
    }

    private static double logAFractional(double q, double sigma, double alpha) {
        double logA0 = Double.NEGATIVE_INFINITY;
        double logA1 = Double.NEGATIVE_INFINITY;
        double z0 = sigma * sigma * StrictMath.log(1 / q - 1) + 0.5;
        double logQ = StrictMath.log(q);
        double log1mQ = StrictMath.log(1 - q);
        double coef = 1; // binom(alpha, i), signed
        double root2Sigma = StrictMath.sqrt(2) * sigma;
        for (int i = 0; ; i++) {
            if (i > 0) {
                coef *= (alpha - (i - 1)) / i;
            }
            double logCoef = StrictMath.log(Math.abs(coef));
            double j = alpha - i;
            double logT0 = logCoef + i * logQ + j * log1mQ;
            double logT1 = logCoef + j * logQ + i * log1mQ;
            double logE0 = StrictMath.log(0.5) + logErfc((i - z0) / root2Sigma);
            double logE1 = StrictMath.log(0.5) + logErfc((z0 - j) / root2Sigma);
            double logS0 = logT0 + ((double) i * i - i) / (2 * sigma * sigma) + logE0;
            double logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
            if (coef > 0) {
                logA0 = logAdd(logA0, logS0);
                logA1 = logAdd(logA1, logS1);
            } else {
                logA0 = logSub(logA0, logS0);
                logA1 = logSub(logA1, logS1);
            }
            if (Math.max(logS0, logS1) < STOP_LOG_TERM) {
                break;
            }
        }
        return logAdd(logA0, logA1);
    }

    /** {@code log(e^a + e^b)}. */
    static double logAdd(double a, double b) {
        double lo = Math.min(a, b);
        double hi = Math.max(a, b);
        if (lo == Double.NEGATIVE_INFINITY) {
            return hi;
        }
        return StrictMath.log1p(StrictMath.exp(lo - hi)) + hi;
    }

    /** {@code log(e^a - e^b)} for {@code a >= b}. */
    static double logSub(double a, double b) {
        if (a < b) {
            throw new ArithmeticException("log-space subtraction with a negative result: " + a + " < " + b);
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        if (a == b) {
            return Double.NEGATIVE_INFINITY;
        }
        double d = StrictMath.expm1(a - b);
        return Double.isInfinite(d) ? a : StrictMath.log(d) + b;
    }

    /**
     * {@code log(erfc(x))}, accurate in relative terms far into the tail where {@code erfc} itself underflows: a
     * series for {@code erf} on {@code |x| < 2} (all terms positive:
     * {@code erf x = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1 3 5 ... (2n+1))}), and Laplace's continued fraction
     * {@code erfc x = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))} (modified Lentz) beyond,
     * where the logarithm of {@code e^{-x^2}} is taken analytically; {@code erfc(-x) = 2 - erfc(x)}.
     */
    static double logErfc(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (x < 0) {
            return StrictMath.log(2 - StrictMath.exp(logErfc(-x)));
        }
        if (x < 2) {
            return StrictMath.log1p(-erfSeries(x));
        }
        if (Double.isInfinite(x)) {
            return Double.NEGATIVE_INFINITY;
        }
        return -x * x - 0.5 * StrictMath.log(StrictMath.PI) + StrictMath.log(laplaceFraction(x));
    }

    private static double erfSeries(double x) {
        double term = x;
        double sum = x;
        double x2 = x * x;
        for (int n = 1; n < 1000; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        return 2 / StrictMath.sqrt(StrictMath.PI) * StrictMath.exp(-x2) * sum;
    }

    /** {@code 1 / (x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...))))} by the modified Lentz method. */
    private static double laplaceFraction(double x) {
        final double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int k = 1; k < 100_000; k++) {
            double a = k / 2.0;
            d = x + a * d;
            d = d == 0 ? tiny : d;
            c = x + a / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return 1 / f;
    }

    /**
     * Epsilon from the RDP of each order at {@code delta}: the smallest over the orders of Balle et al.'s bound
     * (orders whose bound is NaN are skipped; infinite RDP gives infinite epsilon).
     */
    public static Spent epsilon(double[] orders, double[] rdp, double delta) {
        if (orders.length != rdp.length || orders.length == 0) {
            throw new IllegalArgumentException("epsilon needs one RDP value per order, got " + orders.length + " orders and "
                    + rdp.length + " values");
        }
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        }
        double best = Double.NaN;
        double bestOrder = Double.NaN;
        for (int i = 0; i < orders.length; i++) {
            double a = orders[i];
            double eps = rdp[i] - (StrictMath.log(delta) + StrictMath.log(a)) / (a - 1) + StrictMath.log((a - 1) / a);
            if (!Double.isNaN(eps) && (Double.isNaN(best) || eps < best)) {
                best = eps;
                bestOrder = a;
            }
        }
        return Double.isNaN(best) ? new Spent(Double.POSITIVE_INFINITY, Double.NaN) : new Spent(Math.max(0, best), bestOrder);
    }

    /** Epsilon of {@code steps} steps at sampling rate {@code q}, noise multiplier {@code sigma}, {@code delta}. */
    public static double epsilon(double q, double sigma, long steps, double delta) {
        return new RdpAccountant(q, sigma).epsilon(steps, delta);
    }

    /**
     * The noise multiplier for which {@code steps} steps at sampling rate {@code q} spend at most
     * {@code targetEpsilon} at {@code delta}, and within {@code tolerance} of it: Opacus's search (double an upper
     * bound from 20 until it meets the target, then bisect), so the answer never overshoots the budget.
     *
     * @throws IllegalArgumentException when even {@link #MAX_NOISE_MULTIPLIER} does not reach the target
     */
    public static double noiseMultiplier(double targetEpsilon, double delta, double q, long steps, double tolerance) {
        if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) {
            throw new IllegalArgumentException("target_epsilon must be positive and finite, got " + targetEpsilon);
        }
        if (!(tolerance > 0)) {
            throw new IllegalArgumentException("the epsilon tolerance must be positive, got " + tolerance);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("the number of steps must be >= 1, got " + steps);
        }
        double low = 0;
        double high = 10;
        double epsHigh = Double.POSITIVE_INFINITY;
        while (epsHigh > targetEpsilon) {
            high *= 2;
            if (high > MAX_NOISE_MULTIPLIER) {
                throw new IllegalArgumentException("the privacy budget epsilon = " + targetEpsilon + " at delta = " + delta
                        + " is too small for " + steps + " steps at sampling rate " + q + ": no noise multiplier up to "
                        + MAX_NOISE_MULTIPLIER + " reaches it");
            }
            epsHigh = epsilon(q, high, steps, delta);
        }
        while (targetEpsilon - epsHigh > tolerance) {
            double mid = (low + high) / 2;
            double eps = epsilon(q, mid, steps, delta);
            if (eps < targetEpsilon) {
                high = mid;
                epsHigh = eps;
            } else {
                low = mid;
            }
        }
        return high;
    }
}
