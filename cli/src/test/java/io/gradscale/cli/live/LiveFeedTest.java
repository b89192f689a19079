package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.ModelFacts;
import io.gradscale.diag.Verdict;
import io.gradscale.train.EventRecord;
import io.gradscale.train.StepRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The feed between the training thread and the live page's thread: bounded, it drops (and counts) rather than
 * waits, keeps the metrics log's steps in their order, and loses nothing while a drain runs at the same time.
 */
class LiveFeedTest {
    private static StepRecord step(long i) {
        return new StepRecord(i, 0, 1, 0.1, i, 1, false, Map.of(), Map.of(), Map.of());
    }

    /** The page shows the trainer's live doctor's verdicts once it has judged, and judges itself before (empty). */
    @Test
    void offersTheLiveDoctorsVerdictsOnceItHasJudged() {
        LiveFeed feed = new LiveFeed(1);
        assertTrue(feed.verdicts().isEmpty(), "no doctor consulted");
        LiveDoctor doctor = new LiveDoctor(GradientDoctor.standard(), ModelFacts.unknown(), LiveDoctor.DEFAULT_WINDOW,
                LiveDoctor.DEFAULT_EVERY, List.of(), null, LiveDoctor.OnCritical.WARN, null);
        feed.consult(doctor);
        for (long i = 1; i < LiveDoctor.DEFAULT_EVERY; i++) {
            doctor.onStep(step(i));
            assertTrue(feed.verdicts().isEmpty(), "not judged yet at step " + i);
        }
        doctor.onStep(step(LiveDoctor.DEFAULT_EVERY));
        List<Verdict> shown = feed.verdicts().orElseThrow();
        assertEquals(doctor.latest().orElseThrow(), shown);
        assertFalse(shown.isEmpty(), "every detector's verdict, not only the conditions");
        assertTrue(shown.stream().noneMatch(v -> v.detector().equals(io.gradscale.diag.TrainingProgress.NAME)),
                "a window does not say whether the run as a whole trains");
    }

    @Test
    void keepsTheLogsStepsInOrderAndDropsBeyondItsCapacity() {
        // {offered steps, log interval}: the feed keeps what the metrics log keeps, at most CAPACITY of them
        long[][] cases = {{10, 1}, {100, 7}, {LiveFeed.CAPACITY, 1}, {LiveFeed.CAPACITY + 5, 1}, {3L * LiveFeed.CAPACITY, 2}};
        for (long[] c : cases) {
            LiveFeed feed = new LiveFeed((int) c[1]);
            for (long i = 0; i < c[0]; i++) {
                feed.onStep(step(i));
            }
            long logged = (c[0] + c[1] - 1) / c[1];
            LiveRun run = new LiveRun(ModelFacts.unknown());
            assertEquals(logged > 0, feed.drainInto(run), "case " + c[0] + "/" + c[1]);
            long kept = Math.min(logged, LiveFeed.CAPACITY);
            assertEquals(kept, run.seenSteps(), "case " + c[0] + "/" + c[1]);
            assertEquals(logged - kept, feed.dropped(), "dropped, case " + c[0] + "/" + c[1]);
            assertFalse(feed.drainInto(run), "drained twice, case " + c[0] + "/" + c[1]);
            // room again once drained
            feed.onEvent(new EventRecord(0, "note", "after the drain"));
            assertTrue(feed.drainInto(run), "case " + c[0] + "/" + c[1]);
            assertEquals(logged - kept, feed.dropped(), "case " + c[0] + "/" + c[1]);
        }
    }

    @Test
    void aDrainRunningAlongsideTheTrainerLosesNothing() throws InterruptedException {
        LiveFeed feed = new LiveFeed(1);
        int total = 200_000;
        Thread trainer = new Thread(() -> {
            for (int i = 0; i < total; i++) {
                feed.onStep(step(i));
            }
        }, "trainer");
        LiveRun run = new LiveRun(ModelFacts.unknown());
        trainer.start();
        while (trainer.isAlive()) {
            feed.drainInto(run);
        }
        trainer.join();
        feed.drainInto(run);
        assertEquals(total, run.seenSteps() + feed.dropped(), "every record either reached the page or was counted as dropped");
    }
}
