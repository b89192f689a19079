package io.gradscale.transform;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every state round-trips through JSON, compared field by field; a restored optimizer continues bit for bit. */
class StateJsonTest {
    /** Compares two values field by field: records by component, tensors bit for bit, lists and arrays element-wise. */
    static void assertFieldsEqual(String path, Object want, Object got) {
        if (want == null || got == null) {
            assertEquals(want, got, path);
            return;
        }
        assertEquals(want.getClass(), got.getClass(), path + ": class");
        if (want instanceof Tensor a) {
            assertTrue(a.bitEquals((Tensor) got), path + ": tensors differ");
            assertNotSame(want, got, path + ": the copy shares a tensor");
        } else if (want instanceof List<?> a) {
            List<?> b = (List<?>) got;
            assertEquals(a.size(), b.size(), path + ": list size");
            for (int i = 0; i < a.size(); i++) {
                assertFieldsEqual(path + "[" + i + "]", a.get(i), b.get(i));
            }
        } else if (want instanceof double[] a) {
            double[] b = (double[]) got;
            assertEquals(a.length, b.length, path + ": length");
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), path + "[" + i + "]");
            }
        } else if (want.getClass().isRecord()) {
            RecordComponent[] comps = want.getClass().getRecordComponents();
            for (RecordComponent rc : comps) {
                try {
                    assertFieldsEqual(path + "." + rc.getName(), rc.getAccessor().invoke(want), rc.getAccessor().invoke(got));
                } catch (ReflectiveOperationException e) {
                    fail(path + "." + rc.getName() + ": " + e);
                }
            }
        } else if (want instanceof Number || want instanceof Boolean || want instanceof String) {
            assertEquals(want, got, path);
        } else {
            fail(path + ": no field-by-field comparison for " + want.getClass());
        }
    }

    private static void randomGrads(ParameterSet params, Rng rng) {
        for (int i = 0; i < params.size(); i++) {
            float[] g = params.parameter(i).grad().data();
            for (int j = 0; j < g.length; j++) {
                g[j] = (float) rng.nextGaussian();
            }
        }
    }

    @Test
    void everyStateRoundTripsFieldByFieldAndTheRestoredOptimizerContinuesIdentically() {
        for (GradientTransform<?> t : GradientStepTest.optimizers()) {
            ParameterSet params = Fixtures.params(3, 1f);
            GradientStep opt = new GradientStep(params, t, new LossScaler(256, 2, 0.5, 4), Engine.serial());
            Rng rng = new Rng(5);
            for (int s = 0; s < 7; s++) {
                randomGrads(params, rng);
                opt.step();
            }
            GradientStep.State state = opt.state();
            String json = opt.writeState();
            GradientStep.State read = opt.readState(json);
            assertFieldsEqual(t.toString(), state, read);
            assertTrue(json.contains("\"dtype\":\"float32\"") || !json.contains("Tensor"), json);

            Tensor[] weights = new Tensor[params.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = params.parameter(i).value().copy();
            }
            long seed = 77;
            Rng a = new Rng(seed);
            for (int s = 0; s < 5; s++) {
                randomGrads(params, a);
                opt.step();
            }
            Tensor[] continued = new Tensor[params.size()];
            for (int i = 0; i < weights.length; i++) {
                continued[i] = params.parameter(i).value().copy();
                params.parameter(i).value().copyFrom(weights[i]);
            }
            opt.restore(read);
            Rng b = new Rng(seed);
            for (int s = 0; s < 5; s++) {
                randomGrads(params, b);
                opt.step();
            }
            for (int i = 0; i < weights.length; i++) {
                assertTrue(continued[i].bitEquals(params.parameter(i).value()), t + ": restored run diverged at tensor " + i);
            }
        }
    }

    @Test
    void everyTransformStateRoundTrips() {
        List<GradientTransform<?>> all = List.of(Transforms.clipByValue(1), Transforms.clipByGlobalNorm(1),
                Transforms.clipByLayerNorm(1, 3), Transforms.normalize(NormScope.TENSOR, 2), Transforms.adaptiveClip(0.1),
                Transforms.autoClip(25, 4), Transforms.zClip(0.9, 2, 3), Transforms.guard(NonFinitePolicy.ZERO),
                Transforms.weightDecay(0.1), Transforms.scaleByLearningRate(new Schedule.LinearWarmup(3, 0.2, Schedule.constant(0.1))));
        ObjectMapper m = StateJson.mapper();
        for (GradientTransform<?> t : all) {
            roundTrip(m, t);
        }
    }

    private static <S> void roundTrip(ObjectMapper m, GradientTransform<S> t) {
        ParameterSet params = Fixtures.params(2, 1f);
        Updates u = new Updates(params, Engine.serial());
        S s = t.init(params);
        for (int k = 0; k < 6; k++) {
            u.loadGradients(params, k);
            s = t.update(u, s, params);
        }
        S back = StateJson.read(m, t, StateJson.write(m, s));
        assertFieldsEqual(t.name(), s, back);
    }

    @Test
    void schedulesRoundTrip() throws Exception {
        ObjectMapper m = StateJson.mapper();
        List<Schedule> all = List.of(Schedule.constant(0.1), new Schedule.StepDecay(0.1, 5, 0.5),
                new Schedule.Exponential(0.1, 0.9), new Schedule.Cosine(0.1, 100, 0.001),
                new Schedule.LinearWarmup(10, 0.01, new Schedule.Cosine(0.1, 100, 0)), new Schedule.InverseTime(0.1, 0.01));
        for (Schedule s : all) {
            Schedule back = m.readValue(m.writeValueAsString(s), Schedule.class);
            assertEquals(s, back);
        }
    }

    @Test
    void tensorsKeepEveryBitIncludingNaN() throws Exception {
        ObjectMapper m = StateJson.mapper();
        Tensor t = Tensor.of(new float[] {1.5f, Float.NaN, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, 3e38f}, 2, 3);
        Tensor back = m.readValue(m.writeValueAsString(t), Tensor.class);
        assertTrue(t.bitEquals(back));
        var e = assertThrows(Exception.class, () -> m.readValue("{\"dtype\":\"float32\",\"shape\":[2],\"data\":\"AAAA\"}", Tensor.class));
        assertTrue(e.getMessage().contains("expected 8 bytes"), e.getMessage());
    }

    @Test
    void restoringAStateWithoutLossScalingIntoOneWithItFails() {
        ParameterSet params = Fixtures.params(3, 1f);
        GradientStep plain = new GradientStep(params, Transforms.scaleByLearningRate(0.1), Engine.serial());
        GradientStep scaled = new GradientStep(params, Transforms.scaleByLearningRate(0.1), LossScaler.defaults(), Engine.serial());
        var e = assertThrows(IllegalArgumentException.class, () -> scaled.restore(plain.state()));
        assertTrue(e.getMessage().contains("loss scaling"), e.getMessage());
    }
}
