package io.gradscale.cli;

import io.gradscale.train.EvalRecord;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TrainingListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A console progress bar (the {@code me.tongfei:progressbar} library) showing epoch, loss, gradient
 * norm and the time left. Created only when standard output is a terminal, so logs and pipes stay clean.
 */
final class ProgressListener implements TrainingListener {
    private final ProgressBar bar;
    private int epoch;
    private long skipped;
    private String verdict = "";

    private ProgressListener(ProgressBar bar) {
        this.bar = bar;
    }

    /** A progress bar over {@code totalSteps}, or null when output is not a terminal. */
    static ProgressListener forTerminal(String task, long totalSteps) {
        if (System.console() == null || System.getenv("GRADSCALE_NO_PROGRESS") != null) {
            return null;
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(200).showSpeed().build();
        return new ProgressListener(bar);
    }

    @Override
    public void onStep(StepRecord r) {
        bar.stepTo(r.step() + 1);
        skipped += r.skipped() ? 1 : 0;
        bar.setExtraMessage(message(r, skipped) + verdict);
        epoch = r.epoch();
    }

    /** The bar's figures after step {@code r}, {@code skipped} steps skipped so far (shown once there is one). */
    static String message(StepRecord r, long skipped) {
        Double eps = r.transforms().get(io.gradscale.train.Trainer.EPSILON_METRIC);
        return String.format(java.util.Locale.ROOT, "epoch %d  loss %.4g  |g| %.3g", r.epoch() + 1, r.loss(), r.gradNorm())
                + (eps == null ? "" : String.format(java.util.Locale.ROOT, "  ε %.3g", eps))
                + (skipped > 0 ? "  skipped " + skipped : "");
    }

    /** Shows the live doctor's current headline after the figures, until it changes. */
    void showVerdict(String headline) {
        verdict = "  doctor: " + headline;
    }

    @Override
    public void onEval(EvalRecord r) {
        if (Double.isFinite(r.valLoss())) {
            bar.setExtraMessage(String.format(java.util.Locale.ROOT, "epoch %d  val loss %.4g", epoch + 1, r.valLoss())
                    + (skipped > 0 ? "  skipped " + skipped : "") + verdict);
        }
    }

    @Override
    public void onEnd() {
        bar.close();
    }
}
