package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.Verdict;
import io.gradscale.train.LayerStats;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The live run holds no step record beyond the doctor's window however long the run (held records made a live
 * run's young collections 25 times longer than a plain run's), its summary still counts every step, and its
 * verdicts are the trainer's live doctor's when the source has them, else its own judgment of the window.
 */
class LiveRunTest {
    private static final Provenance PROV = new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now");

    private static StepRecord step(long i) {
        Map<String, LayerStats> layers = i % 10 == 0 ? Map.of("fc1", new LayerStats(1, 1, 1, 1, -3, 0)) : Map.of();
        boolean skipped = i % 97 == 0;
        return new StepRecord(i, (int) (i / 100), skipped ? Double.NaN : 1.0 / (i + 1), 0.1, i, 1, skipped, layers,
                Map.of("clip_global_norm.clipped", i % 4 == 0 ? 1.0 : 0.0), Map.of());
    }

    @Test
    void keepsNoRecordBeyondTheDoctorsWindow() throws Exception {
        for (int steps : new int[] {50, 1000, 20_000}) {
            LiveRun run = new LiveRun(ModelFacts.unknown());
            run.add(PROV);
            List<WeakReference<StepRecord>> refs = new ArrayList<>();
            for (int i = 0; i < steps; i++) {
                StepRecord r = step(i);
                refs.add(new WeakReference<>(r));
                run.add(r);
            }
            run.update(Optional.empty(), 0);
            long held = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 20 && held > LiveDoctor.DEFAULT_WINDOW; attempt++) {
                System.gc();
                Thread.sleep(10);
                held = refs.stream().filter(w -> w.get() != null).count();
            }
            assertTrue(held <= Math.min(steps, LiveDoctor.DEFAULT_WINDOW), steps + " steps: " + held + " records still held");
            // the summary counts them all, not a thinned sample
            String summary = summaryOf(run);
            long clipped = (steps + 3) / 4;
            long skipped = (steps + 96) / 97;
            assertTrue(summary.contains(steps + " (steps 0 to " + (steps - 1)), steps + ": " + summary);
            assertTrue(summary.contains(clipped + " of " + steps + " logged"), steps + ": " + summary);
            assertTrue(summary.contains("<th>skipped steps</th><td>" + skipped + "</td>"), steps + ": " + summary);
            assertTrue(run.state().full().length > 0);
        }
    }

    @Test
    void holdsNoRecordAtAllWhenTheTrainersDoctorJudges() throws Exception {
        LiveRun run = new LiveRun(ModelFacts.unknown());
        run.add(PROV);
        for (int i = 0; i < 300; i++) {
            run.add(step(i)); // held for the page's own judgment until the source says its producer judges
        }
        run.holdWindow(false);
        List<WeakReference<StepRecord>> refs = new ArrayList<>();
        for (int i = 300; i < 1300; i++) {
            StepRecord r = step(i);
            refs.add(new WeakReference<>(r));
            run.add(r);
        }
        Verdict trainers = new Verdict("exploding", Verdict.Severity.CRITICAL, "judged by the trainer", List.of("e"), List.of());
        assertTrue(verdictsOf(run.update(Optional.of(List.of(trainers)), 0)).contains("judged by the trainer"));
        long held = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 20 && held > 0; attempt++) {
            System.gc();
            Thread.sleep(10);
            held = refs.stream().filter(w -> w.get() != null).count();
        }
        assertEquals(0, held, "records still held");
        assertTrue(summaryOf(run).contains("1300 (steps 0 to 1299"), summaryOf(run));
    }

    @Test
    void showsTheTrainersVerdictsWhenItHasThemElseJudgesTheWindow() throws Exception {
        LiveRun run = new LiveRun(ModelFacts.unknown());
        run.add(PROV);
        for (int i = 0; i < 300; i++) {
            run.add(step(i));
        }
        Verdict trainers = new Verdict("exploding", Verdict.Severity.CRITICAL, "judged by the trainer", List.of("evidence"), List.of());
        String theirs = verdictsOf(run.update(Optional.of(List.of(trainers)), 0));
        assertTrue(theirs.contains("judged by the trainer"), theirs);
        String own = verdictsOf(run.update(Optional.empty(), 0));
        assertTrue(!own.contains("from the trainer") && own.contains("non_finite"), own);
    }

    private static String summaryOf(LiveRun run) throws java.io.IOException {
        return sections(run.state()).path("summary").asText();
    }

    private static String verdictsOf(io.gradscale.cli.report.LiveState state) throws java.io.IOException {
        return sections(state).path("verdicts").asText();
    }

    private static JsonNode sections(io.gradscale.cli.report.LiveState state) throws java.io.IOException {
        return PageCopy.parse(state.full()).path("sections");
    }
}
