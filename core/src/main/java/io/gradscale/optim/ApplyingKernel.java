package io.gradscale.optim;

import io.gradscale.transform.StagedUpdate;
import io.gradscale.transform.Updates;

/**
 * An optimizer's per-tensor work as one kernel run over ranges of each tensor (its {@link io.gradscale.tensor.Kernels}
 * method: {@code adam}, {@code momentum}, {@code rmsprop}, {@code adagrad}, {@code adadelta}, {@code nadam}), which
 * can add the update to the weights in the same pass
 * ({@link StagedUpdate.Applying}). The kernel reads the gradient from the update's source (the gradient itself
 * when nothing before rewrote it), writes the update only when it is kept, and runs on ranges of
 * {@link StateTensors#CHUNK} elements, split among the engine's threads (elementwise, so the bits do not
 * depend on the split).
 */
final class ApplyingKernel<S> implements StagedUpdate.Applying<S> {
    /** The kernel over {@code [off, off+n)} of tensor {@code i}: gradient {@code g}, update {@code u} and weights {@code w} (either may be null). */
    interface Range {
        void run(int i, float[] g, float[] u, float[] w, int off, int n, float f);
    }

    private final S next;
    private final Updates updates;
    private final Range kernel;

    ApplyingKernel(S next, Updates updates, Range kernel) {
        this.next = next;
        this.updates = updates;
        this.kernel = kernel;
    }

    @Override
    public void tensor(int i) {
        tensorInto(i, null, 1f, true);
    }

    @Override
    public void tensorInto(int i, float[] w, float f, boolean keep) {
        float[] from = updates.rewriteSource(i);
        float[] g = updates.get(i).data(); // its length; nothing is copied once rewriteSource has taken the gradient
        float[] out = keep ? g : null;
        updates.engine().parallel().forOwnedRange(g.length, StateTensors.CHUNK,
                (lo, hi) -> kernel.run(i, from, out, w, lo, hi - lo, f));
        if (!keep) {
            updates.discard(i);
        }
    }

    @Override
    public S finish() {
        return next;
    }
}
