package io.gradscale.transform;

import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AutoClip and ZClip against direct re-computations of their definitions. */
class AdaptiveClippersTest {
    /** Updates of one tensor whose 2-norm is exactly {@code norm} (a one-element tensor). */
    private static Updates withNorm(double norm) {
        return new Updates(Engine.serial(), Tensor.vector((float) norm));
    }

    private static ParameterSet oneParam() {
        return ParameterSet.of(java.util.Map.of("w", new io.gradscale.autograd.Parameter(Tensor.vector(0f))));
    }

    /** numpy.percentile with linear interpolation, by sorting a copy. */
    private static double percentile(List<Double> xs, double q) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        double rank = q / 100 * (s.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (s[hi] - s[lo]) * (rank - lo);
    }

    @Test
    void autoClipThresholdIsThePercentileOfTheRecentNorms() {
        for (int capacity : new int[] {1, 5, 37, 1000}) {
            for (double q : new double[] {0, 10, 50, 90, 100}) {
                AutoClip ac = Transforms.autoClip(q, capacity);
                ParameterSet params = oneParam();
                AutoClip.State s = ac.init(params);
                Rng rng = new Rng(capacity * 31L + (long) q);
                List<Double> history = new ArrayList<>();
                for (int t = 0; t < 120; t++) {
                    float norm = (float) Math.abs(1 + 3 * rng.nextGaussian());
                    if (t == 50) {
                        norm = 1000f;
                    }
                    Updates u = withNorm(norm);
                    s = ac.update(u, s, params);
                    history.add((double) norm);
                    List<Double> window = history.subList(Math.max(0, history.size() - capacity), history.size());
                    double want = percentile(window, q);
                    String id = "capacity=" + capacity + " q=" + q + " t=" + t;
                    assertEquals(want, u.metrics().get("autoclip.threshold"), 1e-12, id);
                    assertTrue(s.filled() <= capacity, id + ": memory exceeded");
                    assertTrue(Math.abs(u.get(0).data()[0]) <= want * (1 + 1e-6), id + ": norm above threshold");
                }
            }
        }
    }

    @Test
    void autoClipIgnoresNonFiniteNorms() {
        AutoClip ac = Transforms.autoClip();
        ParameterSet params = oneParam();
        AutoClip.State s = ac.update(withNorm(2), ac.init(params), params);
        Updates bad = withNorm(Double.NaN);
        AutoClip.State after = ac.update(bad, s, params);
        assertSame(s, after);
        assertEquals(1.0, bad.metrics().get("autoclip.nonfinite"));
        assertTrue(Float.isNaN(bad.get(0).data()[0]));
    }

    @Test
    void zClipFollowsItsDefinition() {
        for (double alpha : new double[] {0.9, ZClip.DEFAULT_ALPHA}) {
            for (int warmup : new int[] {1, 5, ZClip.DEFAULT_WARMUP_STEPS}) {
                ZClip z = Transforms.zClip(alpha, ZClip.DEFAULT_THRESHOLD, warmup);
                ParameterSet params = oneParam();
                ZClip.State s = z.init(params);
                Rng rng = new Rng(warmup);
                double mean = 0;
                double var = 0;
                List<Double> first = new ArrayList<>();
                int clipped = 0;
                for (int t = 0; t < 80; t++) {
                    double norm = (float) (5 + rng.nextGaussian());
                    if (t % 17 == 16) {
                        norm = 40;
                    }
                    Updates u = withNorm(norm);
                    s = z.update(u, s, params);
                    String id = "alpha=" + alpha + " warmup=" + warmup + " t=" + t;
                    if (t < warmup) {
                        first.add(norm);
                        assertEquals((float) norm, u.get(0).data()[0], id + ": clipped during warm-up");
                        if (t == warmup - 1) {
                            mean = first.stream().mapToDouble(d -> d).average().orElseThrow();
                            double m = mean;
                            var = first.stream().mapToDouble(d -> (d - m) * (d - m)).sum() / warmup;
                        }
                    } else {
                        double std = Math.sqrt(var);
                        double zs = (norm - mean) / (std + 1e-6);
                        double eff = norm;
                        if (zs > ZClip.DEFAULT_THRESHOLD) {
                            double target = mean + ZClip.DEFAULT_THRESHOLD * std / (zs / ZClip.DEFAULT_THRESHOLD);
                            assertEquals(target, u.metrics().get("zclip.threshold"), 1e-9, id);
                            assertEquals(target, u.get(0).data()[0], target * 1e-5, id + ": not clipped to the target");
                            eff = target;
                            clipped++;
                        } else {
                            assertEquals((float) norm, u.get(0).data()[0], id + ": clipped below the threshold");
                        }
                        mean = alpha * mean + (1 - alpha) * eff;
                        var = alpha * var + (1 - alpha) * (eff - mean) * (eff - mean);
                    }
                    assertEquals(mean, s.mean(), 1e-9, id + ": mean");
                    assertEquals(var, s.var(), 1e-9, id + ": variance");
                }
                assertTrue(clipped >= 3, "the spikes must be clipped, got " + clipped);
            }
        }
    }

    @Test
    void zClipKeepsStatisticsOnNonFiniteNorms() {
        ZClip z = Transforms.zClip(0.97, 2.5, 1);
        ParameterSet params = oneParam();
        ZClip.State s = z.update(withNorm(3), z.init(params), params);
        Updates bad = withNorm(Double.POSITIVE_INFINITY);
        assertSame(s, z.update(bad, s, params));
        assertEquals(1.0, bad.metrics().get("zclip.nonfinite"));
    }
}
