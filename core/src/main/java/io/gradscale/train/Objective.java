package io.gradscale.train;

import io.gradscale.autograd.Var;
import io.gradscale.data.Batch;
import io.gradscale.data.Task;
import io.gradscale.nn.CrossEntropyLoss;
import io.gradscale.nn.MSELoss;
import io.gradscale.tensor.Tensor;

/**
 * What training minimizes: a loss from the model's output and a batch, and (for classification) the
 * accuracy of an output.
 */
public interface Objective {
    /** The scalar loss of {@code output} on {@code batch}. */
    Var loss(Var output, Batch batch);

    /** Share of correctly classified examples (or time steps), or {@code NaN} for regression. */
    double accuracy(Tensor output, Batch batch);

    /** Mean squared error for regression, cross-entropy from logits for (sequence) classification. */
    static Objective forTask(Task task) {
        return forTask(task, ClassLoss.DEFAULT);
    }

    /**
     * How a classification loss reads the model's outputs.
     *
     * <p>{@link #LOGITS}: cross-entropy from logits by the log-sum-exp ({@code log softmax(z)_y = z_y - max z -
     * log sum exp(z - max z)}), finite for any finite logits. {@link #PROBABILITIES}: the textbook formula written
     * literally, the outputs turned into probabilities by a softmax and the label's probability's logarithm taken,
     * {@code -log(softmax(z)_y)}: in float32 a probability underflows to exactly 0 once the label's logit is about 104
     * below the largest, and {@code log(0) = -infinity} makes the loss infinite and its gradient NaN. It is offered
     * because it is how the "log of zero" bug happens in practice (a hand-written negative log-likelihood on a softmax
     * output), for the doctor's benchmark and for a user to see it caught; the default is the stable form.
     */
    enum ClassLoss {
        LOGITS, PROBABILITIES;

        /** Cross-entropy from logits. */
        public static final ClassLoss DEFAULT = LOGITS;
    }

    /** Mean squared error for regression; for (sequence) classification the cross-entropy computed as {@code classLoss} says. */
    static Objective forTask(Task task, ClassLoss classLoss) {
        if (task instanceof Task.Regression) {
            MSELoss mse = new MSELoss();
            return new Objective() {
                @Override
                public Var loss(Var output, Batch batch) {
                    Tensor t = batch.targets();
                    Var target = output.tape().constant(t.shape().equals(output.shape()) ? t : t.reshape(output.shape()));
                    return mse.apply(output, target);
                }

                @Override
                public double accuracy(Tensor output, Batch batch) {
                    return Double.NaN;
                }
            };
        }
        int classes = task instanceof Task.Classification c ? c.classes() : ((Task.SequenceClassification) task).classes();
        CrossEntropyLoss ce = new CrossEntropyLoss();
        return new Objective() {
            @Override
            public Var loss(Var output, Batch batch) {
                Var logits = output.reshape(-1, classes);
                return classLoss == ClassLoss.LOGITS ? ce.apply(logits, batch.labels())
                        : logits.softmax().log().gatherLast(batch.labels()).neg().mean();
            }

            @Override
            public double accuracy(Tensor output, Batch batch) {
                int[] labels = batch.labels();
                float[] o = output.data();
                int correct = 0;
                for (int r = 0; r < labels.length; r++) {
                    int best = 0;
                    for (int j = 1; j < classes; j++) {
                        if (o[r * classes + j] > o[r * classes + best]) {
                            best = j;
                        }
                    }
                    correct += best == labels[r] ? 1 : 0;
                }
                return labels.length == 0 ? Double.NaN : (double) correct / labels.length;
            }
        };
    }
}
