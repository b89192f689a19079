package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.cli.report.LiveState;
import io.gradscale.diag.ModelFacts;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.LayerStats;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The live page's protocol: a page that takes the whole state once and then applies every delta holds exactly
 * the whole state, whenever it joined, however many pages there are, and after it missed a delta (it refuses the
 * one after the gap and takes the whole state again); and a delta's size does not grow with the run's length.
 */
class LiveStateTest {
    private static final Provenance PROV = new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now");

    /** Step of an update early in every script, before its first thinning. */
    private static final int EARLY_UPDATE = 10;

    /**
     * A scripted run: {@code steps} logged steps, a publication every {@code publishEvery} of them, per-layer
     * statistics every 10th step from step {@code layersFrom} (-1: never), activation statistics every 20th step
     * from {@code activationsFrom} (-1: never), and an early one at {@link #EARLY_UPDATE}, every {@code skipEvery}-th step skipped with a non-finite loss
     * (0: none), and the followed log replaced by a new run at step {@code resetAt} (-1: never).
     */
    record Script(String name, int steps, int publishEvery, int layersFrom, int activationsFrom, int skipEvery, int resetAt) {
    }

    private static final List<Script> SCRIPTS = List.of(
            new Script("steady run, thinned several times", 6000, 149, 0, -1, 0, -1),
            new Script("layers appear late (a new structure)", 3000, 101, 700, -1, 0, -1),
            new Script("activations", 4000, 151, 0, 300, 0, -1),
            new Script("bursts: several thinnings between two updates", 20_000, 5000, 0, 0, 0, -1),
            new Script("skipped and non-finite steps", 5000, 163, 0, -1, 7, -1),
            new Script("the followed log replaced by a new run", 5000, 173, 0, 100, 0, 2500));

    private static StepRecord step(Script s, long i) {
        boolean skipped = s.skipEvery() > 0 && i % s.skipEvery() == 3;
        Map<String, LayerStats> layers = new LinkedHashMap<>();
        if (s.layersFrom() >= 0 && i >= s.layersFrom() && i % 10 == 0) {
            for (int l = 0; l < 3; l++) {
                layers.put("layer" + l, new LayerStats(Math.exp(-l - i * 1e-4), 1, 1, 1e-3, -3 - l + Math.sin(i), 0));
            }
        }
        Map<String, ActivationStats> acts = new LinkedHashMap<>();
        if (s.activationsFrom() >= 0 && i >= s.activationsFrom() && i % 20 == 0) {
            acts.put("act0", new ActivationStats("relu", 0.1, 1, (i % 13) / 13.0, 0));
        }
        Map<String, Double> transforms = Map.of("clip_global_norm.norm", 1 + Math.cos(i), "clip_global_norm.clipped", i % 5 == 0 ? 1.0 : 0.0);
        return new StepRecord(i, (int) (i / 100), skipped ? Double.NaN : 2.0 / (1 + i * 0.01), 0.01, i, 1 + Math.abs(Math.sin(i)),
                skipped, layers, transforms, acts);
    }

    /** Feeds the script's records to a LiveRun (with the doctor), publishing as the server does; calls {@code onPublish} after each. */
    private static void play(Script s, LiveRun run, Publisher onPublish) throws IOException {
        play(s, run::add, run::reset, last -> {
            if (last) {
                run.finish(List.of(), "end of the script");
            }
            onPublish.published(run.update(java.util.Optional.empty(), 0));
        });
    }

    /**
     * Feeds the script's records to the page's state alone, without a doctor, so that many updates stay quick (the
     * summary's size does not depend on the run's length).
     */
    private static void play(Script s, LiveState state, Publisher onPublish) throws IOException {
        long[] step = {0};
        play(s, r -> {
            state.add(r);
            if (r instanceof StepRecord sr) {
                step[0] = sr.step();
            }
        }, state::reset, last -> {
            state.update(List.of(), last, "live: step " + step[0]);
            onPublish.published(state);
        });
    }

    private static void play(Script s, Consumer<Object> add, Runnable reset, Turn turn) throws IOException {
        add.accept(PROV);
        for (long i = 0; i < s.steps(); i++) {
            long j = s.resetAt() >= 0 && i >= s.resetAt() ? i - s.resetAt() : i;
            if (i == s.resetAt()) {
                reset.run();
                add.accept(PROV);
            }
            add.accept(step(s, j));
            if (j % 500 == 499) {
                add.accept(new EvalRecord(j, (int) (j / 500), 1.0 / (j + 1), 1.5 / (j + 1), 0.5, 100));
            }
            if (j == 1234) {
                add.accept(new EventRecord(j, "lr_drop", "the schedule lowered the learning rate"));
            }
            // an early update, when the page holds a handful of rows
            if (i == EARLY_UPDATE || i % s.publishEvery() == s.publishEvery() - 1 || i == s.steps() - 1) {
                turn.publish(i == s.steps() - 1);
            }
        }
    }

    interface Publisher {
        void published(LiveState state) throws IOException;
    }

    interface Turn {
        void publish(boolean last) throws IOException;
    }

    /** One page: joins at a publication, may miss one delta. */
    private static final class Page {
        final String name;
        final int joinsAt;
        final int misses;
        final PageCopy copy = new PageCopy();
        boolean following;
        int refused;

        Page(String name, int joinsAt, int misses) {
            this.name = name;
            this.joinsAt = joinsAt;
            this.misses = misses;
        }
    }

    @Test
    void deltasReassembleIntoExactlyTheFullState() throws IOException {
        for (Script s : SCRIPTS) {
            // two pages from the start, one that connects mid-run (a reload), one that misses a delta
            List<Page> pages = List.of(new Page("first", 0, -1), new Page("second", 0, -1), new Page("reloaded", 5, -1),
                    new Page("missing one", 0, 3));
            int[] publication = {0};
            int[] fulls = {0};
            LiveRun run = new LiveRun(ModelFacts.unknown());
            play(s, run, state -> {
                int n = publication[0]++;
                if (state.needsFull()) {
                    // every page restarts from the whole state, as the server sends it to all of them
                    JsonNode full = PageCopy.parse(state.full());
                    fulls[0]++;
                    for (Page p : pages) {
                        if (p.following || n >= p.joinsAt) {
                            p.copy.apply(full);
                            p.following = true;
                        }
                    }
                } else {
                    JsonNode delta = PageCopy.parse(state.delta());
                    for (Page p : pages) {
                        if (!p.following) {
                            continue;
                        }
                        if (n == p.misses) {
                            continue;
                        }
                        if (!p.copy.apply(delta)) {
                            // a gap: the page connects again and gets the whole state (below)
                            p.refused++;
                            p.following = false;
                        }
                    }
                }
                long seq = state.seq();
                JsonNode full = PageCopy.parse(state.full());
                assertEquals(seq, state.seq(), s.name() + ": a full state of an unchanged page took a new number");
                for (Page p : pages) {
                    if (!p.following && n >= p.joinsAt) {
                        assertTrue(p.copy.apply(full), s.name());
                        p.following = true;
                    }
                    // (a page that just missed a delta does not know yet: it finds out from the next one)
                    if (p.following && n != p.misses) {
                        assertTrue(PageCopy.stateOf(full).equals(p.copy.state()),
                                s.name() + ", page '" + p.name + "', publication " + n + ": the page's state is not the server's");
                    }
                }
            });
            assertEquals(1, pages.get(3).refused, s.name() + ": the page that missed a delta did not notice");
            for (int p = 0; p < 3; p++) {
                assertEquals(0, pages.get(p).refused, s.name() + ", page '" + pages.get(p).name + "'");
            }
            JsonNode last = pages.get(0).copy.state();
            assertTrue(last.get("finished").asBoolean(), s.name());
            int rows = last.get("steps").get("rows").get(0).size();
            assertTrue(rows > 0 && rows <= LiveState.MAX_ROWS, s.name() + ": " + rows + " rows");
            int expectedFulls = 1 + (s.layersFrom() > 0 ? 1 : 0) + (s.activationsFrom() > 0 ? 1 : 0) + (s.resetAt() >= 0 ? 3 : 0);
            assertTrue(fulls[0] <= expectedFulls, s.name() + ": " + fulls[0] + " full states for every page, expected at most "
                    + expectedFulls + " (one per change of structure)");
        }
    }

    @Test
    void thinnedRowsStayEvenlySpreadAndKeepSkippedSteps() throws IOException {
        Script s = new Script("spread", 20_000, 1000, 0, -1, 997, -1);
        List<JsonNode> states = new ArrayList<>();
        play(s, new LiveState(), state -> states.add(PageCopy.parse(state.full())));
        JsonNode rows = states.getLast().get("steps").get("rows");
        JsonNode steps = rows.get(0);
        JsonNode flags = rows.get(4);
        int skipped = 0;
        List<Long> ordinary = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            if ((flags.get(i).asInt() & 2) != 0) {
                skipped++;
            } else if ((flags.get(i).asInt() & 4) == 0) {
                ordinary.add(steps.get(i).asLong());
            }
        }
        assertEquals((20_000 - 3 + 996) / 997, skipped, "every skipped step is kept");
        assertTrue(steps.size() > LiveState.MAX_ROWS / 2 && steps.size() <= LiveState.MAX_ROWS, steps.size() + " rows");
        // the ordinary rows are every k-th of their kind: equal gaps, apart from the skipped steps taken out of the count
        long gaps = 0;
        for (int i = 1; i < ordinary.size(); i++) {
            gaps = Math.max(gaps, ordinary.get(i) - ordinary.get(i - 1));
        }
        assertTrue(gaps <= 2L * 20_000 / ordinary.size(), "largest gap " + gaps + " among " + ordinary.size() + " rows");
    }

    @Test
    void aDeltasSizeDoesNotGrowWithTheRunsLength() throws IOException {
        // {run length in steps, steps per update}
        int[][] cases = {{2000, 100}, {20_000, 100}, {60_000, 100}, {60_000, 400}};
        int[] largest = new int[cases.length];
        int[] fullSize = new int[cases.length];
        for (int c = 0; c < cases.length; c++) {
            Script s = new Script("size", cases[c][0], cases[c][1], 0, 0, 0, -1);
            int k = c;
            int[] publication = {0};
            LiveState live = new LiveState();
            play(s, live, state -> {
                int n = publication[0]++;
                byte[] message = state.needsFull() ? state.full() : state.delta();
                // the first updates carry the cards and the provenance once
                if (n >= 4) {
                    largest[k] = Math.max(largest[k], message.length);
                }
            });
            fullSize[k] = live.full().length;
        }
        for (int c = 1; c < cases.length; c++) {
            double allowed = 1.2 * largest[0] * cases[c][1] / cases[0][1] + 8 * LiveState.MAX_ROWS;
            assertTrue(largest[c] <= allowed, "run of " + cases[c][0] + " steps, an update per " + cases[c][1]
                    + ": largest delta " + largest[c] + " bytes, against " + largest[0] + " for " + cases[0][0] + " steps");
        }
        assertTrue(largest[2] < fullSize[2] / 5, "a delta (" + largest[2] + " bytes) is not much smaller than the full state ("
                + fullSize[2] + ")");
        assertFalse(fullSize[2] > 2 * fullSize[1], "the full state grows with the run: " + fullSize[1] + " -> " + fullSize[2]);
    }
}
