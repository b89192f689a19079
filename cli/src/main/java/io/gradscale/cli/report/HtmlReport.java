package io.gradscale.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.cli.remedy.TrialResults;
import io.gradscale.diag.ConditionEpisode;
import io.gradscale.diag.Verdict;
import io.gradscale.train.Json;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.TestRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the report of a training run: one self-contained HTML file that opens with no network.
 *
 * <p>The page holds the run's provenance, a summary, the gradient doctor's verdicts with evidence and
 * remedies, the remedies tried by {@code diagnose --try-remedies} before and after side by side (from
 * {@code remedies.json}, when present), the conditions the live doctor saw begin and end, the events, and charts drawn by Apache ECharts (inlined from the vendored build, see
 * {@code vendor/README.md}): loss and validation metrics, learning rate, the global gradient norm with
 * clipped and skipped steps, a heatmap of {@code log10} per-layer gradient norms over steps, per-layer
 * {@code log10(‖update‖ / ‖param‖)} (the quantity the Deeplearning4j training UI plots, healthy near -3),
 * the gradient transforms' metrics and activation dead/saturated fractions. The data sit in the page as
 * one JSON object ({@link ChartData}).
 *
 * <p>Each chart container has the id {@code chart-<name>} and gets {@code data-rendered="true"} once
 * ECharts has drawn it; anything the page's scripts log through {@code console.error} or throw is
 * written into {@code <pre id="console-errors">}, shown only when non-empty.
 */
public final class HtmlReport {
    /** The report's file name inside a run directory. */
    public static final String FILE_NAME = "report.html";

    /** The gradient doctor's verdicts inside a run directory (with the test metrics, if any): see {@link #writeDiagnosis}. */
    public static final String DIAGNOSIS_FILE = "diagnosis.json";
    private static final String VERDICTS = "verdicts";
    private static final String TEST = "test";

    /** Id of the element that collects console errors and uncaught exceptions of the page. */
    public static final String CONSOLE_ERRORS_ID = "console-errors";

    private static final String VENDOR_SCRIPT = "vendor/echarts.min.js";

    private HtmlReport() {
    }

    /**
     * Reads {@code runDir/metrics.jsonl} and, when present, {@code runDir/diagnosis.json},
     * {@code runDir/remedies.json} and the run's status ({@link RunStatus}: a failed run says so at the top), and
     * writes {@code runDir/report.html}.
     *
     * @return the path of the report
     */
    public static Path write(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new IOException("run directory " + runDir + " does not exist or is not a directory");
        }
        Path metrics = runDir.resolve(MetricsLog.FILE_NAME);
        if (!Files.isRegularFile(metrics)) {
            throw new IOException("run directory " + runDir + " has no " + MetricsLog.FILE_NAME
                    + "; expected the metrics log a training run writes");
        }
        return write(runDir, MetricsLog.read(metrics));
    }

    /**
     * As {@link #write(Path)}, with the run's metrics log already read ({@code log}: the run that has just written it
     * reads its log once, for the diagnosis, the report and the console, rather than once for each).
     */
    public static Path write(Path runDir, MetricsLog.Contents log) throws IOException {
        Path diagnosis = runDir.resolve(DIAGNOSIS_FILE);
        List<Verdict> verdicts = Files.exists(diagnosis) ? readVerdicts(diagnosis) : null;
        Path trials = runDir.resolve(TrialResults.FILE_NAME);
        TrialResults remedies = Files.exists(trials) ? TrialResults.read(trials) : null;
        Path out = runDir.resolve(FILE_NAME);
        Path name = runDir.toAbsolutePath().normalize().getFileName();
        write(log, verdicts, remedies, name == null ? "run" : name.toString(), RunStatus.read(runDir).orElse(null), out);
        return out;
    }

    /** Writes the report of {@code log} to {@code out}; {@code verdicts} is {@code null} when none were recorded. */
    public static void write(MetricsLog.Contents log, List<Verdict> verdicts, String title, Path out) throws IOException {
        write(log, verdicts, null, title, null, out);
    }

    /**
     * As {@link #write(MetricsLog.Contents, List, String, Path)}, with the remedies tried ({@code null}: none) and the
     * run's status ({@code null}: none recorded).
     */
    public static void write(MetricsLog.Contents log, List<Verdict> verdicts, TrialResults remedies, String title, RunStatus status,
                             Path out) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, render(log, verdicts, remedies, title, status), StandardCharsets.UTF_8);
    }

    /**
     * Writes a {@code diagnosis.json}: the verdicts as a JSON array, or, for a run with a test set, an object
     * {@code {"verdicts": [...], "test": {...}}} holding the test metrics too.
     */
    public static void writeDiagnosis(Path file, List<Verdict> verdicts, TestRecord test) throws IOException {
        ObjectMapper json = Json.mapper();
        Object body = verdicts;
        if (test != null) {
            ObjectNode o = json.createObjectNode();
            o.set(VERDICTS, json.valueToTree(verdicts));
            o.set(TEST, json.valueToTree(test));
            body = o;
        }
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), body);
    }

    /** Reads the verdicts of a {@code diagnosis.json} in either form {@link #writeDiagnosis} writes. */
    public static List<Verdict> readVerdicts(Path file) throws IOException {
        try {
            JsonNode root = Json.mapper().readTree(file.toFile());
            JsonNode list = root != null && root.isObject() && root.has(VERDICTS) ? root.get(VERDICTS) : root;
            if (list == null || !list.isArray()) {
                throw new IOException(file + ": expected a JSON array of verdicts, or an object with \"" + VERDICTS + "\" and \""
                        + TEST + "\", got " + (list == null ? "nothing" : list.getNodeType().name().toLowerCase(Locale.ROOT)));
            }
            return Json.mapper().convertValue(list, new TypeReference<List<Verdict>>() { });
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IOException(file + ": expected a JSON array of verdicts (detector, severity, title, evidence,"
                    + " remedies): " + e.getMessage(), e);
        }
    }

    /** The whole page as a string, without remedy trials. */
    public static String render(MetricsLog.Contents log, List<Verdict> verdicts, String title) {
        return render(log, verdicts, null, title, null);
    }

    /**
     * The whole page as a string; {@code remedies} (the results of {@code diagnose --try-remedies}, shown before
     * and after side by side) is {@code null} when none were tried, {@code status} the run's {@link RunStatus}
     * ({@code null} when none was recorded).
     */
    public static String render(MetricsLog.Contents log, List<Verdict> verdicts, TrialResults remedies, String title, RunStatus status) {
        ObjectMapper json = Json.mapper();
        String data;
        try {
            data = Html.scriptJson(json.writeValueAsString(ChartData.build(log, ChartData.MAX_CHART_STEPS)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the chart data: " + e.getMessage(), e);
        }
        String library = library();
        int layers = ChartData.layerNames(log.steps()).size();
        StringBuilder b = new StringBuilder(library.length() + data.length() + 64 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>gradscale report: ").append(Html.text(title)).append("</title>\n")
                .append("<style>\n").append(resource("report.css")).append("</style>\n</head>\n<body>\n")
                .append("<pre id=\"").append(CONSOLE_ERRORS_ID).append("\" hidden></pre>\n")
                .append("<script>\n").append(resource("console-capture.js")).append("</script>\n")
                .append("<header><h1>gradscale report <span class=\"run\">").append(Html.text(title))
                .append("</span></h1></header>\n<main>\n")
                .append(PageSections.status(status))
                .append(PageSections.verdicts(verdicts))
                .append(remedies == null ? "" : PageSections.remedies(remedies))
                .append(PageSections.conditions(ConditionEpisode.from(log.events())))
                .append("<div class=\"columns\">").append(PageSections.summary(log, status))
                .append(PageSections.provenance(log.provenance(), json)).append("</div>\n")
                .append("<section id=\"charts\"><h2>Charts</h2>\n");
        for (String chart : ChartData.charts(log)) {
            b.append(PageSections.chart(chart, layers));
        }
        b.append("</section>\n").append(PageSections.events(log.events())).append("</main>\n")
                .append("<script>\n").append(library).append("\n</script>\n")
                .append("<script type=\"application/json\" id=\"report-data\">").append(data).append("</script>\n")
                .append("<script>\n").append(resource("report.js")).append("</script>\n</body>\n</html>\n");
        return b.toString();
    }

    /** The vendored chart library's script, checked to be safe to inline. */
    static String library() {
        String library = resource(VENDOR_SCRIPT);
        if (library.toLowerCase(Locale.ROOT).contains("</script")) {
            throw new IllegalStateException(VENDOR_SCRIPT + " contains '</script' and cannot be inlined");
        }
        return library;
    }

    static String resource(String name) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the classpath next to "
                        + HtmlReport.class.getName() + "; the cli jar is incomplete");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }
}
