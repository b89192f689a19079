package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.cli.CommandLineTest.Run;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --live}, {@code diagnose --live} and {@code watch} on the command line: ports, addresses, errors. */
class LiveCommandTest {
    @TempDir
    Path dir;

    private static final String TINY = """
            name: tiny
            seed: 1
            data: {source: two_spirals, size: 120, validation: 0.25}
            model: {type: mlp, hidden: [8], activation: tanh}
            optimizer: {type: adam, lr: 0.01}
            training: {mode: mini_batch, batch_size: 30, epochs: 2}
            """;

    private Path config() throws IOException {
        Path p = dir.resolve("tiny.yaml");
        Files.writeString(p, TINY);
        return p;
    }

    @Test
    void portZeroPicksAFreePortAndPrintsIt() throws IOException {
        Run r = CommandLineTest.run("train", config().toString(), "--live", "--port", "0", "--out", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("live view: http://127\\.0\\.0\\.1:(\\d+)/").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Integer.parseInt(m.group(1)) > 0, r.out());
        assertTrue(r.out().contains("completed 2 epochs"), r.out());
    }

    @Test
    void aTakenPortIsAClearErrorBeforeAnythingRuns() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(taken.getLocalPort());
            for (String command : new String[] {"train", "diagnose"}) {
                Path out = dir.resolve("runs-" + command);
                Run r = CommandLineTest.run(command, config().toString(), "--live", "--port", port, "--out", out.toString());
                assertEquals(Main.USAGE, r.code(), r.out() + r.err());
                assertTrue(r.err().contains("127.0.0.1:" + port) && r.err().contains("already in use")
                        && r.err().contains("--port 0"), r.err());
                assertFalse(Files.exists(out), "a run directory was made although the live view could not start");
            }
        }
    }

    @Test
    void badPortsAndAddressesAreUsageErrors() throws IOException {
        Run port = CommandLineTest.run("train", config().toString(), "--live", "--port", "70000");
        assertEquals(Main.USAGE, port.code());
        assertTrue(port.err().contains("--port must be between 0") && port.err().contains("70000"), port.err());
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
        Run bind = CommandLineTest.run("watch", dir.toString(), "--bind", "192.0.2.1", "--port", "0");
        assertEquals(Main.USAGE, bind.code());
        assertTrue(bind.err().contains("--bind: 192.0.2.1") && bind.err().contains("not an address of this machine"), bind.err());
    }

    @Test
    void watchNeedsADirectory() {
        Run r = CommandLineTest.run("watch", dir.resolve("missing").toString(), "--port", "0");
        assertEquals(Main.IO_ERROR, r.code());
        assertTrue(r.err().contains("missing") && r.err().contains("does not exist"), r.err());
    }
}
