package io.gradscale.cli.config;

import io.gradscale.data.Dataset;
import io.gradscale.data.Task;
import io.gradscale.tensor.Tensor;

/**
 * What the model section is built for, as the training data sets it: the shape of one example, how its axes
 * are read, the number of outputs, and whether there is a label per time step. Recorded with a run
 * ({@code model.json}), so that {@code evaluate} and {@code predict} rebuild the same network without the
 * training data ({@link #standIn}).
 *
 * @param example the shape of one example (without the example axis)
 * @param layout how the example's axes are read
 * @param outputs classes, or regression targets per example
 * @param everyStep a label per time step (sequence classification)
 */
public record DataShape(int[] example, DataBuilder.Layout layout, int outputs, boolean everyStep) {
    /** The shape the examples and targets of {@code data}'s training set call for. */
    public static DataShape of(DataBuilder.Built data) {
        Dataset train = data.train();
        int outputs = switch (train.task()) {
            case Task.Classification cl -> cl.classes();
            case Task.SequenceClassification sc -> sc.classes();
            case Task.Regression r -> Math.max(1, train.targets().size() / train.size());
        };
        return new DataShape(train.exampleShape().dims(), data.layout(), outputs, train.task() instanceof Task.SequenceClassification);
    }

    /** Features per example (the product of the example's axes). */
    public int features() {
        int p = 1;
        for (int d : example) {
            p *= d;
        }
        return p;
    }

    /**
     * One all-zero example of this shape for {@code task}, as built data: what {@link ModelBuilder#build} reads
     * (the example's shape and layout) to build the same network it built for the training data.
     */
    public DataBuilder.Built standIn(Task task) {
        int[] dims = new int[example.length + 1];
        dims[0] = 1;
        System.arraycopy(example, 0, dims, 1, example.length);
        Tensor x = Tensor.zeros(dims);
        Dataset one = switch (task) {
            case Task.Classification c -> Dataset.classification(x, new int[1], c.classes());
            case Task.SequenceClassification c -> Dataset.sequenceClassification(x, new int[c.steps()], c.classes(), c.steps());
            case Task.Regression r -> Dataset.regression(x, Tensor.zeros(1, outputs));
        };
        return new DataBuilder.Built(one, null, null, layout, "");
    }
}
