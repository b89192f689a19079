package io.gradscale.diag;

import java.util.List;

/**
 * What the doctor knows about the network and the training set-up, so that remedies can be concrete
 * ("replace the 9 sigmoid activations with ReLU") rather than generic.
 *
 * @param depth number of weight layers (Linear or recurrent) from input to output
 * @param activations the activation kinds in use, in order ("sigmoid", "tanh", "relu", ...)
 * @param batchNorm true when the model normalizes activations (BatchNorm or LayerNorm)
 * @param residual true when the model has skip connections
 * @param recurrent "rnn", "lstm", "gru", or "" for a feed-forward model
 * @param init the weight initializer in use ("glorot", "he", "default", ...)
 * @param clipping the clipping transform in use, or "" for none
 * @param learningRate the base learning rate
 */
public record ModelFacts(int depth, List<String> activations, boolean batchNorm, boolean residual, String recurrent,
                         String init, String clipping, double learningRate) {
    public ModelFacts {
        activations = List.copyOf(activations);
    }

    /** Nothing known: remedies stay generic. */
    public static ModelFacts unknown() {
        return new ModelFacts(0, List.of(), false, false, "", "", "", Double.NaN);
    }

    /** Number of activations of the given kind. */
    public long count(String kind) {
        return activations.stream().filter(kind::equals).count();
    }

    /** True when any saturating activation (sigmoid, tanh) is used. */
    public boolean saturating() {
        return count("sigmoid") + count("tanh") > 0;
    }
}
