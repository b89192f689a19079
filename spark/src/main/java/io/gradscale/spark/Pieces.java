package io.gradscale.spark;

import io.gradscale.train.ActivationStats;
import io.gradscale.train.GradientSum;
import io.gradscale.train.MicroBatches;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one task sends the driver for one step: the tree nodes it summed (with per-example clipping, each with its
 * examples' norms and weights; with batch normalization, each micro-batch's batch statistics), their gradients encoded as raw
 * little-endian floats (one bulk copy per tensor, where Java serialization of {@code float[][]} would be
 * slower), the activation statistics when it held the step's last micro-batch and was asked for them, and how
 * long its passes and its encoding took.
 */
record Pieces(byte[] encoded, Map<String, ActivationStats> activations, long computeNanos, long encodeNanos) implements Serializable {
    /**
     * Bytes of a node besides its tensors: its range (two ints), its loss (a double), its tensor count (an int) and its
     * per-example count (an int; -1 without per-example clipping, else followed by 8 + 4 bytes per example) and its
     * count of batch statistics (an int; -1 without, else followed by each one's length and floats).
     */
    static final int NODE_HEADER_BYTES = 4 + 4 + 8 + 4 + 4 + 4;

    static byte[] encode(Map<MicroBatches.Node, GradientSum> nodes) {
        long bytes = 4;
        for (GradientSum s : nodes.values()) {
            bytes += NODE_HEADER_BYTES + 4L * s.grads().length + s.bytes() + (s.norms() == null ? 0 : 12L * s.norms().length)
                    + (s.statistics() == null ? 0 : 4L * s.statistics().length);
            if (s.statistics() != null) {
                for (float[] st : s.statistics()) {
                    bytes += 4L * st.length;
                }
            }
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(nodes.size());
        for (Map.Entry<MicroBatches.Node, GradientSum> e : nodes.entrySet()) {
            b.putInt(e.getKey().lo()).putInt(e.getKey().hi()).putDouble(e.getValue().loss()).putInt(e.getValue().grads().length);
            for (float[] g : e.getValue().grads()) {
                b.putInt(g == null ? -1 : g.length);
                if (g != null) {
                    b.asFloatBuffer().put(g);
                    b.position(b.position() + 4 * g.length);
                }
            }
            double[] norms = e.getValue().norms();
            b.putInt(norms == null ? -1 : norms.length);
            if (norms != null) {
                b.asDoubleBuffer().put(norms);
                b.position(b.position() + 8 * norms.length);
                b.asFloatBuffer().put(e.getValue().weights());
                b.position(b.position() + 4 * norms.length);
            }
            float[][] stats = e.getValue().statistics();
            b.putInt(stats == null ? -1 : stats.length);
            if (stats != null) {
                for (float[] st : stats) {
                    b.putInt(st.length);
                    b.asFloatBuffer().put(st);
                    b.position(b.position() + 4 * st.length);
                }
            }
        }
        return b.array();
    }

    static Map<MicroBatches.Node, GradientSum> decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt();
        Map<MicroBatches.Node, GradientSum> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            MicroBatches.Node node = new MicroBatches.Node(b.getInt(), b.getInt());
            double loss = b.getDouble();
            float[][] grads = new float[b.getInt()][];
            for (int p = 0; p < grads.length; p++) {
                int len = b.getInt();
                if (len >= 0) {
                    grads[p] = new float[len];
                    b.asFloatBuffer().get(grads[p]);
                    b.position(b.position() + 4 * len);
                }
            }
            int examples = b.getInt();
            double[] norms = null;
            float[] weights = null;
            if (examples >= 0) {
                norms = new double[examples];
                b.asDoubleBuffer().get(norms);
                b.position(b.position() + 8 * examples);
                weights = new float[examples];
                b.asFloatBuffer().get(weights);
                b.position(b.position() + 4 * examples);
            }
            int statCount = b.getInt();
            float[][] stats = statCount < 0 ? null : new float[statCount][];
            for (int s = 0; s < Math.max(0, statCount); s++) {
                stats[s] = new float[b.getInt()];
                b.asFloatBuffer().get(stats[s]);
                b.position(b.position() + 4 * stats[s].length);
            }
            out.put(node, new GradientSum(grads, loss, norms, weights, stats));
        }
        return out;
    }
}
