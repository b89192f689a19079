package io.gradscale.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * Where a run came from: enough to reproduce it. Written as the header of every metrics log and
 * stored with every checkpoint.
 *
 * @param config the full configuration of the run, as given (after defaults were applied)
 * @param seed the seed every random generator of the run was derived from
 * @param gradscaleVersion the library version
 * @param javaVersion {@code java.version} of the JVM
 * @param machine operating system, architecture and CPU model
 * @param cpus available processors
 * @param threads threads the run used
 * @param kernels the kernel implementation in use ("vector-512", "scalar")
 * @param startedAt wall-clock start time, ISO-8601
 */
public record Provenance(JsonNode config, long seed, String gradscaleVersion, String javaVersion, String machine, int cpus,
                         int threads, String kernels, String startedAt) {

    /** Provenance of a run starting now on this machine. */
    public static Provenance now(JsonNode config, long seed, int threads, String kernels) {
        String version = Provenance.class.getPackage().getImplementationVersion();
        return new Provenance(config, seed, version == null ? "dev" : version, System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch") + " " + cpuModel(),
                Runtime.getRuntime().availableProcessors(), threads, kernels, Instant.now().toString());
    }

    private static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown CPU";
        }
    }
}
