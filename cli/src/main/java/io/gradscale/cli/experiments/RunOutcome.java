package io.gradscale.cli.experiments;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One trained variant of an experiment.
 *
 * @param label the variant's name, also the name of its run directory
 * @param runDir the run directory, holding {@code metrics.jsonl} and {@code diagnosis.json}
 * @param numbers the variant's key numbers by name, in table order (e.g. {@code test_mse}, {@code diverged} as 0/1)
 */
public record RunOutcome(String label, Path runDir, Map<String, Double> numbers) {
    public RunOutcome {
        Objects.requireNonNull(label, "run label is required");
        Objects.requireNonNull(runDir, "run directory is required");
        numbers = Collections.unmodifiableMap(new LinkedHashMap<>(numbers));
    }

    /** The number called {@code key}; fails naming the numbers there are. */
    public double number(String key) {
        Double v = numbers.get(key);
        if (v == null) {
            throw new IllegalArgumentException("run '" + label + "' has no number '" + key + "'; it has " + numbers.keySet());
        }
        return v;
    }
}
