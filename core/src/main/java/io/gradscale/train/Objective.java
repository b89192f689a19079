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
                return ce.apply(output.reshape(-1, classes), batch.labels());
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
