package io.gradscale.spark;

import io.gradscale.autograd.Tape;
import io.gradscale.data.Batch;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where each micro-batch's random draws (dropout masks) begin in the streams one machine draws from, so that an
 * executor draws exactly the numbers the local trainer draws for the same examples.
 *
 * <p>On one machine a module's generator ({@link Module#namedRngs}) is drawn from pass after pass, in micro-batch
 * order: a step starts at state {@code s}, and micro-batch {@code i}, which begins at example {@code e_i} of the
 * step's batch, starts {@code e_i d} draws later, where {@code d} is the draws per example (a dropout layer draws one
 * number per element of its input: a fixed count per example). The generator is SplitMix64, whose state grows by a
 * constant per draw ({@link Rng#skip}), so an executor puts its copy of the generator at {@code s + e_i d} before
 * micro-batch {@code i}'s pass, in O(1), whichever partition holds it; after the pass it checks that the pass drew
 * exactly {@code n_i d} numbers. The driver moves its own generators by {@code n d} per step, to where one machine's
 * are after the step, so checkpoints and resumed runs carry on as locally.
 *
 * @param paths the generators' paths in the model ({@link Module#namedRngs})
 * @param start each generator's state at the step's start (the driver's)
 * @param perExample each generator's draws per example of a training pass
 */
record Draws(String[] paths, long[] start, long[] perExample) implements Serializable {
    /**
     * The draws per example of each of {@code model}'s generators, measured by one training-mode forward pass of
     * {@code probe} on a throw-away copy of the model (so nothing of the run moves).
     */
    static long[] measure(Module copy, Batch probe) {
        List<Rng> rngs = new ArrayList<>(copy.namedRngs().values());
        long[] before = new long[rngs.size()];
        for (int i = 0; i < before.length; i++) {
            before[i] = rngs.get(i).state();
        }
        copy.train();
        copy.forward(Tape.noGrad(Engine.serial()).constant(probe.inputs()));
        long[] d = new long[before.length];
        for (int i = 0; i < d.length; i++) {
            long drawn = Rng.drawsBetween(before[i], rngs.get(i).state());
            if (drawn % probe.size() != 0) {
                throw new IllegalArgumentException("the model's generator '" + new ArrayList<>(copy.namedRngs().keySet()).get(i)
                        + "' drew " + drawn + " numbers for " + probe.size() + " examples: on Spark a training pass must draw"
                        + " the same count for each example (dropout does), so that each micro-batch's draws can be placed"
                        + " in one machine's stream; train this model in one JVM");
            }
            d[i] = drawn / probe.size();
        }
        for (int i = 0; i < before.length; i++) {
            rngs.get(i).setState(before[i]);
        }
        return d;
    }

    /** The draws of a step whose generators are at {@code model}'s states now. */
    static Draws at(Map<String, Rng> rngs, long[] perExample) {
        String[] paths = rngs.keySet().toArray(new String[0]);
        long[] start = new long[paths.length];
        for (int i = 0; i < paths.length; i++) {
            start[i] = rngs.get(paths[i]).state();
        }
        return new Draws(paths, start, perExample);
    }

    /** Puts {@code model}'s generators where one machine's are after the step's first {@code examples} examples. */
    void position(Module model, long examples) {
        Map<String, Rng> rngs = model.namedRngs();
        for (int i = 0; i < paths.length; i++) {
            Rng r = rngs.get(paths[i]);
            if (r == null) {
                throw new IllegalStateException("the executor's model has no generator '" + paths[i] + "' (it has "
                        + rngs.keySet() + "): the model factory must build the driver's architecture");
            }
            r.setState(start[i]);
            r.skip(examples * perExample[i]);
        }
    }

    /**
     * Checks that micro-batch {@code micro}'s pass left {@code model}'s generators at the step's example {@code end}, as
     * one machine's would be.
     */
    void check(Module model, long begin, long end, int micro) {
        Map<String, Rng> rngs = model.namedRngs();
        for (int i = 0; i < paths.length; i++) {
            long drawn = Rng.drawsBetween(start[i], rngs.get(paths[i]).state()) - begin * perExample[i];
            if (drawn != (end - begin) * perExample[i]) {
                throw new IllegalStateException("generator '" + paths[i] + "' drew " + drawn + " numbers for the " + (end - begin)
                        + " examples of micro-batch " + micro + ", not " + perExample[i] + " per example as measured: on Spark"
                        + " a training pass must draw the same count for each example; train this model in one JVM");
            }
        }
    }
}
