package io.gradscale.spark;

import io.gradscale.data.Dataset;
import io.gradscale.data.Task;
import io.gradscale.tensor.Shape;
import io.gradscale.tensor.Tensor;
import java.io.Serializable;
import java.util.List;

/**
 * What every example of a distributed data set looks like: the shapes and the task, in a form that travels to
 * the executors ({@link Task} and {@link Shape} stay on the driver), and the rebuilding of an in-memory
 * {@link Dataset} from a list of examples there.
 *
 * @param exampleDims the shape of one example's features
 * @param targetDims the shape of one example's regression targets (null for classification)
 * @param classes the number of classes (0 for regression)
 * @param steps labels per example: 1 for classification, the sequence length for sequence classification, 0 for regression
 */
public record Layout(int[] exampleDims, int[] targetDims, int classes, int steps) implements Serializable {
    /** The layout of an in-memory data set's examples. */
    public static Layout of(Dataset d) {
        int[] ex = d.exampleShape().dims();
        return switch (d.task()) {
            case Task.Regression r -> new Layout(ex, d.targets().shape().without(0).dims(), 0, 0);
            case Task.Classification c -> new Layout(ex, null, c.classes(), 1);
            case Task.SequenceClassification s -> new Layout(ex, null, s.classes(), s.steps());
        };
    }

    public Task task() {
        if (classes == 0) {
            return new Task.Regression();
        }
        return steps == 1 ? new Task.Classification(classes) : new Task.SequenceClassification(classes, steps);
    }

    public Shape exampleShape() {
        return Shape.of(exampleDims);
    }

    /** Elements of one example's features. */
    public int featureSize() {
        return product(exampleDims);
    }

    /** The examples, in the given order, as an in-memory data set. */
    public Dataset toDataset(List<Example> rows) {
        int n = rows.size();
        int f = featureSize();
        float[] x = new float[n * f];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i).features(), 0, x, i * f, f);
        }
        Tensor features = Tensor.wrap(x, Shape.of(prepend(n, exampleDims)));
        if (classes == 0) {
            int t = product(targetDims);
            float[] y = new float[n * t];
            for (int i = 0; i < n; i++) {
                System.arraycopy(rows.get(i).targets(), 0, y, i * t, t);
            }
            return Dataset.regression(features, Tensor.wrap(y, Shape.of(prepend(n, targetDims))));
        }
        int[] labels = new int[n * steps];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i).labels(), 0, labels, i * steps, steps);
        }
        return steps == 1 ? Dataset.classification(features, labels, classes)
                : Dataset.sequenceClassification(features, labels, classes, steps);
    }

    /** Example {@code i} of an in-memory data set, under index {@code i}. */
    public Example example(Dataset d, int i) {
        int f = featureSize();
        float[] x = new float[f];
        System.arraycopy(d.features().data(), i * f, x, 0, f);
        if (classes == 0) {
            int t = product(targetDims);
            float[] y = new float[t];
            System.arraycopy(d.targets().data(), i * t, y, 0, t);
            return new Example(i, x, y, null);
        }
        int[] l = new int[steps];
        System.arraycopy(d.labels(), i * steps, l, 0, steps);
        return new Example(i, x, null, l);
    }

    private static int[] prepend(int n, int[] dims) {
        int[] out = new int[dims.length + 1];
        out[0] = n;
        System.arraycopy(dims, 0, out, 1, dims.length);
        return out;
    }

    static int product(int[] dims) {
        int p = 1;
        for (int d : dims) {
            p = Math.multiplyExact(p, d);
        }
        return p;
    }
}
