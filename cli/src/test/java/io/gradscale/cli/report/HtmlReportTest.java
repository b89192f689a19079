package io.gradscale.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.train.EventRecord;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir
    static Path tmp;
    private static String html;
    private static Document doc;

    @BeforeAll
    static void writeReport() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run-7"));
        SyntheticRun.write(run, 7);
        Path report = HtmlReport.write(run);
        assertEquals(run.resolve(HtmlReport.FILE_NAME), report);
        html = Files.readString(report, StandardCharsets.UTF_8);
        doc = Jsoup.parse(html);
    }

    private static String vendored(String name) throws IOException {
        try (InputStream in = HtmlReport.class.getResourceAsStream("vendor/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void pageLoadsNothingFromOutside() throws IOException {
        assertTrue(doc.select("script[src], link[href], img[src], iframe, object, embed, source[src]").isEmpty(),
                "no element may load a file");
        for (Element style : doc.select("style")) {
            assertFalse(style.data().contains("url("), "styles load nothing");
            assertFalse(style.data().contains("@import"), "styles import nothing");
        }
        String library = vendored("echarts.min.js");
        assertTrue(html.contains(library), "the chart library is inlined verbatim");
        String own = html.replace(library, "");
        assertFalse(own.contains("http://"), "no http:// reference outside the vendored library");
        assertFalse(own.contains("https://"), "no https:// reference outside the vendored library");
        assertFalse(own.contains("//cdn"), "no protocol-relative reference");
    }

    @Test
    void vendoredLibraryMatchesTheChecksumInItsReadme() throws Exception {
        Matcher m = Pattern.compile("(?m)^sha256: ([0-9a-f]{64})$").matcher(vendored("README.md"));
        assertTrue(m.find(), "vendor/README.md states the sha256 of echarts.min.js");
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest(vendored("echarts.min.js").getBytes(StandardCharsets.UTF_8));
        assertEquals(m.group(1), HexFormat.of().formatHex(digest));
    }

    @Test
    void hostileTextStaysText() {
        // Error capture, library, data, drawing: a fifth script would mean a string broke out.
        assertEquals(4, doc.select("script").size());
        assertTrue(doc.getElementById("verdicts").text().contains(SyntheticRun.HOSTILE));
        assertTrue(doc.getElementById("events").text().contains(SyntheticRun.HOSTILE));
        assertTrue(doc.getElementById("config").text().contains(SyntheticRun.HOSTILE));
    }

    @Test
    void hostileNamesInTheDataBlobRoundTrip() throws IOException {
        MetricsLog.Contents log = new MetricsLog.Contents(new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now"),
                List.of(HtmlChartDataTest.plain(0)), List.of(), List.of(new EventRecord(0, SyntheticRun.HOSTILE, "m")));
        Document page = Jsoup.parse(HtmlReport.render(log, null, "t"));
        assertEquals(4, page.select("script").size());
        String blob = page.getElementById("report-data").data();
        assertFalse(blob.contains("<"), "every < in the data is escaped");
        assertEquals(SyntheticRun.HOSTILE, Json.mapper().readTree(blob).get("events").get(0).get("kind").asText());
        assertTrue(page.getElementById("verdicts").text().contains("No diagnosis was recorded"));
    }

    @Test
    void nonFiniteValuesReachThePageAsNulls() throws IOException {
        String blob = doc.getElementById("report-data").data();
        assertFalse(blob.contains("NaN"), "no NaN token or string in the data");
        assertFalse(blob.contains("Infinity"), "no Infinity token or string in the data");
        JsonNode data = Json.mapper().readTree(blob);
        int i = (int) SyntheticRun.SKIPPED_STEP;
        assertEquals(SyntheticRun.SKIPPED_STEP, data.get("steps").get(i).asLong());
        assertTrue(data.get("loss").get(i).isNull());
        assertTrue(data.get("gradNorm").get(i).isNull());
        assertTrue(data.get("updateRatio").get(0).get(i).isNull());
        assertEquals(List.of(SyntheticRun.SKIPPED_STEP), List.of(data.get("skipped").get(0).asLong()));
        data.get("heat").forEach(cell -> assertTrue(cell.get(0).asInt() != i, "no heatmap cell at the skipped step"));
        assertEquals(SyntheticRun.STEPS * SyntheticRun.LAYERS.size() - SyntheticRun.LAYERS.size(), data.get("heat").size());
    }

    @Test
    void everyChartHasAStableContainerAndVerdictsComeMostSevereFirst() {
        Elements charts = doc.select("[data-chart]");
        assertEquals(List.of("chart-loss", "chart-lr", "chart-grad-norm", "chart-grad-heatmap", "chart-update-ratio",
                "chart-transforms", "chart-activations"), charts.eachAttr("id"));
        charts.forEach(c -> assertEquals("chart-" + c.attr("data-chart"), c.id()));
        assertEquals(List.of("CRITICAL", "WARNING"), doc.select("#verdicts .badge").eachText());
        Elements verdicts = doc.select("#verdicts article");
        assertEquals(List.of(1, 2), verdicts.stream().map(v -> v.select("ul li").size()).toList(), "evidence");
        assertEquals(List.of(2, 2), verdicts.stream().map(v -> v.select("ol li").size()).toList(), "remedies");
        assertEquals("", doc.getElementById(HtmlReport.CONSOLE_ERRORS_ID).text());
        assertEquals(4, doc.select("#events tbody tr").size());
    }

    @Test
    void missingOrMalformedInputsAreNamed() throws IOException {
        Path none = tmp.resolve("no-such-run");
        IOException e = assertThrows(IOException.class, () -> HtmlReport.write(none));
        assertTrue(e.getMessage().contains(none.toString()) && e.getMessage().contains("not a directory"), e.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty-run"));
        e = assertThrows(IOException.class, () -> HtmlReport.write(empty));
        assertTrue(e.getMessage().contains(MetricsLog.FILE_NAME), e.getMessage());

        Path bad = Files.createDirectories(tmp.resolve("bad-diagnosis"));
        SyntheticRun.write(bad, 1);
        Files.writeString(bad.resolve(HtmlReport.DIAGNOSIS_FILE), "{\"detector\": \"x\"}");
        e = assertThrows(IOException.class, () -> HtmlReport.write(bad));
        assertTrue(e.getMessage().contains(HtmlReport.DIAGNOSIS_FILE) && e.getMessage().contains("JSON array"),
                e.getMessage());

        Files.delete(bad.resolve(HtmlReport.DIAGNOSIS_FILE));
        Document page = Jsoup.parse(Files.readString(HtmlReport.write(bad)));
        assertTrue(page.getElementById("verdicts").text().contains("No diagnosis was recorded"));
        assertNull(page.selectFirst("#verdicts article"));
    }
}
