package io.gradscale.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code gradscale} command line: train, diagnose, run the built-in experiments, render reports.
 *
 * <p>Exit codes: 0 success; 1 the run failed (diverged, or an error while running); 2 bad usage, an
 * invalid configuration or malformed input data; 3 a file that cannot be read or written (missing, not
 * permitted, corrupt), the message saying why. Errors print as one line; add
 * {@code --verbose} for the stack trace.
 */
@Command(name = "gradscale", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train neural networks with healthy gradients, and see, measured, when they are not.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvaluateCommand.class, PredictCommand.class, DiagnoseCommand.class,
            DoctorBenchCommand.class, ExperimentCommand.class, ReportCommand.class, WatchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Success. */
    public static final int OK = 0;
    /** The run failed: training diverged or a step raised an error. */
    public static final int RUN_FAILED = 1;
    /** Bad usage or an invalid configuration. */
    public static final int USAGE = 2;
    /** A file could not be read or written. */
    public static final int IO_ERROR = 3;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns the exit code (no System.exit: embeddable and testable). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            e.println("gradscale: " + message(ex));
            if (main.verbose) {
                ex.printStackTrace(e);
            } else {
                e.println("(run with --verbose for the stack trace)");
            }
            e.flush();
            return exitCode(ex);
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The exit code an error ends the command with. */
    static int exitCode(Throwable t) {
        if (t instanceof RunRecorder.RunFailedException && t.getCause() != null) {
            return exitCode(t.getCause());
        }
        if (t instanceof java.io.UncheckedIOException || t instanceof java.io.IOException
                || t instanceof io.gradscale.io.FileFormatException) {
            return IO_ERROR;
        }
        if (t instanceof io.gradscale.cli.config.ConfigException || t instanceof IllegalArgumentException
                || t instanceof io.gradscale.data.DataFormatException) {
            return USAGE;
        }
        return RUN_FAILED;
    }

    /**
     * One line saying what went wrong. A file error says why ("no such file", "permission denied"), not only
     * the path the JDK's exceptions carry as their message.
     */
    static String message(Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null
                && u.getMessage().equals(u.getCause().toString())) {
            t = u.getCause(); // wrapped without a message of its own
        }
        if (t instanceof java.nio.file.FileSystemException f) {
            return (f.getFile() != null ? f.getFile() + ": " : "") + io.gradscale.io.FileErrors.reason(f);
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    public static void main(String[] args) {
        int code = execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        System.exit(code);
    }

    /** The version from the jar manifest, with the JVM and the kernels in use. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"gradscale " + (v == null ? "dev" : v),
                "Java " + System.getProperty("java.version") + ", kernels: " + io.gradscale.tensor.Kernels.best().name()};
        }
    }
}
