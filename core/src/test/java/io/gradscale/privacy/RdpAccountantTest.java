package io.gradscale.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accountant held to published values of Opacus's and TensorFlow Privacy's RDP accountants (neither installs
 * here, no PyPI): each row cites the file and test it comes from, with the tolerance that test uses.
 */
class RdpAccountantTest {
    /** TensorFlow Privacy's orders in {@code compute_dp_sgd_privacy_lib} (which the expected optimal orders below need). */
    private static final double[] TF_ORDERS = tfOrders();

    private static double[] tfOrders() {
        double[] head = {1.25, 1.5, 1.75, 2., 2.25, 2.5, 3., 3.5, 4., 4.5};
        double[] o = new double[head.length + 59 + 3];
        System.arraycopy(head, 0, o, 0, head.length);
        for (int a = 5; a < 64; a++) {
            o[head.length + a - 5] = a;
        }
        o[o.length - 3] = 128;
        o[o.length - 2] = 256;
        o[o.length - 1] = 512;
        return o;
    }

    @Test
    void opacusAccountantsTest() {
        // pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: noise 1.5, sample rate 0.04,
        // steps int(90 / 0.04), delta 1e-5, default alphas -> assertAlmostEqual(epsilon, 7.32911117143) (7 places)
        assertEquals(7.32911117143, RdpAccountant.epsilon(0.04, 1.5, 2250, 1e-5), 5e-8);
    }

    @Test
    void opacusRdpDocstringExample() {
        // pytorch/opacus, opacus/accountants/analysis/rdp.py, module docstring: parameters [(1e-5, 1.0, 10),
        // (1e-4, 3.0, 4)], orders 2..32, delta 1e-5 -> (0.336, 23) (doctest +NUMBER: 3 decimals)
        double[] orders = new double[31];
        for (int i = 0; i < orders.length; i++) {
            orders[i] = i + 2;
        }
        double[] rdp = new double[orders.length];
        for (int i = 0; i < orders.length; i++) {
            rdp[i] = 10 * RdpAccountant.rdp(1e-5, 1.0, orders[i]) + 4 * RdpAccountant.rdp(1e-4, 3.0, orders[i]);
        }
        RdpAccountant.Spent s = RdpAccountant.epsilon(orders, rdp, 1e-5);
        assertEquals(0.336, s.epsilon(), 5e-4);
        assertEquals(23, s.order());
    }

    static Stream<Arguments> tfRdp() {
        // tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py:
        // test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) ~ 0.07737 (places=5);
        // test_compute_rdp_sequence: compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100]) ~
        // [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307] (delta=1e-5);
        // test_compute_rdp_no_sampling: compute_rdp(1, 10, 1, 20) == 0.1; test_compute_rdp_no_data: q = 0 gives 0
        return Stream.of(
                Arguments.of(0.1, 2.0, 10, 5.0, 0.07737, 5e-6),
                Arguments.of(0.01, 2.5, 50, 1.5, 0.00065, 1e-5),
                Arguments.of(0.01, 2.5, 50, 2.5, 0.001085, 1e-5),
                Arguments.of(0.01, 2.5, 50, 5.0, 0.00218075, 1e-5),
                Arguments.of(0.01, 2.5, 50, 50.0, 0.023846, 1e-5),
                Arguments.of(0.01, 2.5, 50, 100.0, 167.416307, 1e-5),
                Arguments.of(1.0, 10.0, 1, 20.0, 0.1, 1e-15),
                Arguments.of(0.0, 10.0, 1, 20.0, 0.0, 0.0));
    }

    @ParameterizedTest(name = "q={0} sigma={1} steps={2} order={3}")
    @MethodSource("tfRdp")
    void tensorflowPrivacyRdpValues(double q, double sigma, int steps, double order, double want, double tol) {
        assertEquals(want, steps * RdpAccountant.rdp(q, sigma, order), tol);
    }

    static Stream<Arguments> tfDpSgd() {
        // tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
        // test_compute_dp_sgd_privacy (n, batch_size, noise_multiplier, epochs, delta, expected_eps, expected_order),
        // assertAlmostEqual (7 places); q = batch/n, steps = ceil(epochs n / batch), TF_ORDERS
        return Stream.of(
                Arguments.of(60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0),
                Arguments.of(100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13.0),
                Arguments.of(100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25));
    }

    @ParameterizedTest(name = "n={0} batch={1} sigma={2} epochs={3}")
    @MethodSource("tfDpSgd")
    void tensorflowPrivacyDpSgdStatements(int n, int batch, double sigma, int epochs, double delta, double eps, double order) {
        double q = (double) batch / n;
        long steps = (long) Math.ceil((double) epochs * n / batch);
        RdpAccountant.Spent s = new RdpAccountant(q, sigma, TF_ORDERS).spent(steps, delta);
        assertEquals(eps, s.epsilon(), 5e-8 * Math.max(1, eps));
        assertEquals(order, s.order());
    }

    @Test
    void noiseMultiplierMeetsTheTargetWithoutOvershooting() {
        // pytorch/opacus, opacus/tests/accountants_test.py: get_noise_multiplier(target_epsilon=8, target_delta=1e-5,
        // sample_rate=0.04, epochs=90) ~ 1.416 (places=4); with steps=2000 ~ 1.3562 (places=4)
        assertEquals(1.416, RdpAccountant.noiseMultiplier(8, 1e-5, 0.04, 2250, RdpAccountant.DEFAULT_EPSILON_TOLERANCE), 5e-5);
        assertEquals(1.3562, RdpAccountant.noiseMultiplier(8, 1e-5, 0.04, 2000, RdpAccountant.DEFAULT_EPSILON_TOLERANCE), 5e-5);
        // and, as Opacus's test_get_noise_multiplier_overshoot, over a table: the epsilon reached is below the
        // target and within the tolerance of it
        for (double target : new double[] {1, 8}) {
            for (double q : new double[] {0.01, 0.1}) {
                long steps = (long) (20 / q);
                double sigma = RdpAccountant.noiseMultiplier(target, 1e-5, q, steps, RdpAccountant.DEFAULT_EPSILON_TOLERANCE);
                double eps = RdpAccountant.epsilon(q, sigma, steps, 1e-5);
                assertTrue(eps < target && target - eps <= RdpAccountant.DEFAULT_EPSILON_TOLERANCE,
                        "target " + target + " q " + q + ": sigma " + sigma + " spends " + eps);
            }
        }
    }

    @Test
    void epsilonGrowsWithStepsAndShrinksWithNoise() {
        double prev = 0;
        for (long steps : new long[] {1, 10, 100, 1000}) {
            double e = RdpAccountant.epsilon(0.01, 1.0, steps, 1e-5);
            assertTrue(e > prev, "more steps spend more: " + e + " after " + prev);
            prev = e;
        }
        assertTrue(RdpAccountant.epsilon(0.01, 2.0, 100, 1e-5) < RdpAccountant.epsilon(0.01, 1.0, 100, 1e-5));
        assertEquals(Double.POSITIVE_INFINITY, RdpAccountant.epsilon(0.01, 0.0, 10, 1e-5), "no noise, no privacy");
    }

    @Test
    void logErfcHoldsErfcValues() {
        // erfc at a few points (Abramowitz and Stegun, Table 7.1; erfc(5), erfc(10) from the asymptotic series)
        double[][] table = {{0, 1}, {0.5, 0.4795001221869535}, {1, 0.15729920705028513}, {2, 0.004677734981047266},
                {3, 2.209049699858544e-05}, {5, 1.5374597944280349e-12}, {10, 2.088487583762545e-45}, {-1, 1.8427007929497148}};
        for (double[] r : table) {
            assertEquals(Math.log(r[1]), RdpAccountant.logErfc(r[0]), 1e-13 * Math.max(1, Math.abs(Math.log(r[1]))), "x = " + r[0]);
        }
        assertEquals(-1e6 - 0.5 * Math.log(Math.PI) - Math.log(1000), RdpAccountant.logErfc(1000), 1e-6, "far tail");
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RdpAccountant(1.5, 1))
                .getMessage().contains("sampling rate"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0.1, 1, 10, 0))
                .getMessage().contains("delta"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.noiseMultiplier(1e-3, 1e-5, 0.01, 1000, 0.01))
                .getMessage().contains("too small"));
    }
}
