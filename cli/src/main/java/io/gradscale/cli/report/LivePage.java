package io.gradscale.cli.report;

/**
 * The live view of a run: the report's page, drawn by the same script and style sheet, whose sections and
 * charts are replaced by each update the server streams.
 *
 * <p>{@link #shell} is the page a browser first loads: the report's header, an empty diagnosis, summary,
 * chart and event sections, a status line ({@code #live-status}, attribute {@code data-status} one of
 * {@code connecting}, {@code live}, {@code finished}, {@code disconnected}), the vendored chart library,
 * {@code report.js} and {@code live.js}. The updates are {@link LiveState}'s: the whole state once, then what
 * changed; live.js turns the state into the chart data the static report embeds ({@link ChartData}'s
 * object) and the sections into the report's markup ({@link PageSections}). So the live page and the final
 * report read the same.
 */
public final class LivePage {
    /**
     * Most step records a live chart is sent: half the report's, since the page draws updates again (at most twice a
     * second) and on a machine that trains every processor second counts.
     */
    public static final int MAX_CHART_STEPS = ChartData.MAX_CHART_STEPS / 2;

    /** Id of the status line. */
    public static final String STATUS_ID = "live-status";

    private LivePage() {
    }

    /** The page the browser loads; {@code eventsPath} is the (relative) address of the event stream. */
    public static String shell(String title, String eventsPath) {
        String library = HtmlReport.library();
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + "<title>gradscale live: " + Html.text(title) + "</title>\n"
                + "<style>\n" + HtmlReport.resource("report.css") + HtmlReport.resource("live.css") + "</style>\n</head>\n"
                + "<body data-events=\"" + Html.text(eventsPath) + "\">\n"
                + "<pre id=\"" + HtmlReport.CONSOLE_ERRORS_ID + "\" hidden></pre>\n"
                + "<script>\n" + HtmlReport.resource("console-capture.js") + "</script>\n"
                + "<header><h1>gradscale live <span class=\"run\">" + Html.text(title) + "</span></h1>"
                + "<p id=\"" + STATUS_ID + "\" data-status=\"connecting\">connecting…</p></header>\n<main>\n"
                + "<section id=\"verdicts\"><h2>Diagnosis</h2><p class=\"muted\">Waiting for the first steps.</p></section>\n"
                + "<div class=\"columns\"><section id=\"summary\"><h2>Summary</h2></section>"
                + "<section id=\"provenance\"><h2>Provenance</h2></section></div>\n"
                + "<section id=\"charts\"><h2>Charts</h2>\n</section>\n"
                + "<section id=\"events\"><h2>Events</h2></section>\n</main>\n"
                + "<script>\n" + library + "\n</script>\n"
                + "<script>\n" + HtmlReport.resource("report.js") + "</script>\n"
                + "<script>\n" + HtmlReport.resource("live.js") + "</script>\n</body>\n</html>\n";
    }
}
