package io.gradscale.transform;

import io.gradscale.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invariants of clipping and normalization over tables of scopes, norm orders, thresholds and seeds. */
class ClippingInvariantsTest {
    static final double[] ORDERS = {1.0, 2.0, 3.0, Double.POSITIVE_INFINITY};
    static final double[] MAX_NORMS = {0.05, 0.5, 2.0, 50.0};
    static final long[] SEEDS = {1, 2, 3};

    @Test
    void clipByNormBoundsEveryGroupAndIsIdempotent() {
        int clippedCases = 0;
        for (NormScope scope : NormScope.values()) {
            for (double p : ORDERS) {
                for (double max : MAX_NORMS) {
                    for (long seed : SEEDS) {
                        String id = scope + " p=" + p + " max=" + max + " seed=" + seed;
                        ParameterSet params = Fixtures.params(seed, 3f);
                        Updates u = Fixtures.updates(params);
                        Tensor[] before = Fixtures.copies(u);
                        ClipByNorm clip = new ClipByNorm(max, p, scope);
                        Fixtures.apply(clip, u, params);
                        for (int[] group : scope.groups(params)) {
                            double pre = 0;
                            for (int i : group) {
                                pre = Norms.combine(pre, Norms.powerSum(u.engine(), before[i], p), p);
                            }
                            pre = Norms.finish(pre, p);
                            double post = Norms.groupNorm(u, group, p);
                            assertTrue(post <= max * (1 + 1e-6), id + ": norm after clipping " + post + " > " + max);
                            if (pre + ClipByNorm.EPSILON <= max) {
                                for (int i : group) {
                                    assertTrue(u.get(i).bitEquals(before[i]), id + ": a group under the threshold changed");
                                }
                            } else {
                                clippedCases++;
                            }
                        }
                        Tensor[] once = Fixtures.copies(u);
                        Fixtures.apply(clip, u, params);
                        for (int i = 0; i < u.size(); i++) {
                            assertTrue(u.get(i).bitEquals(once[i]), id + ": clipping twice changed tensor " + i);
                        }
                    }
                }
            }
        }
        assertTrue(clippedCases > 50, "the table must exercise clipping, clipped " + clippedCases);
    }

    @Test
    void globalClipReportsThePreClipNormAndFactor() {
        ParameterSet params = Fixtures.params(7, 3f);
        Updates u = Fixtures.updates(params);
        double pre = Norms.groupNorm(u, NormScope.GLOBAL.groups(params)[0], 2.0);
        Fixtures.apply(Transforms.clipByGlobalNorm(1.0), u, params);
        assertEquals(pre, u.metrics().get("clip_global_norm.norm"), 0.0);
        assertEquals((float) (1.0 / (pre + 1e-6)), u.metrics().get("clip_global_norm.factor"), 1e-7);
        assertEquals(1.0, u.metrics().get("clip_global_norm.clipped"));
    }

    @Test
    void nonFiniteNormLeavesTheGroupUnchanged() {
        ParameterSet params = Fixtures.params(8, 3f);
        params.parameter(0).grad().data()[3] = Float.NaN;
        params.parameter(2).grad().data()[1] = Float.POSITIVE_INFINITY;
        for (NormScope scope : NormScope.values()) {
            Updates u = Fixtures.updates(params);
            Tensor[] before = Fixtures.copies(u);
            Fixtures.apply(new ClipByNorm(0.1, 2.0, scope), u, params);
            for (int i : new int[] {0, 1, 2, 3}) {
                boolean inBadGroup = scope == NormScope.GLOBAL || i == 0 || i == 2 || (scope == NormScope.LAYER && (i == 1 || i == 3));
                if (inBadGroup) {
                    assertTrue(u.get(i).bitEquals(before[i]), scope + ": tensor " + i + " in a non-finite group changed");
                }
            }
            assertTrue(u.metrics().get("clip_" + scope.label() + "_norm.nonfinite") >= 1, scope + ": non-finite not reported");
        }
    }

    @Test
    void normalizationGivesUnitNorm() {
        for (NormScope scope : NormScope.values()) {
            for (double p : ORDERS) {
                for (long seed : SEEDS) {
                    ParameterSet params = Fixtures.params(seed, 0.01f + seed);
                    Updates u = Fixtures.updates(params);
                    Fixtures.apply(new NormalizeToUnit(p, scope), u, params);
                    for (int[] group : scope.groups(params)) {
                        assertEquals(1.0, Norms.groupNorm(u, group, p), 1e-6, scope + " p=" + p + " seed=" + seed);
                    }
                }
            }
        }
    }

    @Test
    void normalizationLeavesZeroGradientsAlone() {
        ParameterSet params = Fixtures.params(4, 0f);
        Updates u = Fixtures.updates(params);
        Fixtures.apply(Transforms.normalize(NormScope.TENSOR, 2.0), u, params);
        for (int i = 0; i < u.size(); i++) {
            for (float x : u.get(i).data()) {
                assertTrue(x == 0f, "got " + x);
            }
        }
    }

    @Test
    void clipByValueBoundsEveryElementAndIsIdempotent() {
        for (double c : new double[] {0.01, 0.3, 1.0, 5.0}) {
            for (long seed : SEEDS) {
                ParameterSet params = Fixtures.params(seed, 2f);
                params.parameter(1).grad().data()[0] = Float.NEGATIVE_INFINITY;
                Updates u = Fixtures.updates(params);
                Fixtures.apply(Transforms.clipByValue(c), u, params);
                for (int i = 0; i < u.size(); i++) {
                    for (float x : u.get(i).data()) {
                        assertTrue(Math.abs(x) <= (float) c, "c=" + c + ": " + x);
                    }
                }
                assertEquals(-(float) c, u.get(1).data()[0], "infinity maps to the bound");
                Tensor[] once = Fixtures.copies(u);
                Fixtures.apply(Transforms.clipByValue(c), u, params);
                for (int i = 0; i < u.size(); i++) {
                    assertTrue(u.get(i).bitEquals(once[i]), "c=" + c + ": clipping twice changed tensor " + i);
                }
            }
        }
    }

    @Test
    void clipByValueKeepsNaN() {
        ParameterSet params = Fixtures.params(5, 2f);
        params.parameter(0).grad().data()[2] = Float.NaN;
        Updates u = Fixtures.updates(params);
        Fixtures.apply(Transforms.clipByValue(0.5), u, params);
        assertTrue(Float.isNaN(u.get(0).data()[2]));
    }

    @Test
    void adaptiveClipBoundsEveryUnitRatioAndSparesExcludedParameters() {
        for (double lambda : new double[] {0.01, 0.1, 0.5}) {
            for (long seed : SEEDS) {
                ParameterSet params = Fixtures.params(seed, 3f);
                params.parameter(3).value().fill(0f);
                Updates u = Fixtures.updates(params);
                Tensor[] before = Fixtures.copies(u);
                AdaptiveGradientClip agc = Transforms.adaptiveClip(lambda, r -> r.layer().equals("c"));
                Fixtures.apply(agc, u, params);
                var k = u.engine().kernels();
                for (int t = 0; t < params.size(); t++) {
                    Tensor g = u.get(t);
                    if (params.get(t).layer().equals("c")) {
                        assertTrue(g.bitEquals(before[t]), "excluded parameter changed");
                        continue;
                    }
                    int units = g.rank() <= 1 ? 1 : g.dim(0);
                    int len = g.size() / units;
                    for (int r = 0; r < units; r++) {
                        double gn = Math.sqrt(k.sumSquares(g.data(), r * len, len));
                        double wn = Math.max(Math.sqrt(k.sumSquares(params.parameter(t).value().data(), r * len, len)),
                                AdaptiveGradientClip.DEFAULT_EPS);
                        assertTrue(gn <= lambda * wn * (1 + 1e-6), "lambda=" + lambda + " " + params.path(t) + " unit " + r
                                + ": |G| " + gn + " > " + lambda + " |W| " + wn);
                    }
                }
                assertTrue(u.metrics().get("agc.clipped") > 0);
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        var e = assertThrows(IllegalArgumentException.class, () -> Transforms.clipByGlobalNorm(-1));
        assertTrue(e.getMessage().contains("maxNorm"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Transforms.clipByGlobalNorm(1, 0.5));
        assertTrue(e.getMessage().contains("norm order"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Transforms.clipByValue(0));
        assertTrue(e.getMessage().contains("clip value"), e.getMessage());
        assertFalse(Transforms.autoClip().name().isEmpty());
    }
}
