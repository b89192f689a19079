package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.config.RunSpec;
import io.gradscale.cli.live.LiveTraining.Gate;
import io.gradscale.cli.live.LiveTraining.Steps;
import io.gradscale.diag.GradientDoctor;
import io.gradscale.diag.RunView;
import io.gradscale.diag.Verdict;
import io.gradscale.tensor.Engine;
import io.gradscale.train.Json;
import io.gradscale.train.Provenance;
import io.gradscale.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live view in Debian's headless Chromium, during a real run that explodes on purpose
 * ({@link LiveTraining}): the charts gain points while training proceeds, a second browser and a reload
 * and a closed tab change nothing in the run (its result has the same bits as the same run without any
 * of it), the doctor's exploding-gradient verdict appears on the page while the run is still live, and the
 * page says "finished" at the end. Saves {@code target/live-screenshot.png} for people to look at.
 */
class LiveBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Steps at which the test holds the run to look at the page. */
    private static final long FIRST_LOOK = 6;
    private static final long SECOND_LOOK = 14;

    private static final String POINTS = "(function (id) { var e = document.getElementById(id);"
            + " return e && e.getAttribute('data-rendered') === 'true' ? Number(e.getAttribute('data-points')) : 0; })";
    private static final String STEP = "Number(document.body.getAttribute('data-step') || -1)";
    private static final String STATUS = "document.getElementById('live-status')";
    private static final String EXPLODING_VERDICT = "Array.from(document.querySelectorAll('#verdicts article.verdict'))"
            + ".some(function (a) { return a.querySelector('.detector').textContent === 'exploding'"
            + " && !a.classList.contains('sev-ok'); })";
    private static final String DESCRIBE = STATUS + ".textContent + ' | step ' + " + STEP + " + ' | verdicts: '"
            + " + document.getElementById('verdicts').textContent.slice(0, 300) + ' | errors: '"
            + " + document.getElementById('console-errors').textContent";

    @TempDir
    Path tmp;

    @Test
    void aRealRunLiveInTheBrowser() throws Exception {
        assertTrue(Files.isExecutable(Chromium.BINARY), "the live view's browser test needs Debian's headless Chromium at "
                + Chromium.BINARY + "; install it with: apt-get install chromium");
        Path config = LiveTraining.write(tmp);
        Engine engine = Engine.serial();
        RunSpec spec = LiveTraining.spec(config, engine);
        Trainer trainer = LiveTraining.trainer(spec, engine);
        LiveFeed feed = new LiveFeed(spec.logEvery());
        Steps steps = new Steps();
        Gate gate = new Gate(Set.of(FIRST_LOOK, SECOND_LOOK));
        feed.begin(Provenance.now(spec.config(), spec.seed(), 1, "test"));
        trainer.addListener(feed);
        trainer.addListener(steps);
        trainer.addListener(gate);
        Trainer.Result result;
        try (LiveServer server = LiveServer.forTraining(LiveServer.DEFAULT_BIND, 0, spec.name(), feed, spec.facts());
             Chromium chromium = new Chromium(Files.createDirectory(tmp.resolve("profile")), tmp.resolve("chromium.log"))) {
            // Its own thread: the common pool (one thread on two cores) also runs the JDK WebSocket's stages.
            CompletableFuture<Trainer.Result> training = new CompletableFuture<>();
            Thread trainingThread = new Thread(() -> {
                try {
                    training.complete(trainer.run(spec.data().train(), spec.data().validation(), Long.MAX_VALUE));
                } catch (RuntimeException | Error e) {
                    training.completeExceptionally(e);
                }
            }, "training");
            trainingThread.setDaemon(true);
            trainingThread.start();
            Chromium.Tab tab = chromium.open(server.url());

            awaitHold(gate, FIRST_LOOK);
            tab.await(STEP + " === " + FIRST_LOOK, WAIT, DESCRIBE);
            int lossPoints = tab.eval(POINTS + "('chart-loss')").asInt();
            int normPoints = tab.eval(POINTS + "('chart-grad-norm')").asInt();
            int heatColumns = tab.eval(POINTS + "('chart-grad-heatmap')").asInt();
            assertEquals(FIRST_LOOK + 1, lossPoints, "loss points at step " + FIRST_LOOK);
            assertEquals(FIRST_LOOK + 1, normPoints, "gradient-norm points at step " + FIRST_LOOK);
            assertTrue(heatColumns > 0, "the heat map has no column yet");
            gate.proceed.release();

            awaitHold(gate, SECOND_LOOK);
            Chromium.Tab second = chromium.open(server.url());
            second.await(STEP + " === " + SECOND_LOOK, WAIT, DESCRIBE);
            tab.reload();
            tab.front();
            tab.await(STEP + " === " + SECOND_LOOK, WAIT, DESCRIBE);
            assertEquals(SECOND_LOOK + 1, tab.eval(POINTS + "('chart-loss')").asInt(), "loss points after the reload");
            assertEquals(SECOND_LOOK + 1, tab.eval(POINTS + "('chart-grad-norm')").asInt());
            assertTrue(tab.eval(POINTS + "('chart-grad-heatmap')").asInt() > heatColumns, "the heat map gained no column");
            // both pages, the one that followed deltas and the reloaded one, hold exactly the server's whole state
            JsonNode whole = PageCopy.follow(server.url(), WAIT, u -> u.get("step").asLong() == SECOND_LOOK);
            assertEquals(whole, pageState(second), "the second page's state is not the server's");
            assertEquals(whole, pageState(tab), "the reloaded page's state is not the server's");
            second.close();
            gate.proceed.release();

            // The run explodes and the trainer stops it; held at its end, the page must show the verdict live.
            awaitHold(gate, -1);
            tab.await(EXPLODING_VERDICT, WAIT, DESCRIBE);
            assertEquals("live", tab.eval(STATUS + ".getAttribute('data-status')").asText(), "the verdict came only at the end");
            gate.proceed.release();
            result = training.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(result.diverged(), "the run meant to explode did not: " + result.stopReason());

            List<Verdict> verdicts = GradientDoctor.standard().diagnose(new RunView(steps.steps, spec.facts(), Double.NaN));
            server.finish(verdicts, result.stopReason());
            tab.await(STATUS + ".getAttribute('data-status') === 'finished'", WAIT, DESCRIBE);
            assertTrue(tab.eval(STATUS + ".textContent").asText().startsWith("finished"), tab.eval(DESCRIBE).asText());
            assertTrue(tab.eval(EXPLODING_VERDICT).asBoolean(), tab.eval(DESCRIBE).asText());
            assertEquals("", tab.eval("document.getElementById('console-errors').textContent").asText());
            assertEquals(0, tab.eval("document.querySelectorAll('[data-chart]:not([data-rendered=\"true\"])').length").asInt(),
                    "charts not drawn");
            assertTrue(tab.eval("document.getElementById('provenance').textContent").asText().contains("live-explode"),
                    "the provenance section does not show the run's configuration");
            assertEquals(PageCopy.follow(server.url(), WAIT, u -> u.get("finished").asBoolean()), pageState(tab),
                    "the page's state at the end, assembled from deltas, is not the server's whole state");

            Path shot = Path.of("target", "live-screenshot.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            tab.screenshot(shot);
            assertTrue(Files.size(shot) > 50_000, "screenshot " + shot + " is too small to show the charts");
        }

        // Browsers attached, reloaded and closed; the run is the same, bit for bit, as one without them.
        Engine plain = Engine.serial();
        RunSpec again = LiveTraining.spec(config, plain);
        Trainer.Result alone = LiveTraining.trainer(again, plain).run(again.data().train(), again.data().validation(), Long.MAX_VALUE);
        assertEquals(alone.steps(), result.steps());
        assertEquals(alone.stopReason(), result.stopReason());
        assertEquals(Double.doubleToLongBits(alone.finalTrainLoss()), Double.doubleToLongBits(result.finalTrainLoss()));
    }

    /** The page's copy of the server's state (live.js keeps it from the full state and the deltas). */
    private static JsonNode pageState(Chromium.Tab tab) throws Exception {
        return Json.mapper().readTree(tab.eval("JSON.stringify(window.gradscaleLive.state())").asText());
    }

    private static void awaitHold(Gate gate, long step) throws InterruptedException {
        assertTrue(gate.arrived.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS), "training did not reach step " + step);
        assertEquals(step, gate.heldAt, "training held at another point than expected");
    }
}
