package io.gradscale.cli;

import io.gradscale.cli.live.LiveFeed;
import io.gradscale.cli.live.LiveServer;
import io.gradscale.diag.ModelFacts;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** Where the live view is served: options shared by {@code train --live}, {@code diagnose --live} and {@code watch}. */
final class LiveOptions {
    /** Description of {@code --live}, the same for train and diagnose. */
    static final String LIVE_DESCRIPTION = "Serve a live view of the run in the browser while it trains (see --port, --bind).";

    @Option(names = "--port", defaultValue = "" + LiveServer.DEFAULT_PORT,
            description = "TCP port of the live view (default: ${DEFAULT-VALUE}; 0 = any free port, printed).")
    int port;

    @Option(names = "--bind", defaultValue = LiveServer.DEFAULT_BIND,
            description = "Address the live view listens on (default: ${DEFAULT-VALUE}, this machine only). Another"
                    + " address (0.0.0.0: all) lets anyone who can reach it read the run: no password, no TLS.")
    String bind;

    /** Starts the live view of a training run, or returns null when {@code feed} is null (no {@code --live}). */
    LiveServer startForTraining(String title, LiveFeed feed, ModelFacts facts, PrintWriter out) throws IOException {
        if (feed == null) {
            return null;
        }
        LiveServer server = LiveServer.forTraining(bind, port, title, feed, facts);
        announce(server, out);
        return server;
    }

    static void announce(LiveServer server, PrintWriter out) {
        out.println("  live view: " + server.url());
        out.flush();
    }
}
