package io.gradscale.cli;

import io.gradscale.cli.report.HtmlReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gradscale report RUN_DIR}: (re)writes the self-contained HTML report of a run. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write RUN_DIR/report.html from the run's metrics.jsonl and diagnosis.json (viewable offline).")
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run directory holding metrics.jsonl.")
    Path runDir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path p = HtmlReport.write(runDir);
        spec.commandLine().getOut().println("report: " + p.toAbsolutePath());
        return Main.OK;
    }
}
