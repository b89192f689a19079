package io.gradscale.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Batches copy the right rows, splits partition the set, standardisation uses training statistics only. */
class DatasetTest {

    /** Example i has features [i, 10i, 100i] and target -i, so a row's origin can be read off its values. */
    private static Dataset indexedRegression(int n) {
        float[] x = new float[n * 3];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[3 * i] = i;
            x[3 * i + 1] = 10 * i;
            x[3 * i + 2] = 100 * i;
            y[i] = -i;
        }
        return Dataset.regression(Tensor.wrap(x, n, 3), Tensor.wrap(y, n, 1));
    }

    @Test
    void batchCopiesTheIndexedRowsInOrder() {
        Dataset d = indexedRegression(10);
        for (int[] idx : new int[][] {{0}, {9, 0, 5}, {3, 3, 3}, {}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 0}}) {
            Batch b = d.batch(idx);
            assertEquals(Shape.of(idx.length, 3), b.inputs().shape());
            assertEquals(Shape.of(idx.length, 1), b.targets().shape());
            for (int r = 0; r < idx.length; r++) {
                assertArrayEquals(new float[] {idx[r], 10 * idx[r], 100 * idx[r]},
                        Arrays.copyOfRange(b.inputs().data(), 3 * r, 3 * r + 3));
                assertEquals(-idx[r], b.targets().data()[r]);
            }
        }
        Batch b = d.batch(2, 4);
        b.inputs().data()[0] = 99;
        assertEquals(2f, d.features().get(2, 0), "a batch owns its arrays");
        assertThrows(IndexOutOfBoundsException.class, () -> d.batch(new int[] {10}));
        assertThrows(IllegalStateException.class, () -> d.batch(0, 1).labels());
    }

    @Test
    void sequenceLabelsTravelWithTheirExample() {
        int n = 4;
        int steps = 3;
        int[] labels = new int[n * steps];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 5;
        }
        Dataset d = Dataset.sequenceClassification(Tensor.zeros(n, steps, 2), labels, 5, steps);
        Batch b = d.batch(new int[] {2, 0});
        assertArrayEquals(new int[] {labels[6], labels[7], labels[8], labels[0], labels[1], labels[2]}, b.labels());
        assertThrows(IllegalArgumentException.class, () -> Dataset.classification(Tensor.zeros(2, 1), new int[] {0, 3}, 3));
        assertThrows(IllegalArgumentException.class, () -> Dataset.classification(Tensor.zeros(2, 1), new int[] {0}, 3));
        assertThrows(IllegalArgumentException.class, () -> Dataset.regression(Tensor.zeros(2, 1), Tensor.zeros(3, 1)));
    }

    @Test
    void splitPartitionsTheExamples() {
        for (int n : new int[] {2, 7, 100}) {
            for (double fraction : new double[] {0.1, 0.25, 0.5, 0.9}) {
                int nVal = (int) Math.round(fraction * n);
                if (nVal == 0 || nVal == n) {
                    Dataset d = indexedRegression(n);
                    assertThrows(IllegalArgumentException.class, () -> d.split(fraction, new Rng(1)));
                    continue;
                }
                Dataset.Split s = indexedRegression(n).split(fraction, new Rng(42));
                assertEquals(nVal, s.validation().size());
                assertEquals(n - nVal, s.train().size());
                Set<Integer> seen = new HashSet<>();
                for (Dataset part : new Dataset[] {s.train(), s.validation()}) {
                    for (int r = 0; r < part.size(); r++) {
                        int id = (int) part.features().get(r, 0);
                        assertEquals(-id, part.targets().get(r, 0), "a row keeps its own target");
                        assertTrue(seen.add(id), "example " + id + " appears twice");
                    }
                }
                assertEquals(n, seen.size());
                Dataset.Split again = indexedRegression(n).split(fraction, new Rng(42));
                assertTrue(again.validation().features().bitEquals(s.validation().features()), "same seed, same split");
            }
        }
    }

    @Test
    void standardisationUsesTheStatisticsItWasFittedOn() {
        Dataset train = indexedRegression(5);
        Dataset std = train.standardize();
        Standardizer s = std.standardizer().orElseThrow();
        assertArrayEquals(new float[] {2, 20, 200}, s.mean(), 1e-6f);
        float sd = (float) Math.sqrt(2.0);
        assertArrayEquals(new float[] {sd, 10 * sd, 100 * sd}, s.std(), 1e-5f);
        for (int j = 0; j < 3; j++) {
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < 5; i++) {
                double v = std.features().get(i, j);
                sum += v;
                sq += v * v;
            }
            assertEquals(0, sum / 5, 1e-6);
            assertEquals(1, sq / 5, 1e-5);
        }
        Dataset other = indexedRegression(8).standardize(s);
        assertEquals((7 - 2) / sd, other.features().get(7, 0), 1e-5f);
        assertThrows(IllegalStateException.class, () -> std.standardize(s));

        Tensor constant = Tensor.full(3f, 4, 2);
        Standardizer c = Standardizer.fit(constant);
        assertArrayEquals(new float[] {1, 1}, c.std());
        assertArrayEquals(new float[8], c.apply(constant).data());

        Standardizer back = Standardizer.fromJson(s.toJson());
        assertArrayEquals(s.mean(), back.mean());
        assertArrayEquals(s.std(), back.std());
        assertThrows(IllegalArgumentException.class, () -> s.apply(Tensor.zeros(2, 4)));
    }

    @Test
    void sequenceStandardisationPoolsTimeSteps() {
        float[] x = {1, 10, 3, 30, 5, 50, 7, 70}; // [2, 2, 2]: feature 0 is 1,3,5,7; feature 1 is 10x that
        Standardizer s = Standardizer.fit(Tensor.wrap(x, 2, 2, 2));
        assertArrayEquals(new float[] {4, 40}, s.mean(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(5), (float) Math.sqrt(500)}, s.std(), 1e-5f);
    }

    /** Images are standardised by one mean and std over all their pixels, which then apply to every pixel of any image. */
    @Test
    void pooledStandardisationHasOneStatisticForEveryElement() {
        float[] x = {0, 1, 2, 3, 4, 5, 6, 7}; // two 2x2 images
        Standardizer s = Standardizer.fitPooled(Tensor.wrap(x, 2, 2, 2));
        assertEquals(1, s.features());
        assertArrayEquals(new float[] {3.5f}, s.mean(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(5.25)}, s.std(), 1e-6f);
        Dataset images = Dataset.classification(Tensor.wrap(x.clone(), 2, 2, 2), new int[] {0, 1}, 2).standardize(s);
        float[] y = images.features().data();
        for (int i = 0; i < x.length; i++) {
            assertEquals((x[i] - 3.5) / Math.sqrt(5.25), y[i], 1e-6, "pixel " + i);
        }
        Tensor other = s.apply(Tensor.wrap(new float[] {3.5f, 3.5f, 3.5f}, 1, 3)); // any last axis
        assertArrayEquals(new float[] {0, 0, 0}, other.data(), 0f);
    }
}
