package io.gradscale.cli.doctor;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The doctor's scores over a set of case runs: the confusion table (true condition against diagnosed
 * condition, counted in runs; a run may have several of each), per-condition precision and recall, the
 * false-alarm rate on healthy runs, and the runs that did not train yet were called healthy.
 *
 * <p>A diagnosis of a tolerated condition (a known consequence of the labelled one, see
 * {@link Corpus.Family#tolerated()}) counts neither for nor against the doctor.
 */
public final class Scoreboard {
    /** Precision and recall every verdict must reach (issue 14). */
    public static final double TARGET_PR = 0.9;
    /** Largest share of healthy runs that may carry a warning (issue 14). */
    public static final double TARGET_FALSE_ALARMS = 0.05;

    /** Counts of one condition. */
    public record Counts(int truePositives, int falsePositives, int falseNegatives, int tolerated) {
        public double precision() {
            return truePositives + falsePositives == 0 ? Double.NaN : (double) truePositives / (truePositives + falsePositives);
        }

        public double recall() {
            return truePositives + falseNegatives == 0 ? Double.NaN : (double) truePositives / (truePositives + falseNegatives);
        }
    }

    private final List<CaseRun> runs;

    public Scoreboard(List<CaseRun> runs) {
        this.runs = List.copyOf(runs);
    }

    public List<CaseRun> runs() {
        return runs;
    }

    /** Per condition, over every run. */
    public Map<Condition, Counts> counts() {
        Map<Condition, Counts> out = new EnumMap<>(Condition.class);
        for (Condition c : Condition.values()) {
            int tp = 0;
            int fp = 0;
            int fn = 0;
            int tol = 0;
            for (CaseRun r : runs) {
                boolean truth = r.labelled().labels().contains(c);
                boolean said = r.diagnosed().contains(c);
                if (truth && said) {
                    tp++;
                } else if (truth) {
                    fn++;
                } else if (said && r.labelled().tolerated().contains(c)) {
                    tol++;
                } else if (said) {
                    fp++;
                }
            }
            out.put(c, new Counts(tp, fp, fn, tol));
        }
        return out;
    }

    /** Healthy runs (no label). */
    public List<CaseRun> healthy() {
        return runs.stream().filter(r -> r.labelled().labels().isEmpty()).toList();
    }

    /** Share of healthy runs with any verdict at WARNING or above. */
    public double falseAlarmRate() {
        List<CaseRun> h = healthy();
        return h.isEmpty() ? Double.NaN : h.stream().filter(r -> !r.calledHealthy()).count() / (double) h.size();
    }

    /** Runs whose loss did not fall below the stated fraction of its start and that the doctor called plain healthy. */
    public List<CaseRun> untrainedCalledHealthy() {
        return runs.stream().filter(r -> !r.trained() && r.calledHealthy()).toList();
    }

    /** Every shortfall from the targets, one line each; empty when every target is met. */
    public List<String> shortfalls() {
        List<String> out = new ArrayList<>();
        counts().forEach((c, n) -> {
            if (n.truePositives() + n.falseNegatives() + n.falsePositives() == 0) {
                return;
            }
            if (!(n.precision() >= TARGET_PR) && !Double.isNaN(n.precision())) {
                out.add(c.key() + ": precision " + pct(n.precision()) + " < " + pct(TARGET_PR));
            }
            if (!(n.recall() >= TARGET_PR) && !Double.isNaN(n.recall())) {
                out.add(c.key() + ": recall " + pct(n.recall()) + " < " + pct(TARGET_PR));
            }
        });
        if (falseAlarmRate() > TARGET_FALSE_ALARMS) {
            out.add("false alarms on healthy runs " + percent(falseAlarmRate()) + " > " + percent(TARGET_FALSE_ALARMS));
        }
        for (CaseRun r : untrainedCalledHealthy()) {
            out.add(r.labelled().id() + " did not train and was called healthy");
        }
        return out;
    }

    /** The confusion table, markdown: one row per true condition (and healthy), one column per diagnosis. */
    public String confusionTable() {
        StringBuilder sb = new StringBuilder("| true \\ diagnosed | runs |");
        for (Condition c : Condition.values()) {
            sb.append(' ').append(c.key()).append(" |");
        }
        sb.append(" called healthy |\n|---|---:|");
        sb.append("---:|".repeat(Condition.values().length + 1)).append('\n');
        List<String> rows = new ArrayList<>();
        rows.add(null);
        for (Condition c : Condition.values()) {
            rows.add(c.key());
        }
        for (String row : rows) {
            List<CaseRun> in = runs.stream().filter(r -> row == null ? r.labelled().labels().isEmpty()
                    : r.labelled().labels().stream().anyMatch(l -> l.key().equals(row))).toList();
            if (in.isEmpty()) {
                continue;
            }
            sb.append("| ").append(row == null ? "healthy" : row).append(" | ").append(in.size()).append(" |");
            for (Condition c : Condition.values()) {
                long n = in.stream().filter(r -> r.diagnosed().contains(c)).count();
                boolean diag = row != null && row.equals(c.key());
                sb.append(' ').append(n == 0 ? "." : diag ? "**" + n + "**" : Long.toString(n)).append(" |");
            }
            sb.append(' ').append(in.stream().filter(CaseRun::calledHealthy).count()).append(" |\n");
        }
        return sb.toString();
    }

    /** Per-condition precision and recall, markdown. */
    public String precisionRecallTable() {
        StringBuilder sb = new StringBuilder("| verdict | true pos. | false pos. | false neg. | tolerated | precision | recall |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        counts().forEach((c, n) -> sb.append("| ").append(c.key()).append(" | ").append(n.truePositives()).append(" | ")
                .append(n.falsePositives()).append(" | ").append(n.falseNegatives()).append(" | ").append(n.tolerated())
                .append(" | ").append(pct(n.precision())).append(" | ").append(pct(n.recall())).append(" |\n"));
        return sb.toString();
    }

    /** One line per run that is not exactly right: what was missed and what was raised wrongly. */
    public List<String> errors() {
        List<String> out = new ArrayList<>();
        for (CaseRun r : runs) {
            if (!r.correct() || (r.labelled().labels().isEmpty() && !r.calledHealthy())) {
                out.add(r.labelled().id() + (r.labelled().heldOut() ? " (held out)" : "") + ": labels " + keys(r.labelled().labels())
                        + ", diagnosed " + keys(r.diagnosed()) + ", verdicts " + r.summary());
            }
        }
        return out;
    }

    static String keys(java.util.Collection<Condition> cs) {
        return cs.isEmpty() ? "{}" : "{" + String.join(", ", cs.stream().map(Condition::key).toList()) + "}";
    }

    /** A rate as a percentage with one decimal, so that 5.5 % does not print as the 0.05 it exceeds. */
    static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }
}
