package io.gradscale.train;

import io.gradscale.nn.Activation;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the last outputs of a model's {@link Activation} layers and summarizes them as
 * {@link ActivationStats}: mean and spread, the share of dead units (ReLU family: a column that is
 * zero, or negative for leaky variants, for every example of the batch) and of saturated outputs
 * (tanh: |y| &gt; 0.99; sigmoid: y &lt; 0.01 or y &gt; 0.99).
 */
final class ActivationProbe {
    /** |tanh| above this, or sigmoid within this of 0 or 1, counts as saturated. */
    static final double SATURATION = 0.99;
    /**
     * A unit is judged dead only over a batch of at least this many examples: with one example (stochastic
     * descent) every inactive ReLU would look dead. Smaller batches report the dead share as NaN (unknown).
     */
    static final int MIN_ROWS_FOR_DEAD = 8;

    private ActivationProbe() {
    }

    static Map<String, ActivationStats> collect(Module model, Engine engine) {
        Map<String, ActivationStats> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Activation a && a.lastOutput() != null) {
                out.put(e.getKey(), summarize(a.kind(), a.lastOutput(), engine));
            }
        }
        return out;
    }

    static ActivationStats summarize(String kind, Tensor y, Engine engine) {
        int n = y.size();
        double mean = engine.sum(y) / n;
        double var = Math.max(0, engine.sumSquares(y) / n - mean * mean);
        float[] d = y.data();
        int cols = y.rank() == 0 ? 1 : y.dim(-1);
        int rows = n / cols;
        double dead = 0;
        double sat = 0;
        boolean finite = true;
        for (int i = 0; i < n && finite; i++) {
            finite = Float.isFinite(d[i]);
        }
        if (!finite) {
            // NaN fails "> 0" and would count as a dead unit: outputs that are not numbers say nothing of dead or saturated
            // units (a network whose weights went non-finite is the non-finite detector's), so neither share is judged
            dead = Double.NaN;
            sat = Double.NaN;
        } else if (kind.contains("relu") && rows < MIN_ROWS_FOR_DEAD) {
            dead = Double.NaN;
        } else if (kind.contains("relu")) {
            int deadCols = 0;
            for (int c = 0; c < cols; c++) {
                boolean alive = false;
                for (int r = 0; r < rows && !alive; r++) {
                    alive = d[r * cols + c] > 0f;
                }
                deadCols += alive ? 0 : 1;
            }
            dead = (double) deadCols / cols;
        } else if (kind.equals("tanh") || kind.equals("sigmoid")) {
            long s = 0;
            for (float v : d) {
                s += kind.equals("tanh") ? (Math.abs(v) > SATURATION ? 1 : 0) : (v < 1 - SATURATION || v > SATURATION ? 1 : 0);
            }
            sat = (double) s / n;
        }
        return new ActivationStats(kind, mean, Math.sqrt(var), dead, sat);
    }
}
