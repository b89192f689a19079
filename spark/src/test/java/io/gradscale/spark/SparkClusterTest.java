package io.gradscale.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Parameter;
import io.gradscale.nn.Module;
import io.gradscale.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Executors in separate JVMs: Spark's {@code local-cluster[2,1,1024]} starts a standalone master, two workers and
 * one executor JVM per worker. Outside a Spark distribution a worker finds no {@code $SPARK_HOME/jars}, so the test
 * lays one out under {@code target/spark-home} from the module's class path (symbolic links; surefire sets
 * {@code SPARK_HOME} and {@code SPARK_SCALA_VERSION} for it) and gives the executors the directories of the class
 * path, the Vector API module and the launcher's JVM flags. The weights must come out bit-identical to one machine.
 */
class SparkClusterTest {
    /** Starting two executor JVMs is slow on a loaded machine; a hang must still end the build. */
    private static final int TIMEOUT_SECONDS = 400;

    @Test
    @Timeout(TIMEOUT_SECONDS)
    void executorsInSeparateJvmsGiveTheBitsOfOneMachine() throws IOException {
        Path target = Path.of("target").toAbsolutePath();
        String home = System.getenv("SPARK_HOME");
        assertTrue(home != null && Path.of(home).toAbsolutePath().startsWith(target), "surefire sets SPARK_HOME to target/spark-home");
        Path jars = Files.createDirectories(Path.of(home, "jars"));
        List<String> dirs = new ArrayList<>(List.of(target.resolve("classes").toString(), target.resolve("test-classes").toString()));
        for (String e : Files.readString(target.resolve("launcher/classpath.txt")).strip().split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar")) {
                Path link = jars.resolve(p.getFileName());
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, p);
            } else {
                dirs.add(e);
            }
        }
        // the worker looks for a built Spark's jars under assembly/ when it runs inside a test
        Path assembly = Files.createDirectories(Path.of(home, "assembly/target/scala-2.13"));
        if (!Files.exists(assembly.resolve("jars"))) {
            Files.createSymbolicLink(assembly.resolve("jars"), jars);
        }
        String flags = Files.readString(target.resolve("launcher/java.args")).strip() + " --add-modules jdk.incubator.vector";
        Map<String, String> conf = Map.of("spark.executor.extraClassPath", String.join(java.io.File.pathSeparator, dirs),
                "spark.executor.extraJavaOptions", flags, "spark.test.home", home);
        SparkGradientsTest.Run local = SparkGradientsTest.local();
        JavaSparkContext sc = new SparkSettings("local-cluster[2,1,1024]", 2, conf).open();
        try {
            Module m = SparkGradientsTest.mlp();
            Trainer t = SparkGradientsTest.trainer(m);
            try (SparkGradients g = new SparkGradients(sc, DistributedDataset.of(sc, SparkGradientsTest.spirals(), 2), m,
                    SparkGradientsTest::mlp, 2, SparkGradients.Reduction.FIXED_TREE)) {
                t.run(g, null, Long.MAX_VALUE);
            }
            List<Long> pids = sc.parallelize(List.of(0, 1), 2).map(x -> ProcessHandle.current().pid()).distinct().collect();
            assertTrue(pids.stream().noneMatch(p -> p == ProcessHandle.current().pid()), "the tasks ran outside the driver's JVM");
            Map<String, Parameter> a = local.model().namedParameters();
            Map<String, Parameter> b = m.namedParameters();
            for (String k : a.keySet()) {
                assertTrue(a.get(k).value().bitEquals(b.get(k).value()), "parameter " + k);
            }
            assertEquals(a.keySet(), b.keySet());
        } finally {
            sc.stop();
        }
    }
}
