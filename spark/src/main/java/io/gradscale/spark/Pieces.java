package io.gradscale.spark;

import io.gradscale.train.ActivationStats;
import io.gradscale.train.GradientSum;
import io.gradscale.train.MicroBatches;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one task sends the driver for one step: the tree nodes it summed, their gradients encoded as raw
 * little-endian floats (one bulk copy per tensor, where Java serialization of {@code float[][]} would be
 * slower), the activation statistics when it held the step's last micro-batch and was asked for them, and how
 * long its passes and its encoding took.
 */
record Pieces(byte[] encoded, Map<String, ActivationStats> activations, long computeNanos, long encodeNanos) implements Serializable {
    static byte[] encode(Map<MicroBatches.Node, GradientSum> nodes) {
        long bytes = 4;
        for (GradientSum s : nodes.values()) {
            bytes += 8 + 8 + 4 + 4L * s.grads().length + s.bytes();
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
            out.put(node, new GradientSum(grads, loss));
        }
        return out;
    }
}
