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
 * @param logOfProbabilities true when the loss takes the logarithm of probabilities the model computed,
 *     {@code -log(softmax(z)_y)} written literally ({@code training.loss: probabilities}) rather than from the logits
 *     by the log-sum-exp: a probability that underflows to 0 then gives {@code log(0)}
 */
public record ModelFacts(int depth, List<String> activations, boolean batchNorm, boolean residual, String recurrent,
                         String init, String clipping, double learningRate, boolean logOfProbabilities) {
    public ModelFacts {
        activations = List.copyOf(activations);
    }

    /** The facts of a run whose loss is computed from the logits (or is no log-likelihood at all). */
    public ModelFacts(int depth, List<String> activations, boolean batchNorm, boolean residual, String recurrent,
                      String init, String clipping, double learningRate) {
        this(depth, activations, batchNorm, residual, recurrent, init, clipping, learningRate, false);
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
