package io.gradscale.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Where and how to run on Spark: the master URL, the number of partitions each step is cut into, and further
 * Spark properties (executor memory and cores, ...), as the {@code spark:} section of a configuration or the
 * {@code --spark MASTER} option give them.
 *
 * @param master a Spark master URL: {@code local[N]}, {@code local[N,F]} (F tries per task), {@code spark://host:port},
 *     {@code yarn}, {@code k8s://...}; null when {@code spark-submit} sets it
 * @param partitions the partitions of the training set, one task each per step
 * @param conf further Spark properties, e.g. {@code spark.executor.memory}
 */
public record SparkSettings(String master, int partitions, Map<String, String> conf) {
    /** Partitions per step when none are given: Spark's default parallelism (the cores of a local master). */
    public static final int DEFAULT_PARTITIONS = 0;
    /** Spark's log level under a local master, where its INFO lines would bury the run's own output. */
    public static final String LOCAL_LOG_LEVEL = "WARN";
    /** The application's name in Spark's UI and logs. */
    public static final String APP_NAME = "gradscale";

    /** The master URLs Spark 4 accepts (its SparkContext.createTaskScheduler and cluster managers). */
    private static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
            "local|local\\[(\\d+|\\*)(,\\d+)?]|local-cluster\\[\\d+,\\s*\\d+,\\s*\\d+]|spark://\\S+|yarn|k8s://\\S+");

    public SparkSettings {
        if (partitions < 0) {
            throw new IllegalArgumentException("spark.partitions must be >= 1 (or 0 for Spark's default parallelism), got " + partitions);
        }
        conf = Map.copyOf(conf);
    }

    /**
     * Starts Spark (or joins the context {@code spark-submit} started). A local master binds the driver to the
     * loopback address. A master URL Spark cannot parse or reach fails with a message naming it and the forms it
     * accepts.
     */
    public JavaSparkContext open() {
        SparkConf c = new SparkConf().setAppName(APP_NAME);
        if (master != null) {
            c.setMaster(master);
        } else if (!c.contains("spark.master")) {
            throw new IllegalArgumentException("spark.master: no master URL given (use --spark MASTER, a spark: master: entry,"
                    + " or spark-submit --master)");
        }
        String m = c.get("spark.master");
        if (!MASTER.matcher(m).matches()) {
            throw new IllegalArgumentException("spark.master: '" + m + "' is not a Spark master URL (expected local, local[N],"
                    + " local[N,F], local-cluster[N,C,M], spark://host:port, yarn or k8s://host:port)");
        }
        if (m.startsWith("local")) {
            c.setIfMissing("spark.driver.host", "127.0.0.1");
            c.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            c.setIfMissing("spark.ui.enabled", "false");
        }
        Map<String, String> all = new LinkedHashMap<>(conf);
        all.forEach(c::set);
        try {
            JavaSparkContext sc = new JavaSparkContext(c);
            if (m.startsWith("local")) {
                sc.setLogLevel(LOCAL_LOG_LEVEL);
            }
            return sc;
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            String msg = String.valueOf(e.getMessage());
            throw new IllegalStateException("cannot start Spark with master '" + m + "': " + msg, e);
        }
    }

    /** The partitions to use on {@code sc}: the configured count, or Spark's default parallelism. */
    public int partitionsOn(JavaSparkContext sc) {
        return partitions > 0 ? partitions : sc.defaultParallelism();
    }
}
