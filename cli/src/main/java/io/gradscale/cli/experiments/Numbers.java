package io.gradscale.cli.experiments;

import io.gradscale.train.LayerStats;
import io.gradscale.train.StepRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the ordered key numbers of a {@link RunOutcome}, and counts what the transforms did over a run. */
final class Numbers {
    private final Map<String, Double> map = new LinkedHashMap<>();

    Numbers put(String key, double value) {
        map.put(key, value);
        return this;
    }

    Numbers put(String key, boolean value) {
        return put(key, value ? 1.0 : 0.0);
    }

    Map<String, Double> map() {
        return map;
    }

    /** Median gradient norm of {@code layer} over its last {@code samples} sampled steps; NaN when it was never sampled. */
    static double tailMedian(List<StepRecord> steps, String layer, int samples) {
        double[] vs = new double[samples];
        int n = 0;
        for (int i = steps.size() - 1; i >= 0 && n < samples; i--) {
            LayerStats st = steps.get(i).layers().get(layer);
            if (st != null) {
                vs[n++] = st.gradNorm();
            }
        }
        return Cells.median(java.util.Arrays.copyOf(vs, n));
    }

    /** The largest gradient norm of a run; a non-finite norm counts as infinite. */
    static double maxGradNorm(Iterable<StepRecord> steps) {
        double m = 0;
        for (StepRecord r : steps) {
            m = Math.max(m, Double.isFinite(r.gradNorm()) ? r.gradNorm() : Double.POSITIVE_INFINITY);
        }
        return m;
    }
}
