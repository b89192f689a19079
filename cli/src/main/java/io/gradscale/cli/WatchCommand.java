package io.gradscale.cli;

import io.gradscale.cli.live.LiveServer;
import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code gradscale watch RUN_DIR}: serves the live view of a run by following its metrics log, whether the
 * run trains in another process (or on another machine writing to a shared directory) or has finished.
 * Serves until interrupted (Ctrl-C).
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Serve the live view of a run directory in the browser, following its metrics.jsonl as it grows;"
                + " for a run in progress or finished. Stops on Ctrl-C.")
final class WatchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run directory: one holding metrics.jsonl, or where it will appear.")
    Path runDir;

    @Mixin
    LiveOptions options;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(runDir)) {
            throw new IOException("run directory " + runDir + " does not exist or is not a directory");
        }
        var o = spec.commandLine().getOut();
        Path name = runDir.toAbsolutePath().normalize().getFileName();
        try (LiveServer server = LiveServer.forRunDir(options.bind, options.port, name == null ? "run" : name.toString(), runDir)) {
            o.println("gradscale watch: " + runDir.resolve(MetricsLog.FILE_NAME));
            LiveOptions.announce(server, o);
            o.println("  (Ctrl-C stops)");
            o.flush();
            try {
                server.failure().get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw e.getCause() instanceof RuntimeException r ? r : new IOException(e.getCause());
            }
        }
        return Main.OK;
    }
}
