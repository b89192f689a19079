package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Initializers: gains and fans against torch.nn.init, and the statistics of large samples. */
class InitTest {
    private static final JsonNode INIT = Golden.load().get("init");

    /** Mean, variance and largest magnitude of a sample, in double. */
    record Stats(double mean, double var, double maxAbs) {
        static Stats of(Tensor t) {
            double s = 0;
            double ss = 0;
            double m = 0;
            for (float v : t.data()) {
                s += v;
                ss += (double) v * v;
                m = Math.max(m, Math.abs(v));
            }
            int n = t.size();
            double mean = s / n;
            return new Stats(mean, ss / n - mean * mean, m);
        }
    }

    @Test
    void gainsAreTorchs() {
        JsonNode g = INIT.get("gains");
        for (Nonlinearity n : Nonlinearity.values()) {
            assertEquals(g.get(n.name()).asDouble(), n.gain(), 1e-12, n.name());
        }
        assertEquals(g.get("LEAKY_RELU slope 0.2").asDouble(), Nonlinearity.LEAKY_RELU.gain(0.2), 1e-12);
        assertEquals(g.get("LEAKY_RELU slope sqrt(5)").asDouble(), Nonlinearity.LEAKY_RELU.gain(Math.sqrt(5)), 1e-12);
    }

    @Test
    void fansAreTorchs() {
        for (JsonNode f : INIT.get("fans")) {
            int[] dims = new int[f.get("shape").size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = f.get("shape").get(i).asInt();
            }
            assertEquals(f.get("fan_in").asInt(), Init.fanIn(Shape.of(dims)));
            assertEquals(f.get("fan_out").asInt(), Init.fanOut(Shape.of(dims)));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fanIn(Shape.of(5)));
        assertTrue(e.getMessage().contains("[5]"), e.getMessage());
    }

    /**
     * An initializer, whether it draws uniformly (on {@code [-sqrt(3) std, sqrt(3) std]}) or normally, and the
     * standard deviation it should have; PyTorch's layer defaults {@code U(-1/sqrt(fan), 1/sqrt(fan))} have
     * {@code std = 1/sqrt(3 fan)}.
     */
    record Case(String name, Shape shape, java.util.function.BiFunction<Tensor, Rng, Tensor> init, boolean uniform, double std) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> distributions() {
        Shape s = Shape.of(400, 250);
        double fi = 250;
        double fo = 400;
        return Stream.of(
                new Case("uniform(-0.3, 0.3)", s, (t, r) -> Init.uniform(t, -0.3, 0.3, r), true, 0.3 / Math.sqrt(3)),
                new Case("normal(0, 0.7)", s, (t, r) -> Init.normal(t, 0, 0.7, r), false, 0.7),
                new Case("xavier uniform, tanh gain", s, (t, r) -> Init.xavierUniform(t, 5.0 / 3, r), true,
                        5.0 / 3 * Math.sqrt(2 / (fi + fo))),
                new Case("xavier normal", s, (t, r) -> Init.xavierNormal(t, 1.0, r), false, Math.sqrt(2 / (fi + fo))),
                new Case("kaiming uniform relu fan_in", s,
                        (t, r) -> Init.kaimingUniform(t, 0, FanMode.FAN_IN, Nonlinearity.RELU, r), true, Math.sqrt(2 / fi)),
                new Case("kaiming uniform leaky 0.2 fan_out", s,
                        (t, r) -> Init.kaimingUniform(t, 0.2, FanMode.FAN_OUT, Nonlinearity.LEAKY_RELU, r), true,
                        Math.sqrt(2 / (1 + 0.04)) / Math.sqrt(fo)),
                new Case("kaiming normal relu fan_in", s,
                        (t, r) -> Init.kaimingNormal(t, 0, FanMode.FAN_IN, Nonlinearity.RELU, r), false, Math.sqrt(2 / fi)),
                new Case("kaiming normal leaky default fan_out", s,
                        (t, r) -> Init.kaimingNormal(t, Init.DEFAULT_KAIMING_SLOPE, FanMode.FAN_OUT, Nonlinearity.LEAKY_RELU, r),
                        false, Math.sqrt(2) / Math.sqrt(fo)),
                new Case("lecun uniform", s, Init::lecunUniform, true, 1 / Math.sqrt(fi)),
                new Case("lecun normal", s, Init::lecunNormal, false, 1 / Math.sqrt(fi)),
                new Case("Linear default weight", s, (t, r) -> new Linear(250, 400, r).weight().value(), true,
                        1 / Math.sqrt(3 * fi)),
                new Case("Linear default bias", Shape.of(100_000), (t, r) -> new Linear(250, 100_000, r).bias().value(), true,
                        1 / Math.sqrt(3 * fi)),
                new Case("LSTM default weight_hh_l0", Shape.of(4 * 200, 200),
                        (t, r) -> new LSTM(3, 200, 1, r).namedParameters().get("weight_hh_l0").value(), true,
                        1 / Math.sqrt(3 * 200)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("distributions")
    void largeSamplesHaveTheRightMeanVarianceAndBounds(Case c) {
        Tensor t = c.init().apply(Tensor.zeros(c.shape()), new Rng(c.name().hashCode()));
        assertEquals(c.shape(), t.shape());
        Stats st = Stats.of(t);
        int n = t.size();
        double var = c.std() * c.std();
        // The sample mean has standard error std / sqrt(n); allow 5 of them.
        assertEquals(0.0, st.mean(), 5 * c.std() / Math.sqrt(n), c.name() + " mean");
        // The sample variance has relative standard error sqrt(2/n) (normal) or less (uniform); allow 5.
        assertEquals(var, st.var(), 5 * var * Math.sqrt(2.0 / n), c.name() + " variance");
        if (c.uniform()) {
            double bound = Math.sqrt(3) * c.std();
            assertTrue(st.maxAbs() <= bound * (1 + 1e-6), c.name() + ": " + st.maxAbs() + " beyond the bound " + bound);
            assertTrue(st.maxAbs() >= bound * 0.999, c.name() + ": the bound " + bound + " is not approached: " + st.maxAbs());
        } else {
            assertTrue(st.maxAbs() > 4 * c.std(), c.name() + ": no tails, max |x| " + st.maxAbs());
        }
    }

    @Test
    void orthogonalRowsOrColumnsAreOrthonormalTimesTheGain() {
        for (int[] dims : List.of(new int[] {60, 60}, new int[] {40, 100}, new int[] {100, 40}, new int[] {8, 3, 5})) {
            double gain = 1.7;
            Tensor t = Init.orthogonal(Tensor.zeros(dims), gain, new Rng(dims[0] * 31L + dims[1]));
            int rows = dims[0];
            int cols = t.size() / rows;
            boolean wide = rows <= cols;
            int m = wide ? rows : cols;
            double worst = 0;
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < m; b++) {
                    double dot = 0;
                    for (int k = 0; k < (wide ? cols : rows); k++) {
                        dot += (double) (wide ? t.data()[a * cols + k] : t.data()[k * cols + a])
                                * (wide ? t.data()[b * cols + k] : t.data()[k * cols + b]);
                    }
                    worst = Math.max(worst, Math.abs(dot - (a == b ? gain * gain : 0)));
                }
            }
            assertTrue(worst < 1e-5, java.util.Arrays.toString(dims) + ": off by " + worst);
        }
        assertThrows(IllegalArgumentException.class, () -> Init.orthogonal(Tensor.zeros(4), 1, new Rng(1)));
    }

    @Test
    void orthogonalEntriesLookHaarDistributed() {
        // Entries of a Haar orthogonal n x n matrix have mean 0 and variance 1/n.
        int n = 300;
        Stats st = Stats.of(Init.orthogonal(Tensor.zeros(n, n), 1, new Rng(3)));
        assertEquals(0, st.mean(), 5 / (double) n / Math.sqrt(n));
        assertEquals(1.0 / n, st.var(), 0.02 / n);
    }

    @Test
    void theSameSeedGivesTheSameWeightsAndAnotherSeedOthers() {
        Tensor a = Init.kaimingNormal(Tensor.zeros(20, 30), 0, FanMode.FAN_IN, Nonlinearity.RELU, new Rng(42));
        Tensor b = Init.kaimingNormal(Tensor.zeros(20, 30), 0, FanMode.FAN_IN, Nonlinearity.RELU, new Rng(42));
        Tensor c = Init.kaimingNormal(Tensor.zeros(20, 30), 0, FanMode.FAN_IN, Nonlinearity.RELU, new Rng(43));
        assertTrue(a.bitEquals(b));
        assertFalse(a.bitEquals(c));
        assertTrue(new GRU(3, 5, 2, new Rng(8)).namedParameters().get("weight_ih_l1").value()
                .bitEquals(new GRU(3, 5, 2, new Rng(8)).namedParameters().get("weight_ih_l1").value()));
    }

    @Test
    void constantsAndZeros() {
        Tensor t = Init.constant(Tensor.zeros(3, 4), 0.25f);
        for (float v : t.data()) {
            assertEquals(0.25f, v);
        }
        for (float v : Init.zeros(t).data()) {
            assertEquals(0f, v);
        }
    }
}
