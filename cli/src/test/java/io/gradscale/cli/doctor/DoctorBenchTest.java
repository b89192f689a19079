package io.gradscale.cli.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Engine;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The doctor's benchmark in the build: the fast subset of the labelled corpus (every family once) must
 * meet issue 14's targets, and the corpus must be what docs/DOCTOR.md says it is.
 */
class DoctorBenchTest {
    @Test
    void theFastSubsetMeetsEveryTarget() {
        List<CaseRun> runs = new ArrayList<>();
        Engine engine = Engine.serial();
        assertEquals(Corpus.families().stream().map(Corpus.Family::name).toList(),
                Corpus.fast().stream().map(c -> c.family().name()).toList(), "the fast subset runs every family once");
        for (LabelledCase c : Corpus.fast()) {
            runs.add(CaseRun.run(c, engine));
        }
        Scoreboard board = new Scoreboard(runs);
        assertEquals(List.of(), board.shortfalls(), () -> "the doctor misses its targets; runs not diagnosed exactly:\n"
                + String.join("\n", board.errors()));
        for (Condition c : Condition.values()) {
            assertTrue(board.counts().get(c).truePositives() > 0, c + " is labelled in the fast subset and found");
        }
    }

    @Test
    void theCorpusCoversEveryConditionArchitectureAndTask() {
        List<LabelledCase> all = Corpus.all();
        assertTrue(all.size() >= 60, "at least 60 runs, got " + all.size());
        Set<Condition> labelled = EnumSet.noneOf(Condition.class);
        Set<String> models = new java.util.HashSet<>();
        Set<String> sources = new java.util.HashSet<>();
        boolean deep = false;
        for (LabelledCase c : all) {
            labelled.addAll(c.labels());
            models.add(c.config().path("model").path("type").asText());
            sources.add(c.config().path("data").path("source").asText());
            deep |= c.config().path("model").path("hidden").size() >= 8;
        }
        assertEquals(EnumSet.allOf(Condition.class), labelled);
        assertEquals(Set.of("mlp", "rnn", "lstm", "gru"), models);
        assertTrue(sources.containsAll(Set.of("two_spirals", "sine", "adding", "temporal_order")), sources.toString());
        assertTrue(deep, "deep MLPs are in the corpus");
        assertTrue(all.stream().anyMatch(LabelledCase::heldOut) && all.stream().anyMatch(c -> !c.heldOut()));
        assertEquals(all.size(), all.stream().map(LabelledCase::id).distinct().count(), "case names are unique");
    }

    @Test
    void aCaseIsAFunctionOfItsSeverityAndSeed() {
        for (Corpus.Family f : Corpus.families()) {
            double s = f.severities()[0];
            assertEquals(f.generator().config(s, 7), f.generator().config(s, 7), f.name());
            assertTrue(!f.generator().config(s, 7).equals(f.generator().config(s, 8)), f.name() + ": the seed is in the configuration");
            assertTrue(f.labels().stream().noneMatch(f.tolerated()::contains), f.name() + ": a label is not also tolerated");
        }
    }
}
