package io.gradscale.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.train.LayerStats;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HtmlChartDataTest {
    private static final Provenance PROV = new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now");

    static StepRecord step(long i, double loss, double gradNorm, boolean skipped, Map<String, LayerStats> layers,
                           Map<String, Double> transforms) {
        return new StepRecord(i, 0, loss, 0.1, i, gradNorm, skipped, layers, transforms, Map.of());
    }

    static StepRecord plain(long i) {
        return step(i, 1.0 / (i + 1), 1, false, Map.of(), Map.of());
    }

    @ParameterizedTest(name = "n={0} max={1} skippedEvery={2}")
    @CsvSource({"0,10,0", "1,1,0", "10,10,0", "11,10,0", "1000,7,0", "5000,2000,0", "5000,2000,97", "5000,100,3",
        "2001,2000,1"})
    void thinningKeepsEndsOrderAndSpecialSteps(int n, int max, int skippedEvery) {
        List<StepRecord> steps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean skip = skippedEvery > 0 && i % skippedEvery == 1;
            steps.add(step(i, skip ? Double.NaN : 1, 1, skip, Map.of(), Map.of()));
        }
        List<Integer> kept = ChartData.thin(steps, max);
        long special = steps.stream().filter(StepRecord::skipped).count();
        for (int j = 1; j < kept.size(); j++) {
            assertTrue(kept.get(j) > kept.get(j - 1), "indices strictly increasing");
        }
        if (n <= max) {
            assertEquals(IntStream.range(0, n).boxed().toList(), kept);
            return;
        }
        assertEquals(0, kept.getFirst());
        assertEquals(n - 1, kept.getLast());
        if (special <= max) {
            Set<Integer> set = new HashSet<>(kept);
            for (int i = 0; i < n; i++) {
                assertTrue(!steps.get(i).skipped() || set.contains(i), "skipped step " + i + " kept");
            }
            assertTrue(kept.size() <= max + special + 1, "kept " + kept.size());
        } else {
            assertTrue(kept.size() <= max + 1, "plain striding when special steps alone exceed max: " + kept.size());
        }
    }

    /** The fixed clipping threshold the gradient-norm chart draws: a global 2-norm clip from the config, nothing else. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[{\"type\": \"clip_global_norm\", \"max_norm\": 0.5}]                 | 0.5",
        "[{\"type\": \"clip_global_norm\"}]                                     | 1.0",
        "[{\"type\": \"guard\"}, {\"type\": \"clip_global_norm\", \"max_norm\": 3}] | 3.0",
        "[{\"type\": \"clip_global_norm\", \"max_norm\": 2, \"p\": 1}]          | ''",
        "[{\"type\": \"clip_layer_norm\", \"max_norm\": 2}]                     | ''",
        "[]                                                                   | ''"})
    void clipLimitsComeFromTheConfiguredGlobalNormClip(String transforms, String expected) throws Exception {
        ObjectNode config = io.gradscale.train.Json.mapper().createObjectNode();
        config.set("transforms", io.gradscale.train.Json.mapper().readTree(transforms));
        Provenance prov = new Provenance(config, 1, "t", "25", "m", 1, 1, "scalar", "now");
        JsonNode limits = ChartData.build(new MetricsLog.Contents(prov, List.of(plain(0)), List.of(), List.of()), 10).get("clipLimits");
        List<Double> values = new ArrayList<>();
        limits.forEach(l -> values.add(l.get("value").asDouble()));
        assertEquals(expected.isEmpty() ? List.of() : List.of(Double.parseDouble(expected)), values);
    }

    @Test
    void thinningRejectsNonPositiveMax() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChartData.thin(List.of(), 0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource({"clip_global_norm.factor,0.5,true", "clip_global_norm.factor,1.0,false", "agc.factor,0.999,true",
        "clip_global_norm.clipped,1.0,true", "clip_global_norm.clipped,0.0,false", "clip_global_norm.norm,5.0,false",
        "zclip.factor,NaN,false", "loss_scale.scale,0.5,false"})
    void clippingIsReadFromTransformMetrics(String metric, double value, boolean clipped) {
        assertEquals(clipped, step(0, 1, 1, false, Map.of(), Map.of(metric, value)).clippedOrShrunk());
    }

    @Test
    void layerNamesKeepFirstSeenOrder() {
        LayerStats s = new LayerStats(1, 1, 1, 1, -3, 0);
        Map<String, LayerStats> first = new LinkedHashMap<>();
        first.put("b", s);
        first.put("a", s);
        Map<String, LayerStats> second = new LinkedHashMap<>();
        second.put("a", s);
        second.put("c", s);
        assertEquals(List.of("b", "a", "c"),
                ChartData.layerNames(List.of(step(0, 1, 1, false, first, Map.of()), step(1, 1, 1, false, second, Map.of()))));
    }

    @Test
    void heatmapHoldsFiniteLog10NormsAndItsRange() {
        double[][] norms = {{1e-3, 10}, {0, 2}, {Double.NaN, Double.POSITIVE_INFINITY}, {1e-5, 1}};
        List<StepRecord> steps = new ArrayList<>();
        for (int i = 0; i < norms.length; i++) {
            Map<String, LayerStats> layers = new LinkedHashMap<>();
            layers.put("in", new LayerStats(norms[i][0], 0, 1, 0, Double.NaN, 0));
            layers.put("out", new LayerStats(norms[i][1], 0, 1, 0, -2.5, 0));
            steps.add(step(i, 1, 1, false, layers, Map.of()));
        }
        ObjectNode data = ChartData.build(new MetricsLog.Contents(PROV, steps, List.of(), List.of()), 100);
        List<String> cells = new ArrayList<>();
        data.get("heat").forEach(c -> cells.add(c.get(0).asInt() + "," + c.get(1).asInt() + "," + c.get(2).asDouble()));
        assertEquals(List.of("0,0," + Math.log10(1e-3), "3,0," + Math.log10(1e-5), "0,1,1.0", "1,1," + Math.log10(2),
                "3,1,0.0"), cells);
        assertEquals(Math.log10(1e-5), data.get("heatRange").get(0).asDouble());
        assertEquals(1.0, data.get("heatRange").get(1).asDouble());
        JsonNode ratios = data.get("updateRatio");
        assertEquals(2, ratios.size());
        assertTrue(ratios.get(0).get(0).isNull(), "NaN update ratio becomes null");
        assertEquals(-2.5, ratios.get(1).get(3).asDouble());
    }

    @Test
    void everySeriesHasOneValuePerDrawnStep() {
        List<StepRecord> steps = new ArrayList<>();
        LayerStats s = new LayerStats(1, 1, 1, 1, -3, 0);
        for (int i = 0; i < 5000; i++) {
            Map<String, Double> transforms = i % 2 == 0 ? Map.of("clip.factor", 0.5) : Map.of("other.norm", 2.0);
            steps.add(step(i, 1, 1, i == 4321, Map.of("l", s), transforms));
        }
        ObjectNode data = ChartData.build(new MetricsLog.Contents(PROV, steps, List.of(), List.of()), 300);
        int n = data.get("steps").size();
        int stride = (5000 + 300 - 1) / 300;
        assertTrue(n >= 5000 / stride && n <= 300 + 2, "drawn steps " + n + ": strided, plus the last and the skipped");
        for (String series : List.of("loss", "lr", "gradNorm")) {
            assertEquals(n, data.get(series).size(), series);
        }
        assertEquals(n, data.get("updateRatio").get(0).size());
        data.get("transforms").get("values").forEach(v -> assertEquals(n, v.size()));
        assertEquals(2, data.get("transforms").get("names").size());
        assertEquals(List.of(4321L), List.of(data.get("skipped").get(0).asLong()));
        data.get("clipped").forEach(c -> assertEquals(0, c.get(0).asLong() % 2, "only even steps were clipped"));
    }

    @Test
    void chartsOnlyForDataThatExists() {
        MetricsLog.Contents bare = new MetricsLog.Contents(PROV, List.of(plain(0), plain(1)), List.of(), List.of());
        assertEquals(List.of(ChartData.LOSS, ChartData.LEARNING_RATE, ChartData.GRAD_NORM), ChartData.charts(bare));
        assertEquals(List.of(), ChartData.charts(new MetricsLog.Contents(PROV, List.of(), List.of(), List.of())));
    }
}
