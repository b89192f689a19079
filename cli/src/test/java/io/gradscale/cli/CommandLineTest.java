package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.train.MetricsLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line end to end: runs, exit codes, and the one-line errors bad configurations get. */
class CommandLineTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path config(String name, String yaml) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, yaml);
        return p;
    }

    private static final String TINY = """
            name: tiny
            seed: 1
            data: {source: two_spirals, size: 200, validation: 0.25}
            model: {type: mlp, hidden: [16, 16], activation: tanh}
            transforms:
              - {type: clip_global_norm, max_norm: 1.0}
            optimizer: {type: adam, lr: 0.01}
            training: {mode: mini_batch, batch_size: 25, epochs: 2}
            monitor: {every: 2}
            """;

    @Test
    void trainWritesARunDirectoryWithEverythingInIt() throws IOException {
        Run r = run("train", config("tiny.yaml", TINY).toString(), "--out", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("completed 2 epochs after 12 steps"), r.out());
        Path runDir;
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            runDir = s.findFirst().orElseThrow();
        }
        for (String f : List.of("config.json", "metrics.jsonl", "diagnosis.json", "report.html", "checkpoint/manifest.json")) {
            assertTrue(Files.exists(runDir.resolve(f)), f + " in " + runDir);
        }
        MetricsLog.Contents c = MetricsLog.read(runDir.resolve("metrics.jsonl"));
        assertEquals(12, c.steps().size());
        assertEquals(2, c.evals().size());
        assertEquals("tiny", c.provenance().config().path("name").asText());
        Files.delete(runDir.resolve("report.html"));
        Run rep = run("report", runDir.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(Files.exists(runDir.resolve("report.html")));
    }

    @Test
    void diagnosePrintsVerdictsWithEvidenceAndRemedies() throws IOException {
        String sigmoid = TINY.replace("hidden: [16, 16], activation: tanh", "hidden: [16, 16, 16, 16, 16, 16, 16, 16], activation: sigmoid, init: glorot")
                .replace("epochs: 2", "epochs: 3");
        Run r = run("diagnose", config("deep.yaml", sigmoid).toString(), "--steps", "20", "--out", dir.resolve("runs").toString());
        assertTrue(r.out().contains("Vanishing gradients"), r.out());
        assertTrue(r.out().contains("remedy:") && r.out().contains("evidence:"), r.out());
        assertEquals(1, r.code(), "a critical verdict gives exit code 1");
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of("model: {type: mlp, activaton: relu}", "model.activaton: unknown field"),
                Arguments.of("model: {type: mlp, activation: rellu}", "model.activation: unknown value 'rellu'; allowed values: sigmoid, tanh, relu"),
                Arguments.of("optimizer: {type: adamm}", "optimizer.type: unknown value 'adamm'; allowed values: sgd, adam"),
                Arguments.of("training: {epochs: 0}", "training.epochs: 0 is outside the allowed range [1, 1000000]"),
                Arguments.of("training: {mode: mini_batch, batch_size: many}", "training.batch_size: expected a whole number, got 'many'"),
                Arguments.of("transforms:\n  - {type: clip_global_norm, max_norm: -1}", "transforms[0].max_norm: -1.0 is outside the allowed range"),
                Arguments.of("transforms:\n  - {type: clip_everything}", "transforms[0].type: unknown value 'clip_everything'"),
                Arguments.of("data: {source: two_spirals}\nmodel: [1, 2", "line 3"),
                Arguments.of("privacy: {target_epsilon: 3, noise_multiplier: 1}", "privacy: give exactly one of target_epsilon"),
                Arguments.of("privacy: {target_epsilon: 3, delta: 2}", "privacy.delta: 2.0 is outside the allowed range"),
                Arguments.of("data: {source: two_spirals, size: 100}\ntraining: {mode: batch, epochs: 1000}\nprivacy: {target_epsilon: 1e-9}",
                        "privacy.target_epsilon: the privacy budget epsilon = 1.0E-9"),
                Arguments.of("training: {sampling: random}", "training.sampling: unknown value 'random'; allowed values: shuffle, poisson"));
    }

    @Test
    void aPrivateRunReportsTheEpsilonItSpentWithinItsBudget() throws IOException {
        String yaml = TINY.replace("transforms:\n  - {type: clip_global_norm, max_norm: 1.0}\n", "")
                .replace("optimizer: {type: adam, lr: 0.01}", "optimizer: {type: sgd, lr: 0.1}")
                + "privacy: {target_epsilon: 3, delta: 1e-3, max_grad_norm: 1.0}\n";
        Run r = run("train", config("private.yaml", yaml).toString(), "--out", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("dp(max_grad_norm=1.0, noise_multiplier="), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("privacy spent: epsilon ([0-9.]+) at delta 0.001").matcher(r.out());
        assertTrue(m.find(), r.out());
        double eps = Double.parseDouble(m.group(1));
        assertTrue(eps <= 3 && eps > 3 - 0.02, "spent " + eps + " of a budget of 3 (tolerance 0.01)");
        Path runDir;
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            runDir = s.findFirst().orElseThrow();
        }
        List<String> lines = Files.readAllLines(runDir.resolve(MetricsLog.FILE_NAME));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"privacy.epsilon\"")), "epsilon in the metrics log");
        assertTrue(Files.readString(runDir.resolve("report.html")).contains("privacy spent"), "epsilon in the report");
    }

    @ParameterizedTest
    @MethodSource("badConfigs")
    void badConfigurationsGetOneClearLineAndExitCode2(String yaml, String expected) throws IOException {
        Run r = run("train", config("bad.yaml", "name: bad\n" + yaml + "\n").toString(), "--out", dir.resolve("runs").toString());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        assertEquals(2, r.code(), r.err());
    }

    @Test
    void verboseShowsTheStackTraceAndMissingFilesAreReported() throws IOException {
        Run r = run("--verbose", "train", config("bad.yaml", "name: bad\noptimizer: {type: adamm}\n").toString());
        assertTrue(r.err().contains("\tat "), r.err());
        Run missing = run("train", dir.resolve("nope.yaml").toString());
        assertEquals(3, missing.code(), "README: 3 when a file cannot be read");
        assertTrue(missing.err().contains("nope.yaml: no such file"), missing.err());
        Run noReport = run("report", dir.toString());
        assertEquals(3, noReport.code(), noReport.err());
    }

    @Test
    void experimentsAreListedAndRunWithTheirTablesAndReports() throws IOException {
        Run list = run("experiment", "--list");
        assertEquals(0, list.code());
        for (String name : List.of("exploding-rnn", "vanishing-mlp", "shattered", "clippers", "descent-modes")) {
            assertTrue(list.out().contains(name), list.out());
        }
        Run bad = run("experiment", "nope");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("exploding-rnn"), "an unknown name lists the valid ones: " + bad.err());
        Run r = run("experiment", "shattered", "--quick", "--out", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("reports:") && r.out().contains("report.html"), r.out());
        try (Stream<Path> s = Files.walk(dir.resolve("runs"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().equals("report.html")));
        }
    }

    @Test
    void helpIsEverywhere() {
        for (String cmd : List.of("train", "diagnose", "report", "experiment", "demo")) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage: gradscale " + cmd), r.out());
        }
        Run top = run("--help");
        assertTrue(top.out().contains("train") && top.out().contains("diagnose"), top.out());
    }
}
