package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Parameter;
import io.gradscale.data.Dataset;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MicroBatchesTest {
    private static final Engine TWO = Engine.withThreads(2);

    @AfterAll
    static void close() {
        TWO.parallel().close();
    }

    @Test
    void theCutCoversTheBatchOnceAndPositionsMapBackToTheirMicroBatch() {
        for (int n = 1; n <= 40; n++) {
            for (int m = 1; m <= 12; m++) {
                int k = MicroBatches.count(n, m);
                assertEquals(Math.min(n, m), k);
                assertEquals(0, MicroBatches.start(n, k, 0));
                assertEquals(n, MicroBatches.start(n, k, k));
                for (int i = 0; i < k; i++) {
                    int lo = MicroBatches.start(n, k, i);
                    int hi = MicroBatches.start(n, k, i + 1);
                    assertTrue(hi - lo == n / k || hi - lo == n / k + 1, "sizes differ by at most one");
                    for (int p = lo; p < hi; p++) {
                        assertEquals(i, MicroBatches.of(n, k, p), "position " + p + " of " + n + " in " + k);
                    }
                }
            }
        }
    }

    /** Every way of cutting [0, k) into contiguous shares gives pieces that add up to the same bits as one machine. */
    @Test
    void piecesOfAnyContiguousAssignmentCombineToTheSameBitsAsTheDepthFirstSum() {
        Rng rng = new Rng(5);
        for (int k = 1; k <= 13; k++) {
            float[][] leaves = new float[k][];
            for (int i = 0; i < k; i++) {
                leaves[i] = new float[] {(float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8) - 4)), (float) rng.nextGaussian()};
            }
            float[] direct = MicroBatches.evaluate(new MicroBatches.Node(0, k), i -> leaves[i].clone(), MicroBatchesTest::add);
            for (int workers = 1; workers <= k; workers++) {
                Map<MicroBatches.Node, float[]> pieces = new HashMap<>();
                for (int w = 0; w < workers; w++) {
                    int from = w * k / workers;
                    int to = (w + 1) * k / workers;
                    for (MicroBatches.Node node : MicroBatches.pieces(k, from, to)) {
                        assertTrue(node.lo() >= from && node.hi() <= to);
                        pieces.put(node, MicroBatches.evaluate(node, i -> leaves[i].clone(), MicroBatchesTest::add));
                    }
                }
                float[] combined = MicroBatches.combine(k, pieces, MicroBatchesTest::add);
                for (int j = 0; j < 2; j++) {
                    assertEquals(Float.floatToRawIntBits(direct[j]), Float.floatToRawIntBits(combined[j]),
                            k + " micro-batches on " + workers + " workers");
                }
            }
        }
    }

    /**
     * What a worker sends: the subtrees inside its range, never one gradient per micro-batch. A range of {@code len}
     * micro-batches is covered by at most {@code 2 bitLength(len) - 1} nodes (a left and a right spine), so a worker's
     * traffic grows with the logarithm of its share, and a range that is a whole subtree is one node.
     */
    @Test
    void aRangeOfMicroBatchesIsCoveredByLogarithmicallyManyPieces() {
        for (int k = 1; k <= 64; k++) {
            for (int from = 0; from < k; from++) {
                for (int to = from + 1; to <= k; to++) {
                    List<MicroBatches.Node> pieces = MicroBatches.pieces(k, from, to);
                    int len = to - from;
                    int bound = 2 * (32 - Integer.numberOfLeadingZeros(len)) - 1;
                    assertTrue(pieces.size() <= bound, k + " micro-batches, range [" + from + ", " + to + "): " + pieces.size()
                            + " pieces, more than " + bound);
                    int covered = 0;
                    for (MicroBatches.Node n : pieces) {
                        assertEquals(from + covered, n.lo(), "pieces in order, contiguous");
                        covered += n.hi() - n.lo();
                    }
                    assertEquals(len, covered);
                }
            }
            for (int size = 1; size <= k; size *= 2) {
                for (int from = 0; from + size <= k; from += size) {
                    assertEquals(1, MicroBatches.pieces(k, from, from + size).size(),
                            "an aligned block of " + size + " of " + k + " micro-batches is one subtree");
                }
            }
        }
    }

    @Test
    void theTreeIsTheBinaryCounterTreeNotALeftFold() {
        assertEquals(4, MicroBatches.mid(0, 7));
        assertEquals(6, MicroBatches.mid(4, 7));
        assertEquals(2, MicroBatches.mid(0, 4));
        assertEquals(List.of(new MicroBatches.Node(2, 4), new MicroBatches.Node(4, 5)), MicroBatches.pieces(7, 2, 5));
        assertThrows(IllegalArgumentException.class, () -> MicroBatches.combine(3, Map.of(new MicroBatches.Node(0, 2), new float[1]),
                MicroBatchesTest::add));
        // float addition is not associative: the sums below differ, so the order must be fixed
        float a = 1e8f;
        float b = -1e8f;
        float c = 1f;
        assertNotEquals((a + b) + c, a + (b + c));
    }

    private static float[] add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
        return x;
    }

    @Test
    void accumulationIsTheSameBitsOnOneAndTwoThreadsAndCloseToTheWholeBatch() {
        Dataset data = TrainerTest.spirals();
        List<Module> models = new ArrayList<>();
        for (Object[] c : new Object[][] {{Engine.serial(), 1}, {Engine.serial(), 3}, {TWO, 3}, {Engine.serial(), 5}}) {
            Module m = TrainerTest.mlp(4, false);
            Trainer t = new Trainer(m, Objective.forTask(data.task()), TrainerTest.adam(m, (Engine) c[0], 1e-2), (Engine) c[0],
                    Trainer.Settings.of(GradientDescent.miniBatch(32), 1, 11).withMicroBatches((Integer) c[1]));
            t.fit(data, null);
            models.add(m);
        }
        Map<String, Parameter> whole = models.get(0).namedParameters();
        Map<String, Parameter> three = models.get(1).namedParameters();
        Map<String, Parameter> threeOnTwo = models.get(2).namedParameters();
        for (String k : whole.keySet()) {
            assertTrue(three.get(k).value().bitEquals(threeOnTwo.get(k).value()), k + ": 3 micro-batches, 1 vs 2 threads");
            float[] w = whole.get(k).value().data();
            float[] a = three.get(k).value().data();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], a[i], 1e-3, k + "[" + i + "]: accumulation is the same gradient up to rounding");
            }
        }
    }
}
