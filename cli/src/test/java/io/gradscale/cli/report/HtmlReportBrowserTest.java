package io.gradscale.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a report of a synthetic run in Debian's headless Chromium: every chart must have been drawn
 * (its container marked {@code data-rendered="true"} by the chart library's {@code finished} event and
 * holding a canvas) with nothing written to the page's console-error element; then saves a screenshot to
 * {@code target/report-screenshot.png} (and the report to {@code target/report-sample.html}) for people to look at.
 */
class HtmlReportBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long TIMEOUT_SECONDS = 60;
    private static final List<String> EXPECTED_CHARTS = List.of(ChartData.LOSS, ChartData.LEARNING_RATE,
            ChartData.GRAD_NORM, ChartData.GRAD_HEATMAP, ChartData.UPDATE_RATIO, ChartData.TRANSFORMS,
            ChartData.ACTIVATIONS);

    @TempDir
    static Path tmp;
    private static Path report;

    @BeforeAll
    static void writeReport() throws IOException {
        assertTrue(Files.isExecutable(CHROMIUM), "the report's browser test needs Debian's headless Chromium at "
                + CHROMIUM + "; install it with: apt-get install chromium");
        Path run = Files.createDirectories(tmp.resolve("run"));
        SyntheticRun.write(run, 42);
        report = HtmlReport.write(run);
        // Kept next to the screenshot so that people can open the report the screenshot shows.
        Files.createDirectories(Path.of("target"));
        Files.copy(report, Path.of("target", "report-sample.html"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void everyChartRendersWithoutConsoleErrors() throws Exception {
        Document doc = Jsoup.parse(dumpDom("dom", report));
        assertEquals(List.of(), problems(doc));
        assertEquals(EXPECTED_CHARTS.stream().map(c -> "chart-" + c).toList(), doc.select("[data-chart]").eachAttr("id"));
        assertTrue(doc.select("script[src], link[href]").isEmpty(), "the page loads external files");
    }

    /** The checks above must notice a chart whose drawing code throws. */
    @Test
    void aChartThatFailsIsNoticed() throws Exception {
        String marker = "'lr': function () {";
        String html = Files.readString(report, StandardCharsets.UTF_8);
        assertTrue(html.contains(marker), "report.js no longer defines the lr chart as " + marker);
        Path broken = tmp.resolve("broken.html");
        Files.writeString(broken, html.replace(marker, marker + " null.x;"), StandardCharsets.UTF_8);
        List<String> problems = problems(Jsoup.parse(dumpDom("broken", broken)));
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("console errors: console.error: chart \"lr\" failed"), problems.get(0));
        assertEquals("chart-lr was not marked rendered", problems.get(1));
    }

    /** What is wrong with a dumped report: console errors, charts not drawn. Empty when all is well. */
    private static List<String> problems(Document doc) {
        List<String> problems = new ArrayList<>();
        Element errors = doc.getElementById(HtmlReport.CONSOLE_ERRORS_ID);
        if (errors == null) {
            return List.of("the dumped DOM has no #" + HtmlReport.CONSOLE_ERRORS_ID + "; did the page load?");
        }
        if (!errors.wholeText().isEmpty()) {
            problems.add("console errors: " + errors.wholeText());
        }
        for (Element chart : doc.select("[data-chart]")) {
            if (!"true".equals(chart.attr("data-rendered"))) {
                problems.add(chart.id() + " was not marked rendered");
            } else if (chart.select("canvas, svg").isEmpty()) {
                problems.add(chart.id() + " holds no canvas or svg");
            }
        }
        return problems;
    }

    private static String dumpDom(String label, Path page) throws IOException, InterruptedException {
        return chromium(label, "--dump-dom", "--virtual-time-budget=5000", page.toUri().toString());
    }

    @Test
    void screenshotIsSaved() throws Exception {
        Path shot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        chromium("shot", "--screenshot=" + shot, "--window-size=1400,2400", "--virtual-time-budget=5000",
                report.toUri().toString());
        assertTrue(Files.size(shot) > 50_000, "screenshot " + shot + " is too small to show the charts");
        byte[] png = Files.readAllBytes(shot);
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        assertEquals('N', png[2]);
        assertEquals('G', png[3]);
    }

    /** Runs headless Chromium with a fresh profile and returns its standard output. */
    private static String chromium(String label, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(tmp, "chromium-profile-");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path out = tmp.resolve(label + ".out");
        Path err = tmp.resolve(label + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + command);
        }
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + command + "\n" + read(err));
        return read(out);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e.getMessage() + ")";
        }
    }
}
