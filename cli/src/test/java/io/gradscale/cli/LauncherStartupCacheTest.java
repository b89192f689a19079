package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./gradscale} launcher's start-up cache (an AOT cache on JDK 24+, a dynamic CDS archive on JDK 21-23 or
 * with {@code GRADSCALE_AOT=cds}): made by the first training command after a build, used by the next, replaced when the
 * jar changes, never in the way of a run. The real launcher script runs against a copy of itself next to a small jar
 * whose main class ({@link Probe}) says which cache flag its JVM got and whether the JVM mapped an archive.
 */
class LauncherStartupCacheTest {
    /** The main class of the test jar: prints its arguments, the cache flag it runs with and the JVM's sharing state. */
    public static final class Probe {
        public static void main(String[] args) {
            String cache = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:SharedArchiveFile="))
                    .map(a -> a.substring(a.lastIndexOf('/') + 1)).findFirst().orElse("none");
            System.out.println("probe " + String.join(" ", args) + " cache=" + cache + " sharing="
                    + System.getProperty("java.vm.info", "").contains("sharing"));
            for (String a : args) {
                if (a.startsWith("exit=")) {
                    System.exit(Integer.parseInt(a.substring(5)));
                }
            }
        }
    }

    private record Run(int code, String out, String err) {
    }

    @TempDir
    Path root;

    private static int javaMajor() {
        return Runtime.version().feature();
    }

    private Path setUp() throws IOException {
        Path launcher = Path.of("..", "gradscale").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(launcher) && Files.isExecutable(Path.of("/bin/bash")), "needs bash and the launcher");
        Files.copy(launcher, root.resolve("gradscale"));
        Files.setPosixFilePermissions(root.resolve("gradscale"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(root.resolve(".mvn"));
        Files.copy(launcher.resolveSibling(".mvn").resolve("find-jdk.sh"), root.resolve(".mvn/find-jdk.sh"));
        Path jar = root.resolve("cli/target/gradscale.jar");
        Files.createDirectories(jar.getParent());
        writeJar(jar, "first build");
        return jar;
    }

    /** A runnable jar of {@link Probe}; {@code note} goes into the manifest, so that a rebuilt jar differs. */
    private static void writeJar(Path jar, String note) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Probe.class.getName());
        m.getMainAttributes().putValue("Build-Note", note);
        String entry = Probe.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
             InputStream in = Probe.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }

    private Run run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("gradscale").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("GRADSCALE_JAVA_OPTS");
        pb.environment().remove("GRADSCALE_AOT");
        pb.environment().putAll(env);
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int code = p.waitFor();
        return new Run(code, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private List<String> caches() throws IOException {
        Path dir = root.resolve("cli/target/aot");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("create.log")).sorted().toList();
        }
    }

    /** The cache says nothing on the console, mapped or not. */
    private static void assertQuiet(Run r) {
        assertFalse(r.err().contains("[aot]") || r.err().contains("[cds]") || r.err().contains("[error"), r.err());
    }

    @Test
    void theFirstTrainingRunMakesTheCacheTheNextUsesItAndARebuiltJarReplacesIt() throws Exception {
        Path jar = setUp();
        String ext = javaMajor() >= 24 ? ".aot" : ".jsa";

        Run first = run(Map.of(), "train", "a.yaml");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().strip().startsWith("probe train a.yaml cache=none"), "the recording run's output is the command's: " + first.out());
        List<String> made = caches();
        assertEquals(1, made.size(), "one cache, no temporary file or lock left: " + made);
        assertTrue(made.get(0).startsWith("gradscale-") && made.get(0).endsWith(ext), made.get(0));

        Run second = run(Map.of(), "train", "a.yaml");
        assertEquals(0, second.code(), second.err());
        assertEquals("probe train a.yaml cache=" + made.get(0) + " sharing=true", second.out().strip());
        assertQuiet(second);

        writeJar(jar, "second build");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 10_000));
        Run rebuilt = run(Map.of(), "train", "a.yaml");
        assertTrue(rebuilt.out().strip().startsWith("probe train a.yaml cache=none"), "a rebuilt jar never meets the old cache: " + rebuilt.out());
        List<String> remade = caches();
        assertEquals(1, remade.size(), remade.toString());
        assertFalse(remade.equals(made), "the old cache is replaced: " + remade);
        Run after = run(Map.of(), "train", "a.yaml");
        assertEquals("probe train a.yaml cache=" + remade.get(0) + " sharing=true", after.out().strip());
        assertQuiet(after);
    }

    @Test
    void theCdsArchiveOfJdk21WorksTheSameWayAndTheExitCodeIsTheCommands() throws Exception {
        setUp();
        Map<String, String> cds = Map.of("GRADSCALE_AOT", "cds");
        Run first = run(cds, "demo", "exit=3");
        assertEquals(3, first.code(), "the recording run ends with the command's exit code: " + first.err());
        assertTrue(first.out().strip().startsWith("probe demo exit=3 cache=none"), first.out());
        List<String> made = caches();
        assertEquals(1, made.size(), made.toString());
        assertTrue(made.get(0).endsWith(".jsa"), made.get(0));
        Run second = run(cds, "demo");
        assertEquals(0, second.code(), second.err());
        // (a dynamic archive sits on the JDK's base archive, so "sharing" alone does not tell that it was mapped)
        assertTrue(second.out().strip().startsWith("probe demo cache=" + made.get(0) + " sharing="), second.out());
        assertQuiet(second);
    }

    @Test
    void commandsThatDoNotTrainOrAnOffSwitchMakeNoCacheAndAFailureToMakeOneBreaksNoRun() throws Exception {
        setUp();
        for (String[] args : new String[][] {{"report", "dir"}, {"train", "--help"}, {"--version"}}) {
            Run r = run(Map.of(), args);
            assertEquals(0, r.code(), r.err());
            assertEquals(List.of(), caches(), String.join(" ", args) + " records nothing");
        }
        Run off = run(Map.of("GRADSCALE_AOT", "off"), "train", "a.yaml");
        assertEquals("probe train a.yaml cache=none sharing=true", off.out().strip());
        assertEquals(List.of(), caches(), "GRADSCALE_AOT=off records nothing");
        Run bad = run(Map.of("GRADSCALE_AOT", "fast"), "train", "a.yaml");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("GRADSCALE_AOT must be auto, off or cds, got 'fast'"), bad.err());

        Files.writeString(root.resolve("cli/target/aot"), "not a directory"); // the cache cannot be written
        for (int i = 0; i < 2; i++) {
            Run r = run(Map.of(), "train", "a.yaml");
            assertEquals(0, r.code(), r.err());
            assertEquals("probe train a.yaml cache=none sharing=true", r.out().strip());
        }
    }
}
