package io.gradscale.cli.experiments;

import io.gradscale.data.tasks.AddingProblem;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Exploding gradients in a recurrent network, and clipping as the remedy (Pascanu, Mikolov and Bengio,
 * "On the difficulty of training recurrent neural networks", ICML 2013).
 *
 * <p>The IRNN of {@link AddingIrnn} (ReLU Elman network, identity recurrent init; Le, Jaitly and Hinton
 * 2015) learns the adding problem (Hochreiter and Schmidhuber 1997) by SGD with momentum, over several
 * seeds, in three variants: no clipping, clipping each gradient element to
 * {@code [-}{@value #VALUE_CLIP}{@code , }{@value #VALUE_CLIP}{@code ]}, and clipping the global L2 norm
 * to {@value #GLOBAL_NORM} (PyTorch's {@code clip_grad_norm_}, Pascanu et al.'s remedy). Without
 * clipping, on most seeds the gradient norm jumps to 30-40 within the first few steps (the identity
 * recurrence passes the error back undamped through every step, and ReLU does not saturate to stop it),
 * and the step it causes leaves every recurrent unit dead: the recurrent layer's gradient is exactly zero
 * from then on and the network predicts a constant, at the baseline loss. Clipping the global norm keeps
 * the step's direction and bounds its length; clipping by value bounds each element and so turns the
 * step, and learns slowly.
 *
 * <p>Reports per variant: successes over the seeds (test MSE below 0.1 x the baseline 1/6 of predicting
 * 1), each seed's test MSE, the runs that diverged, the runs whose recurrent layer ended with a zero
 * gradient (dead), the largest gradient norm seen, the share of steps the clipper acted on, and what the
 * gradient doctor flagged.
 */
public final class ExplodingRnn implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "exploding-rnn";
    /** Threshold of clipping by value. */
    static final double VALUE_CLIP = 0.1;
    /** Threshold of clipping by global norm. */
    static final double GLOBAL_NORM = 1.0;
    /** SGD learning rate: large enough for the unclipped recurrence to blow up. */
    static final double LR = 0.03;
    /** Epochs of training (32 steps each). */
    static final int EPOCHS = 32;
    /** Seeds per variant in the normal budget. */
    static final int SEEDS = 5;
    /** Seeds per variant in the quick budget. */
    static final int QUICK_SEEDS = 2;

    /** One way of treating the gradients. */
    record Variant(String label, String clipping, Supplier<GradientTransform<?>> clipper) {
    }

    static List<Variant> variants() {
        return List.of(new Variant("no-clipping", "", () -> null),
                new Variant("clip-value", "clip_value(" + VALUE_CLIP + ")", () -> Transforms.clipByValue(VALUE_CLIP)),
                new Variant("clip-global-norm", "clip_global_norm(" + GLOBAL_NORM + ")", () -> Transforms.clipByGlobalNorm(GLOBAL_NORM)));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "Exploding gradients in a recurrent network: no clipping, clipping by value, clipping by global norm";
    }

    @Override
    public String description() {
        return "An IRNN (ReLU RNN, identity recurrent weights; Le et al. 2015) learns the adding problem (Hochreiter and"
                + " Schmidhuber 1997, " + AddingIrnn.SEQUENCE + " steps) by SGD with momentum, lr " + LR + ", over several seeds:"
                + " without clipping, clipping by value (" + VALUE_CLIP + ") and clipping by global norm (" + GLOBAL_NORM
                + "; Pascanu, Mikolov and Bengio 2013). Reports the success rate (test MSE < " + AddingIrnn.SUCCESS_FRACTION
                + " x the baseline 1/6), the test MSE per seed, divergences, the largest gradient norm and the doctor's findings.";
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int seeds = ctx.quick() ? QUICK_SEEDS : SEEDS;
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        int[] successesByVariant = new int[variants().size()];
        double largestUnclipped = 0;
        for (int v = 0; v < variants().size(); v++) {
            Variant variant = variants().get(v);
            List<AddingIrnn.Trained> trained = new ArrayList<>();
            for (int s = 0; s < seeds; s++) {
                long seed = ctx.seed() + s;
                trained.add(AddingIrnn.train(ctx, NAME, variant.label() + "-seed" + seed, variant.clipping(), variant.clipper(), LR,
                        EPOCHS, seed));
                runs.add(trained.get(s).outcome());
            }
            AddingIrnn.Summary sum = AddingIrnn.summarize(trained);
            successesByVariant[v] = sum.successes();
            boolean clips = variant.clipper().get() != null;
            if (!clips) {
                largestUnclipped = sum.maxGradNorm();
            }
            rows.add(List.of(variant.label(), sum.successRate(), Cells.series(sum.testMse()), Integer.toString(sum.diverged()),
                    Integer.toString(sum.dead()), Cells.sci(sum.maxGradNorm()),
                    clips ? Cells.fixed(100 * sum.clippedShare(), 1) + "%" : "-", sum.flags()));
        }
        String conclusion = "Success = test MSE below " + AddingIrnn.SUCCESS_FRACTION + " x the baseline "
                + Cells.fixed(AddingProblem.BASELINE_MSE, 4) + ". Clipping by global norm succeeded on " + successesByVariant[2] + "/"
                + seeds + " seeds, clipping by value on " + successesByVariant[1] + "/" + seeds + ", no clipping on "
                + successesByVariant[0] + "/" + seeds + " (its gradient norm reached " + Cells.sci(largestUnclipped) + ").";
        return new ExperimentResult(NAME, title(), List.of("variant", "successes", "test MSE per seed", "diverged",
                "dead RNN", "max grad norm", "steps clipped", "doctor"), rows, conclusion, runs);
    }
}
