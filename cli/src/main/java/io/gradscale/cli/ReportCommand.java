package io.gradscale.cli;

import io.gradscale.cli.report.HtmlReport;
import io.gradscale.cli.report.RunStatus;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gradscale report RUN_DIR}: (re)writes the self-contained HTML report of a run. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write RUN_DIR/report.html from the run's metrics.jsonl, diagnosis.json and run.json (viewable offline); say when the run failed.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run directory holding metrics.jsonl.")
    Path runDir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path p = HtmlReport.write(runDir);
        var out = spec.commandLine().getOut();
        var status = RunStatus.read(runDir);
        if (status.isPresent() && !RunStatus.COMPLETED.equals(status.get().status())) {
            out.println(status.get().failed() ? "this run failed after " + status.get().steps() + " steps: " + status.get().message()
                    : "this run did not finish (status '" + status.get().status() + "': still running, or killed)");
        }
        out.println("report: " + p.toAbsolutePath());
        return Main.OK;
    }
}
