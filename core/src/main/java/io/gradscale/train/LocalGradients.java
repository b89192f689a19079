package io.gradscale.train;

import io.gradscale.autograd.PerExample;
import io.gradscale.data.Dataset;
import java.util.Arrays;
import java.util.Map;

/**
 * A step's gradient computed in this JVM: with one micro-batch, one forward and backward pass over the whole
 * batch; with several, gradient accumulation, each micro-batch's gradient sum taken out of the model and the
 * sums added in the fixed tree of {@link MicroBatches} (which a cluster reproduces bit for bit). With per-example
 * clipping each micro-batch's pass clips its own examples, so the tree adds clipped sums.
 */
public final class LocalGradients implements GradientSource {
    private final MicroBatchPass pass;
    private final Dataset train;

    public LocalGradients(MicroBatchPass pass, Dataset train) {
        this.pass = pass;
        this.train = train;
    }

    @Override
    public int size() {
        return train.size();
    }

    @Override
    public StepResult compute(StepBatch b) {
        int n = b.size();
        int k = b.count();
        double loss;
        PerExample pe = null;
        if (k == 1) {
            loss = pass.backward(train.batch(Arrays.copyOfRange(b.permutation(), b.from(), b.to())), n, b.lossScale(), b.clipping());
            pe = pass.takePerExample();
        } else {
            GradientSum sum = MicroBatches.evaluate(new MicroBatches.Node(0, k), i -> {
                int lo = b.from() + MicroBatches.start(n, k, i);
                int hi = b.from() + MicroBatches.start(n, k, i + 1);
                double l = pass.backward(train.batch(Arrays.copyOfRange(b.permutation(), lo, hi)), n, b.lossScale(), b.clipping());
                return pass.take(l);
            }, GradientSum::add);
            pass.load(sum);
            loss = sum.loss();
            pe = b.clipping() == null ? null : PerExample.gathered(b.clipping(), sum.norms(), sum.weights());
        }
        return new StepResult(loss, b.probeActivations() ? pass.activations() : Map.of(), pe);
    }
}
