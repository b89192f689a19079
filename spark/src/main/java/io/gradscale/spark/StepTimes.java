package io.gradscale.spark;

/**
 * Where the time of distributed steps went, summed over steps since the last {@link #reset}: the layout of each
 * epoch (one shuffle, reported apart), the driver's
 * broadcast of the weights, the executors' forward and backward passes (the slowest task of each step: the
 * step's critical path), the executors' encoding and the driver's decoding of the gradient pieces, the driver's
 * additions of the pieces in the tree, and the whole step as the driver saw it. What the whole leaves over is
 * Spark's own: scheduling, task launch, result transfer.
 */
public final class StepTimes {
    long steps;
    long layoutNanos;
    long broadcastNanos;
    long computeMaxNanos;
    long computeSumNanos;
    long encodeMaxNanos;
    long decodeNanos;
    long combineNanos;
    long totalNanos;
    long bytesToDriver;
    long bytesBroadcast;

    public void reset() {
        steps = layoutNanos = broadcastNanos = computeMaxNanos = computeSumNanos = encodeMaxNanos = decodeNanos = combineNanos = totalNanos = 0;
        bytesToDriver = bytesBroadcast = 0;
    }

    public long steps() {
        return steps;
    }

    /** The epochs' layout (one shuffle of the examples per epoch), per step; not part of {@link #totalMs}. */
    public double layoutMs() {
        return per(layoutNanos);
    }

    /** Milliseconds per step of each part. */
    public double broadcastMs() {
        return per(broadcastNanos);
    }

    public double computeMs() {
        return per(computeMaxNanos);
    }

    /** The forward and backward passes of all tasks added up (the work, not the critical path). */
    public double computeWorkMs() {
        return per(computeSumNanos);
    }

    public double encodeMs() {
        return per(encodeMaxNanos);
    }

    public double decodeMs() {
        return per(decodeNanos);
    }

    public double combineMs() {
        return per(combineNanos);
    }

    public double totalMs() {
        return per(totalNanos);
    }

    /** Gradient bytes sent from the executors to the driver, per step. */
    public double bytesToDriverPerStep() {
        return steps == 0 ? Double.NaN : (double) bytesToDriver / steps;
    }

    /** Weight bytes the driver broadcast, per step (each executor fetches them once). */
    public double bytesBroadcastPerStep() {
        return steps == 0 ? Double.NaN : (double) bytesBroadcast / steps;
    }

    private double per(long nanos) {
        return steps == 0 ? Double.NaN : nanos / 1e6 / steps;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "%d steps: %.3f ms/step (+ %.3f for the epochs' layout) = broadcast %.3f + compute %.3f (work %.3f) + encode %.3f + decode %.3f + combine %.3f + rest; "
                        + "%.0f bytes to the driver and %.0f broadcast per step",
                steps, totalMs(), layoutMs(), broadcastMs(), computeMs(), computeWorkMs(), encodeMs(), decodeMs(), combineMs(),
                bytesToDriverPerStep(), bytesBroadcastPerStep());
    }
}
