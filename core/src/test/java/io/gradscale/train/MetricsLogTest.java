package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path dir;

    @Test
    void recordsRoundTripIncludingNonFiniteNumbers() throws IOException {
        Path p = dir.resolve("run/metrics.jsonl");
        Provenance prov = Provenance.now(Json.mapper().createObjectNode().put("model", "mlp"), 7, 2, "scalar");
        StepRecord s0 = new StepRecord(0, 0, 1.5, 0.1, 12.0, 3.0, false,
                Map.of("fc1", new LayerStats(1, 2, 3, 4, -3.2, 0)), Map.of("clip.norm", 3.0),
                Map.of("act1", new ActivationStats("relu", 0.3, 0.5, 0.1, 0.0)));
        StepRecord s1 = new StepRecord(1, 0, Double.NaN, 0.1, 13.0, Double.POSITIVE_INFINITY, true, Map.of(), Map.of(), Map.of());
        try (MetricsLog log = new MetricsLog(p, prov, 1)) {
            log.onStep(s0);
            log.onStep(s1);
            log.onEval(new EvalRecord(2, 0, 1.0, 0.9, Double.NaN, 10));
            log.onEvent(new EventRecord(2, "diverged", "loss is NaN"));
        }
        MetricsLog.Contents c = MetricsLog.read(p);
        assertEquals(prov, c.provenance());
        assertEquals(s0, c.steps().get(0));
        assertEquals(s1.gradNorm(), c.steps().get(1).gradNorm());
        assertTrue(Double.isNaN(c.steps().get(1).loss()));
        assertTrue(Double.isNaN(c.evals().get(0).valAccuracy()));
        assertEquals("diverged", c.events().get(0).kind());
    }

    @Test
    void aMalformedLineNamesFileAndLine() throws IOException {
        Path p = dir.resolve("bad.jsonl");
        Provenance prov = Provenance.now(Json.mapper().createObjectNode(), 1, 1, "scalar");
        try (MetricsLog log = new MetricsLog(p, prov, 1)) {
            log.onEvent(new EventRecord(0, "x", "y"));
        }
        Files.writeString(p, Files.readString(p) + "{not json\n");
        IOException e = assertThrows(IOException.class, () -> MetricsLog.read(p));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("bad.jsonl"), e.getMessage());
    }

    /** A run without validation writes no validation fields (not NaN); in memory they read as NaN, with 0 examples. */
    @Test
    void anEvalWithoutValidationHasNoValidationFieldsAndTestMetricsRoundTrip() throws IOException {
        Path p = dir.resolve("noval.jsonl");
        Provenance prov = Provenance.now(Json.mapper().createObjectNode(), 1, 1, "scalar");
        TestRecord test = new TestRecord(40, "best", 360, 0.125, 0.95);
        try (MetricsLog log = new MetricsLog(p, prov, 1)) {
            log.onEval(new EvalRecord(10, 0, 1.5, Double.NaN, Double.NaN, 0));
            log.onEval(new EvalRecord(20, 1, 1.25, Double.NaN, Double.NaN, 5)); // validated, and NaN: written as such
            log.onTest(test);
        }
        String[] lines = Files.readString(p).split("\n");
        assertEquals("{\"type\":\"eval\",\"step\":10,\"epoch\":0,\"trainLoss\":1.5,\"valExamples\":0}", lines[1]);
        assertTrue(lines[2].contains("\"valLoss\":\"NaN\""), lines[2]);
        MetricsLog.Contents c = MetricsLog.read(p);
        EvalRecord none = c.evals().get(0);
        assertTrue(!none.validated() && Double.isNaN(none.valLoss()) && Double.isNaN(none.valAccuracy()), none.toString());
        assertTrue(c.evals().get(1).validated());
        assertEquals(java.util.List.of(test), c.tests());
    }
}
