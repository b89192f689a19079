package io.gradscale.cli.experiments;

import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.Transforms;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The gradient clippers side by side on one unstable task: the IRNN of {@link AddingIrnn} on the adding
 * problem by SGD with momentum at learning rate {@value #LR}, where unclipped training fails on most seeds
 * (see {@link ExplodingRnn}), with the same seeds and data for every clipper.
 *
 * <ul>
 *   <li>none;</li>
 *   <li>by value: every element clamped to {@code [-c, c]} (changes the gradient's direction);</li>
 *   <li>by norm: each gradient tensor rescaled to norm at most {@code c} on its own (Keras's {@code clipnorm});</li>
 *   <li>by global norm: all gradients together rescaled to norm at most {@code c}, direction kept (Pascanu,
 *       Mikolov and Bengio, ICML 2013; PyTorch's {@code clip_grad_norm_});</li>
 *   <li>AGC: each unit's gradient limited to {@code lambda} times its weight norm (Brock, De, Smith and
 *       Simonyan, ICML 2021), the read-out layer left out as the paper advises;</li>
 *   <li>AutoClip: the global norm clipped at the 10th percentile of the norms seen so far (Seetharaman et
 *       al., MLSP 2020);</li>
 *   <li>ZClip: the global norm clipped when its z-score against moving statistics exceeds 2.5 (Kumar et al. 2025).</li>
 * </ul>
 *
 * <p>Reports per clipper, over the seeds: the successes (test MSE below 0.1 x the baseline 1/6), each
 * seed's test MSE, the runs that diverged, the runs whose recurrent units all died (zero gradient at the
 * end), the share of steps the clipper acted on, the steps skipped (the non-finite guard every optimizer
 * carries skips a step whose gradient is NaN or infinite), the largest raw gradient norm and the doctor's
 * findings.
 */
public final class ClippersCompared implements Experiment {
    /** The experiment's name. */
    public static final String NAME = "clippers";
    /** SGD learning rate, {@link ExplodingRnn}'s: unclipped training fails on most seeds. */
    static final double LR = 0.03;
    /** Threshold of clipping by value. */
    static final double VALUE_CLIP = 0.1;
    /** Threshold of clipping by per-tensor and by global norm. */
    static final double NORM_CLIP = 1.0;
    /** AGC's ratio lambda (the paper uses 0.01 to 0.16). */
    static final double AGC_LAMBDA = 0.1;
    /** Seeds per clipper in the normal budget. */
    static final int SEEDS = 3;
    /** Seeds per clipper in the quick budget. */
    static final int QUICK_SEEDS = 1;
    /** Epochs (32 steps each) in the normal budget. */
    static final int EPOCHS = 32;
    /** Epochs in the quick budget. */
    static final int QUICK_EPOCHS = 16;

    /** One clipper. */
    record Clipper(String label, String description, Supplier<GradientTransform<?>> transform) {
    }

    static List<Clipper> clippers() {
        return List.of(new Clipper("none", "", () -> null),
                new Clipper("value", "clip_value(" + VALUE_CLIP + ")", () -> Transforms.clipByValue(VALUE_CLIP)),
                new Clipper("norm", "clip_tensor_norm(" + NORM_CLIP + ")", () -> Transforms.clipByTensorNorm(NORM_CLIP, Transforms.L2)),
                new Clipper("global-norm", "clip_global_norm(" + NORM_CLIP + ")", () -> Transforms.clipByGlobalNorm(NORM_CLIP)),
                new Clipper("agc", "agc(" + AGC_LAMBDA + ", head excluded)",
                        () -> Transforms.adaptiveClip(AGC_LAMBDA, ref -> ref.layer().equals("head"))),
                new Clipper("autoclip", "autoclip(p=10)", Transforms::autoClip),
                new Clipper("zclip", "zclip(alpha=0.97, z=2.5)", Transforms::zClip));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String title() {
        return "The clippers compared on one unstable task: none, value, norm, global norm, AGC, AutoClip, ZClip";
    }

    @Override
    public String description() {
        return "An IRNN on the adding problem (" + AddingIrnn.SEQUENCE + " steps), trained by SGD with momentum (lr " + LR
                + ") where unclipped training fails on most seeds, with the same seeds and data for each clipper: none, by value ("
                + VALUE_CLIP + "), by per-tensor norm (" + NORM_CLIP + "), by global norm (" + NORM_CLIP + "; Pascanu et al. 2013),"
                + " AGC (" + AGC_LAMBDA + "; Brock et al. 2021), AutoClip (Seetharaman et al. 2020) and ZClip (Kumar et al. 2025). Reports the successes,"
                + " test MSEs, divergences, dead recurrent layers, steps clipped and skipped, the largest gradient norm and the"
                + " doctor's findings.";
    }

    @Override
    public ExperimentResult run(ExperimentContext ctx) {
        int epochs = ctx.quick() ? QUICK_EPOCHS : EPOCHS;
        int seeds = ctx.quick() ? QUICK_SEEDS : SEEDS;
        List<RunOutcome> runs = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        List<String> summary = new ArrayList<>();
        for (Clipper c : clippers()) {
            List<AddingIrnn.Trained> trained = new ArrayList<>();
            for (int s = 0; s < seeds; s++) {
                long seed = ctx.seed() + s;
                trained.add(AddingIrnn.train(ctx, NAME, c.label() + "-seed" + seed, c.description(), c.transform(), LR, epochs, seed));
                runs.add(trained.get(s).outcome());
            }
            AddingIrnn.Summary sum = AddingIrnn.summarize(trained);
            summary.add(c.label() + " " + sum.successRate());
            boolean clips = c.transform().get() != null;
            rows.add(List.of(c.label(), clips ? c.description() : "-", sum.successRate(), Cells.series(sum.testMse()),
                    Integer.toString(sum.diverged()), Integer.toString(sum.dead()),
                    clips ? Cells.fixed(100 * sum.clippedShare(), 1) + "%" : "-", Long.toString(sum.skipped()),
                    Cells.sci(sum.maxGradNorm()), sum.flags()));
        }
        String conclusion = "Learning rate " + LR + ", " + epochs + " epochs, "
                + (seeds == 1 ? "seed " + ctx.seed() : "seeds " + ctx.seed() + " to " + (ctx.seed() + seeds - 1))
                + "; success = test MSE below " + AddingIrnn.SUCCESS_FRACTION + " x the baseline 1/6. Successes: "
                + String.join(", ", summary) + ".";
        return new ExperimentResult(NAME, title(), List.of("clipper", "setting", "successes", "test MSE per seed", "diverged",
                "dead RNN", "steps clipped", "skipped", "max grad norm", "doctor"), rows, conclusion, runs);
    }
}
