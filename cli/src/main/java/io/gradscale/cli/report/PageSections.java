package io.gradscale.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradscale.cli.remedy.TrialResults;
import io.gradscale.diag.ConditionEpisode;
import io.gradscale.diag.Verdict;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TestRecord;
import io.gradscale.train.Trainer;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The parts of the report drawn as plain HTML: provenance, summary, verdicts, events, chart containers. */
final class PageSections {
    private PageSections() {
    }

    static String provenance(Provenance p, ObjectMapper json) {
        String config;
        try {
            config = p.config() == null ? "(none recorded)" : json.writerWithDefaultPrettyPrinter().writeValueAsString(p.config());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print the run's config: " + e.getMessage(), e);
        }
        StringBuilder b = new StringBuilder("<section id=\"provenance\"><h2>Provenance</h2><table class=\"kv\">");
        row(b, "seed", Long.toString(p.seed()));
        row(b, "gradscale", p.gradscaleVersion());
        row(b, "java", p.javaVersion());
        row(b, "machine", p.machine());
        row(b, "cpus / threads", p.cpus() + " / " + p.threads());
        row(b, "kernels", p.kernels());
        row(b, "started", p.startedAt());
        b.append("</table><details open><summary>config</summary><pre id=\"config\">")
                .append(Html.text(config)).append("</pre></details></section>\n");
        return b.toString();
    }

    /** A failed or interrupted run's notice at the top of the page; empty for a completed one. */
    static String status(RunStatus status) {
        if (status == null || RunStatus.COMPLETED.equals(status.status())) {
            return "";
        }
        String text = status.failed() ? "This run failed after " + status.steps() + " steps: " + status.message()
                : "This run did not finish: its status is still '" + status.status() + "' (still running, or the process was killed).";
        return "<section id=\"run-status\" class=\"verdict sev-critical\"><h2>Run " + Html.text(status.status()) + "</h2><p>"
                + Html.text(text) + "</p></section>\n";
    }

    /** The guard's running count of non-finite gradient elements it set to zero (policy zero). */
    static final String ZEROED_TOTAL = "guard.zeroed_total";

    static String summary(MetricsLog.Contents log, RunStatus status) {
        return summary(StepTally.of(log.steps()), log.evals(), log.tests(), status);
    }

    /**
     * The summary table: the steps as {@code steps} counted them, the best validation figures of {@code evals}, the
     * test scores, and (for a finished run) its status and times.
     */
    static String summary(StepTally steps, List<EvalRecord> evals, List<TestRecord> tests, RunStatus status) {
        StringBuilder b = new StringBuilder("<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">");
        if (status != null) {
            row(b, "status", status.status() + (status.message().isEmpty() ? "" : ": " + status.message()));
        }
        if (steps.count() == 0) {
            row(b, "steps logged", "0");
        } else {
            row(b, "steps logged", steps.count() + " (steps " + steps.firstStep() + " to " + steps.lastStep()
                    + ", epochs " + steps.firstEpoch() + " to " + steps.lastEpoch() + ")");
            if (steps.lastFiniteLossStep() >= 0) {
                row(b, "last finite loss", fmt(steps.lastFiniteLoss()) + " at step " + steps.lastFiniteLossStep());
            }
            if (status != null && status.steps() > 0) {
                row(b, "training time", fmt(status.trainingSeconds()) + " s (from the first step's start to the last step's end)");
                row(b, "first step (warm-up)", fmt(status.firstStepSeconds()) + " s");
                if (Double.isFinite(status.examplesPerSecond())) {
                    row(b, "throughput after the first step", String.format(Locale.ROOT, "%.0f examples/s", status.examplesPerSecond()));
                }
                row(b, "process time", fmt(status.processSeconds()) + " s (reading data, building the model, training)");
            } else {
                row(b, "training time to the last logged step", fmt(steps.lastElapsedMillis() / 1000) + " s");
            }
            row(b, "clipped steps", steps.clipped() + " of " + steps.count() + " logged ("
                    + String.format(Locale.ROOT, "%.1f", 100.0 * steps.clipped() / steps.count()) + " %)");
            row(b, "skipped steps", Long.toString(steps.skipped()));
            if (steps.zeroed() > 0) {
                row(b, "zeroed gradient elements", String.format(Locale.ROOT, "%.0f", steps.zeroed()));
            }
            row(b, "non-finite losses", Long.toString(steps.nonFinite()));
            if (steps.epsilon() != null) {
                row(b, "privacy spent", "ε = " + fmt(steps.epsilon()) + " at δ = " + fmt(steps.delta())
                        + " after step " + steps.lastStep() + " (Rényi-DP accountant, Poisson-subsampled Gaussian mechanism)");
            }
        }
        evals.stream().filter(e -> Double.isFinite(e.valLoss())).min(Comparator.comparingDouble(EvalRecord::valLoss))
                .ifPresent(e -> row(b, "best validation loss", fmt(e.valLoss()) + " at epoch " + e.epoch()));
        evals.stream().filter(e -> Double.isFinite(e.valAccuracy()))
                .max(Comparator.comparingDouble(EvalRecord::valAccuracy))
                .ifPresent(e -> row(b, "best validation accuracy", String.format(Locale.ROOT, "%.2f", 100 * e.valAccuracy()) + " % at epoch " + e.epoch()));
        if (!evals.isEmpty() && evals.stream().noneMatch(EvalRecord::validated)) {
            row(b, "validation", "none (the run had no validation data)");
        }
        for (TestRecord t : tests) {
            String weights = t.weights() + " weights, from step " + t.step() + "; " + t.examples() + " examples";
            row(b, "test loss", fmt(t.loss()) + " (" + weights + ")");
            if (Double.isFinite(t.accuracy())) {
                row(b, "test accuracy", String.format(Locale.ROOT, "%.2f", 100 * t.accuracy()) + " %");
            }
        }
        return b.append("</table></section>\n").toString();
    }

    /** Verdicts, most severe first; {@code null} means the run has no {@code diagnosis.json}. */
    static String verdicts(List<Verdict> verdicts) {
        StringBuilder b = new StringBuilder("<section id=\"verdicts\"><h2>Diagnosis</h2>");
        if (verdicts == null) {
            b.append("<p class=\"muted\">No diagnosis was recorded for this run (no diagnosis.json).</p>");
        } else if (verdicts.isEmpty()) {
            b.append("<p class=\"muted\">The gradient doctor found nothing to report.</p>");
        }
        if (verdicts != null) {
            verdicts.stream().sorted(Comparator.comparing(Verdict::severity).reversed()).forEach(v -> verdict(b, v));
        }
        return b.append("</section>\n").toString();
    }

    private static void verdict(StringBuilder b, Verdict v) {
        String sev = v.severity().name().toLowerCase(Locale.ROOT);
        b.append("<article class=\"verdict sev-").append(sev).append("\"><h3><span class=\"badge sev-").append(sev)
                .append("\">").append(v.severity().name()).append("</span> ").append(Html.text(v.title()))
                .append(" <span class=\"detector\">").append(Html.text(v.detector())).append("</span></h3>");
        list(b, "Evidence", "ul", v.evidence());
        list(b, "Remedies", "ol", v.remedies());
        b.append("</article>");
    }

    private static void list(StringBuilder b, String heading, String tag, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        b.append("<h4>").append(heading).append("</h4><").append(tag).append('>');
        items.forEach(i -> b.append("<li>").append(Html.text(i)).append("</li>"));
        b.append("</").append(tag).append('>');
    }

    /** The live doctor's condition episodes: which detector warned from which step to which. */
    static String conditions(List<ConditionEpisode> episodes) {
        StringBuilder b = new StringBuilder("<section id=\"conditions\"><h2>Conditions while training</h2>");
        if (episodes.isEmpty()) {
            return b.append("<p class=\"muted\">The live doctor recorded no warning or critical condition.</p></section>\n")
                    .toString();
        }
        b.append("<table class=\"events\"><thead><tr><th>condition</th><th>worst</th><th>from step</th><th>to step</th>")
                .append("<th>verdict</th></tr></thead><tbody>");
        for (ConditionEpisode e : episodes) {
            String sev = e.worst().name().toLowerCase(Locale.ROOT);
            b.append("<tr><td><code>").append(Html.text(e.condition())).append("</code></td><td><span class=\"badge sev-")
                    .append(sev).append("\">").append(e.worst().name()).append("</span></td><td class=\"num\">").append(e.began())
                    .append("</td><td class=\"num\">").append(e.open() ? "end" : Long.toString(e.ended())).append("</td><td>")
                    .append(Html.text(e.title())).append("</td></tr>");
        }
        return b.append("</tbody></table></section>\n").toString();
    }

    /** The remedies tried, side by side with the configuration as given, ranked by their effect on the loss. */
    static String remedies(TrialResults r) {
        StringBuilder b = new StringBuilder("<section id=\"remedies\"><h2>Remedies tried: before and after</h2>");
        b.append("<p class=\"hint\">Each remedy is a patch to the configuration, probed for ").append(r.steps())
                .append(" steps on the same seeds (").append(Html.text(r.seeds().toString()))
                .append(") as the configuration as given; ranked by the loss after the probe (mean over the seeds).")
                .append(r.best() == null ? " No remedy lowered it; no remedied.yaml was written."
                        : " The best, <code>" + Html.text(r.best()) + "</code>, is in remedied.yaml next to this report.")
                .append("</p><div class=\"scroll\"><table class=\"events remedies\"><thead><tr><th></th><th>before</th>");
        for (int i = 0; i < r.after().size(); i++) {
            b.append("<th>#").append(i + 1).append(' ').append(Html.text(r.after().get(i).id())).append("</th>");
        }
        b.append("</tr></thead><tbody>");
        List<TrialResults.Trial> all = new java.util.ArrayList<>();
        all.add(r.before());
        all.addAll(r.after());
        remedyRow(b, "patch", all, t -> t.remedy() == null ? "as configured" : String.join("\n", t.edits()));
        remedyRow(b, "loss after the probe", all, t -> fmt(t.lossAfter()));
        remedyRow(b, "vs before", all, t -> t.remedy() == null ? "" : Double.isFinite(t.effect())
                ? (t.effect() < -1 ? "x" + fmt(1 - t.effect()) : String.format(Locale.ROOT, "%+.1f %%", -100 * t.effect()))
                : "not comparable");
        remedyRow(b, "|g| first / last layer", all, t -> fmt(t.gradRatio()));
        remedyRow(b, "verdicts (seeds)", all, t -> t.verdicts().isEmpty() ? "none" : String.join("\n",
                t.verdicts().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + " " + e.getValue() + "/" + r.seeds().size()).toList()));
        remedyRow(b, "loss per seed", all, t -> String.join(", ", t.runs().stream().map(s -> fmt(s.lossAfter())).toList()));
        return b.append("</tbody></table></div></section>\n").toString();
    }

    private static void remedyRow(StringBuilder b, String label, List<TrialResults.Trial> all,
                                  java.util.function.Function<TrialResults.Trial, String> cell) {
        b.append("<tr><th>").append(Html.text(label)).append("</th>");
        for (TrialResults.Trial t : all) {
            b.append("<td>").append(Html.text(cell.apply(t)).replace("\n", "<br>")).append("</td>");
        }
        b.append("</tr>");
    }

    static String events(List<EventRecord> events) {
        StringBuilder b = new StringBuilder("<section id=\"events\"><h2>Events</h2>");
        if (events.isEmpty()) {
            return b.append("<p class=\"muted\">No events were recorded.</p></section>\n").toString();
        }
        b.append("<table class=\"events\"><thead><tr><th>step</th><th>kind</th><th>message</th></tr></thead><tbody>");
        for (EventRecord e : events) {
            b.append("<tr><td class=\"num\">").append(e.step()).append("</td><td><code>").append(Html.text(e.kind()))
                    .append("</code></td><td>").append(Html.text(e.message())).append("</td></tr>");
        }
        return b.append("</tbody></table></section>\n").toString();
    }

    /** The container of one chart: a stable id {@code chart-<name>} the page's script draws into. */
    static String chart(String name, int layerCount) {
        String[] text = switch (name) {
            case ChartData.LOSS -> new String[] {"Loss",
                    "Training loss per logged step; validation loss and accuracy at the end of each epoch; events as vertical lines."};
            case ChartData.LEARNING_RATE -> new String[] {"Learning rate", "The learning rate each step used."};
            case ChartData.GRAD_NORM -> new String[] {"Global gradient norm",
                    "L2 norm of all gradients before any transform (log scale); dashed: the clipping threshold, triangles mark clipped"
                    + " steps, red lines skipped steps."};
            case ChartData.GRAD_HEATMAP -> new String[] {"Per-layer gradient norms",
                    "log10 of each layer's gradient L2 norm over steps, layers in parameter order from the input down;"
                    + " blank cells are zero or non-finite norms."};
            case ChartData.UPDATE_RATIO -> new String[] {"Update ratio",
                    "log10(update norm / parameter norm) per layer; around -3 is healthy, far below means the layer barely learns."};
            case ChartData.TRANSFORMS -> new String[] {"Transform metrics",
                    "What the gradient transforms reported; pick a metric in the legend."};
            case ChartData.ACTIVATIONS -> new String[] {"Activations",
                    "Share of dead units (never active in a batch, solid) and of saturated outputs (dashed), on sampled steps;"
                    + " fractions that stay 0 throughout are left out."};
            default -> throw new IllegalArgumentException("unknown chart '" + name + "'");
        };
        int height = name.equals(ChartData.GRAD_HEATMAP) ? Math.max(260, 120 + 28 * layerCount)
                : name.equals(ChartData.LEARNING_RATE) ? 220 : 320;
        return "<section class=\"chart-card\"><h3>" + text[0] + "</h3><p class=\"hint\">" + Html.text(text[1])
                + "</p><div class=\"chart\" id=\"chart-" + name + "\" data-chart=\"" + name + "\" style=\"height:"
                + height + "px\"></div></section>\n";
    }

    private static void row(StringBuilder b, String key, String value) {
        b.append("<tr><th>").append(Html.text(key)).append("</th><td>")
                .append(Html.text(value == null ? "unknown" : value)).append("</td></tr>");
    }

    private static String fmt(double v) {
        if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
            return String.format(Locale.ROOT, "%.4g", v);
        }
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
