package io.gradscale.cli.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code spark:} section: train with synchronous data parallelism on Apache Spark (the {@code gradscale-spark}
 * module; see docs/SCALING.md).
 *
 * <pre>
 * spark:
 *   master: local[2]          # local[N], local[N,F], spark://host:port, yarn, k8s://...; --spark MASTER overrides it,
 *                             # and under spark-submit it may be left out
 *   partitions: 2             # tasks per step (default: Spark's default parallelism)
 *   reduction: fixed_tree     # fixed_tree (same bits for any partition count) | tree_aggregate (for comparison)
 *   executors: 4              # spark.executor.instances
 *   executor_cores: 1         # spark.executor.cores
 *   executor_memory: 2g       # spark.executor.memory
 *   conf: {spark.task.maxFailures: "4"}   # any further Spark properties
 * </pre>
 *
 * @param master the master URL, or null to take it from spark-submit
 * @param partitions tasks per step, 0 for Spark's default parallelism
 * @param reduction "fixed_tree" or "tree_aggregate"
 * @param conf Spark properties
 */
public record ClusterSpec(String master, int partitions, String reduction, Map<String, String> conf) {
    /** The tree over micro-batch indices, which gives the same bits as one machine. */
    public static final String DEFAULT_REDUCTION = "fixed_tree";

    /** Reads the {@code spark} section of {@code root}; {@code masterOverride} (from --spark) wins over its master. */
    public static ClusterSpec read(com.fasterxml.jackson.databind.JsonNode root, String masterOverride) {
        ConfigNode s = new ConfigNode(root, "").object("spark");
        String master = s.has("master") ? s.string("master") : null;
        int partitions = s.integer("partitions", 0, 0, 1 << 20);
        String reduction = s.choice("reduction", DEFAULT_REDUCTION, DEFAULT_REDUCTION, "tree_aggregate");
        Map<String, String> conf = new LinkedHashMap<>();
        if (s.has("executors")) {
            conf.put("spark.executor.instances", Integer.toString(s.integer("executors", 1, 1, 1 << 20)));
        }
        if (s.has("executor_cores")) {
            conf.put("spark.executor.cores", Integer.toString(s.integer("executor_cores", 1, 1, 1 << 10)));
        }
        if (s.has("executor_memory")) {
            conf.put("spark.executor.memory", s.string("executor_memory"));
        }
        var raw = s.raw("conf");
        if (raw != null) {
            if (!raw.isObject()) {
                throw new ConfigException("spark.conf: expected a mapping of Spark properties to values, got " + raw);
            }
            raw.fields().forEachRemaining(e -> {
                if (!e.getKey().startsWith("spark.")) {
                    throw new ConfigException("spark.conf." + e.getKey() + ": Spark properties start with 'spark.'");
                }
                conf.put(e.getKey(), e.getValue().asText());
            });
        }
        s.done();
        return new ClusterSpec(masterOverride != null ? masterOverride : master, partitions, reduction, conf);
    }
}
