package io.gradscale.cli;

import io.gradscale.cli.experiments.Experiment;
import io.gradscale.cli.experiments.ExperimentResult;
import io.gradscale.cli.experiments.Experiments;
import io.gradscale.cli.experiments.RunOutcome;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code gradscale demo}: every built-in experiment in turn, a summary table, and an index page that
 * links every run's report. The README's main command.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run every built-in experiment (about a minute and a half on 2 cores), print a summary and the report's path.")
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ExperimentOptions opts;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        Path dir = RunRecorder.newRunDir(opts.out, "demo");
        List<ExperimentResult> results = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        for (Experiment e : Experiments.all()) {
            long s = System.nanoTime();
            ExperimentResult r = ExperimentCommand.run(e, dir, opts.seed, opts.quick, o);
            seconds.add((System.nanoTime() - s) / 1e9);
            ExperimentCommand.printResult(r, o, false);
            results.add(r);
        }
        o.println("== Summary");
        for (int i = 0; i < results.size(); i++) {
            o.printf(java.util.Locale.ROOT, "%-14s %5.1f s  %s%n", results.get(i).name(), seconds.get(i), results.get(i).conclusion());
        }
        Path index = writeIndex(dir, results);
        o.printf(java.util.Locale.ROOT, "%ndone in %.1f s; every run's metrics log, diagnosis and HTML report are under %s%n",
                (System.nanoTime() - t0) / 1e9, dir.toAbsolutePath());
        o.println("report: " + index.toAbsolutePath());
        return Main.OK;
    }

    /** {@code dir/index.html}: every experiment's table and conclusion, linking each run's own report. */
    static Path writeIndex(Path dir, List<ExperimentResult> results) throws java.io.IOException {
        StringBuilder h = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>gradscale demo</title>"
                + "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
                + "p.c{background:#eef6ee;padding:.5em}</style></head><body><h1>gradscale demo</h1>");
        for (ExperimentResult r : results) {
            h.append("<h2>").append(esc(r.title())).append("</h2><table><tr>");
            for (String c : r.header()) {
                h.append("<th>").append(esc(c)).append("</th>");
            }
            h.append("</tr>");
            for (List<String> row : r.rows()) {
                h.append("<tr>");
                for (String c : row) {
                    h.append("<td>").append(esc(c)).append("</td>");
                }
                h.append("</tr>");
            }
            h.append("</table><p class=\"c\">").append(esc(r.conclusion())).append("</p><ul>");
            for (RunOutcome run : r.runs()) {
                String rel = dir.relativize(run.runDir().resolve("report.html")).toString().replace('\\', '/');
                h.append("<li><a href=\"").append(esc(rel)).append("\">").append(esc(run.label())).append("</a></li>");
            }
            h.append("</ul>");
        }
        h.append("</body></html>\n");
        Path index = dir.resolve("index.html");
        Files.writeString(index, h.toString());
        return index;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
