package io.gradscale.data.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.data.Dataset;
import io.gradscale.data.Task;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Each task's defining invariant, checked on every generated example, and seeding. */
class SyntheticTasksTest {

    @Test
    void addingProblemTargetIsTheSumOfTheTwoMarkedValues() {
        for (int steps : new int[] {2, 3, 10, 101}) {
            Dataset d = AddingProblem.generate(200, steps, new Rng(steps));
            assertEquals(Shape.of(200, steps, 2), d.features().shape());
            assertEquals(new Task.Regression(), d.task());
            double mse = 0;
            for (int i = 0; i < d.size(); i++) {
                int markers = 0;
                float sum = 0;
                int first = -1;
                int second = -1;
                for (int t = 0; t < steps; t++) {
                    float v = d.features().get(i, t, 0);
                    float m = d.features().get(i, t, 1);
                    assertTrue(v >= 0 && v < 1, "value in [0, 1)");
                    assertTrue(m == 0 || m == 1);
                    if (m == 1) {
                        markers++;
                        sum += v;
                        if (first < 0) {
                            first = t;
                        } else {
                            second = t;
                        }
                    }
                }
                assertEquals(2, markers);
                assertTrue(first < steps / 2 && second >= steps / 2, "one marker in each half: " + first + ", " + second);
                assertEquals(sum, d.targets().get(i, 0));
                mse += (sum - 1) * (sum - 1);
            }
            assertEquals(AddingProblem.BASELINE_MSE, mse / d.size(), 0.05, "predicting 1 costs about 1/6");
        }
    }

    @Test
    void temporalOrderClassIsTheOrderOfTheTwoRelevantSymbols() {
        int steps = 100;
        Dataset d = TemporalOrder.generate(400, steps, new Rng(7));
        assertEquals(Shape.of(400, steps, TemporalOrder.SYMBOLS), d.features().shape());
        int[] labels = d.labels();
        int[] counts = new int[TemporalOrder.CLASSES];
        for (int i = 0; i < d.size(); i++) {
            int[] relevant = new int[2];
            int[] where = new int[2];
            int found = 0;
            for (int t = 0; t < steps; t++) {
                int hot = -1;
                for (int s = 0; s < TemporalOrder.SYMBOLS; s++) {
                    float v = d.features().get(i, t, s);
                    assertTrue(v == 0 || v == 1);
                    if (v == 1) {
                        assertEquals(-1, hot, "one-hot");
                        hot = s;
                    }
                }
                assertTrue(hot >= 0, "one-hot");
                if (hot < 2) {
                    relevant[found] = hot;
                    where[found] = t;
                    found++;
                }
            }
            assertEquals(2, found);
            assertTrue(where[0] >= 10 && where[0] < 20 && where[1] >= 50 && where[1] < 60, Arrays.toString(where));
            assertEquals(2 * relevant[0] + relevant[1], labels[i]);
            counts[labels[i]]++;
        }
        for (int c : counts) {
            assertTrue(c > 60, "every class is common: " + Arrays.toString(counts));
        }
    }

    @Test
    void copyMemoryTargetsRepeatTheFirstSymbolsAfterTheDelimiter() {
        int k = CopyMemory.DEFAULT_SYMBOLS;
        int len = CopyMemory.DEFAULT_COPY_LENGTH;
        for (int delay : new int[] {1, 5, 100}) {
            Dataset d = CopyMemory.generate(50, delay, k, len, new Rng(delay));
            int steps = delay + 2 * len;
            assertEquals(Shape.of(50, steps, k + 2), d.features().shape());
            assertEquals(new Task.SequenceClassification(k + 1, steps), d.task());
            int[] labels = d.labels();
            for (int i = 0; i < d.size(); i++) {
                int[] in = new int[steps];
                for (int t = 0; t < steps; t++) {
                    for (int s = 0; s < k + 2; s++) {
                        if (d.features().get(i, t, s) == 1) {
                            in[t] = s;
                        }
                    }
                }
                for (int t = 0; t < steps; t++) {
                    if (t < len) {
                        assertTrue(in[t] < k, "data symbol first");
                    } else {
                        assertEquals(t == len + delay - 1 ? k + 1 : k, in[t], "blank or delimiter at " + t);
                    }
                    int expected = t >= steps - len ? in[t - (steps - len)] : k;
                    assertEquals(expected, labels[i * steps + t]);
                }
            }
        }
        assertEquals(10 * Math.log(8) / 120, CopyMemory.baselineCrossEntropy(8, 10, 100), 1e-12);
    }

    @Test
    void twoSpiralsAreBalancedMirrorImages() {
        Dataset d = TwoSpirals.generate(1000, TwoSpirals.LANG_WITBROCK_TURNS, 0.0, new Rng(3));
        int[] labels = d.labels();
        int ones = 0;
        for (int i = 0; i < d.size(); i++) {
            float x = d.features().get(i, 0);
            float y = d.features().get(i, 1);
            double r = Math.hypot(x, y);
            assertTrue(r >= 8.0 / 104 - 1e-6 && r <= 1 + 1e-6, "radius " + r);
            double s = (104 * r - 8) / 96;
            double theta = TwoSpirals.LANG_WITBROCK_TURNS * 2 * Math.PI * (1 - s);
            double sign = labels[i] == 0 ? 1 : -1;
            assertEquals(sign * r * Math.cos(theta), x, 1e-4, "point " + i + " lies on its class's spiral");
            assertEquals(sign * r * Math.sin(theta), y, 1e-4);
            ones += labels[i];
        }
        assertEquals(500, ones);
    }

    @Test
    void noisySineWindowsForecastTheSeries() {
        Dataset clean = NoisySine.generate(200, 25, 0.0, 20, 1, new Rng(1));
        assertEquals(Shape.of(200 - 20 - 1 + 1, 20, 1), clean.features().shape());
        for (int i = 0; i < clean.size(); i++) {
            assertEquals(Math.sin(2 * Math.PI * (i + 20) / 25), clean.targets().get(i, 0), 1e-6);
            assertEquals(Math.sin(2 * Math.PI * i / 25), clean.features().get(i, 0, 0), 1e-6);
        }
        float[] noisy = NoisySine.series(20000, 25, 0.1, new Rng(2)).data();
        double ss = 0;
        for (int t = 0; t < noisy.length; t++) {
            double e = noisy[t] - Math.sin(2 * Math.PI * t / 25);
            ss += e * e;
        }
        assertEquals(0.01, ss / noisy.length, 0.001, "noise variance");
    }

    @Test
    void sameSeedSameDataOtherSeedOtherData() {
        for (Function<Long, Dataset> task : TASKS) {
            Dataset a = task.apply(5L);
            Dataset b = task.apply(5L);
            Dataset c = task.apply(6L);
            assertTrue(a.features().bitEquals(b.features()));
            assertFalse(a.features().bitEquals(c.features()));
            if (a.task().hasLabels()) {
                assertTrue(Arrays.equals(a.labels(), b.labels()));
            } else {
                assertTrue(a.targets().bitEquals(b.targets()));
            }
        }
    }

    private static final List<Function<Long, Dataset>> TASKS = List.of(
            s -> AddingProblem.generate(20, 30, new Rng(s)),
            s -> TemporalOrder.generate(20, 30, new Rng(s)),
            s -> CopyMemory.generate(20, 10, 8, 10, new Rng(s)),
            s -> TwoSpirals.generate(20, 3, 0.05, new Rng(s)),
            s -> NoisySine.generate(50, 10, 0.1, 5, 1, new Rng(s)));

    @Test
    void badSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> AddingProblem.generate(1, 1, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> TemporalOrder.generate(1, 9, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> CopyMemory.generate(1, 0, 8, 10, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> TwoSpirals.generate(10, 3, -1, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> NoisySine.generate(10, 0, 0.1, 3, 1, new Rng(0)));
        assertThrows(IllegalArgumentException.class, () -> NoisySine.generate(10, 5, 0.1, 10, 1, new Rng(0)));
    }
}
