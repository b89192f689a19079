package io.gradscale.cli.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.tensor.Engine;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalogue, the context's checks and the result table, without training anything. */
class ExperimentsCatalogueTest {
    @Test
    void theCatalogueHoldsTheFiveExperimentsOfTheIssueInOrder() {
        assertEquals(List.of("exploding-rnn", "vanishing-mlp", "shattered", "clippers", "descent-modes", "private-digits"),
                Experiments.names());
        for (Experiment e : Experiments.all()) {
            assertTrue(e.name().matches("[a-z]+(-[a-z]+)*"), "kebab-case: " + e.name());
            assertFalse(e.title().isBlank(), e.name());
            assertTrue(e.description().length() > 80, "a description says what is shown and after which paper: " + e.name());
            assertEquals(e.name(), Experiments.named(e.name()).name());
        }
    }

    @Test
    void eachCallMakesNewExperimentsSoNothingIsShared() {
        assertNotSame(Experiments.all().get(0), Experiments.all().get(0));
    }

    @Test
    void anUnknownNameFailsListingTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Experiments.named("exploding"));
        assertTrue(e.getMessage().contains("'exploding'"), e.getMessage());
        for (String n : Experiments.names()) {
            assertTrue(e.getMessage().contains(n), e.getMessage());
        }
    }

    @Test
    void theContextRequiresItsParts() {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        assertThrows(NullPointerException.class, () -> new ExperimentContext(null, Engine.serial(), 1, true, quiet));
        assertThrows(NullPointerException.class, () -> new ExperimentContext(Path.of("x"), null, 1, true, quiet));
        assertThrows(NullPointerException.class, () -> new ExperimentContext(Path.of("x"), Engine.serial(), 1, true, null));
        assertEquals(Path.of("out", "clippers", "agc-seed3"),
                new ExperimentContext(Path.of("out"), Engine.serial(), 1, true, quiet).runDir("clippers", "agc-seed3"));
    }

    @Test
    void aResultTableIsAlignedAndARaggedRowIsRejected() {
        ExperimentResult r = new ExperimentResult("x", "X", List.of("variant", "loss"),
                List.of(List.of("a", "0.5"), List.of("longer", "12.25")), "c", List.of());
        assertEquals("""
                variant  loss
                -------  -----
                a        0.5
                longer   12.25
                """, r.table());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ExperimentResult("x", "X",
                List.of("variant", "loss"), List.of(List.of("a")), "c", List.of()));
        assertTrue(e.getMessage().contains("row 0 has 1 cells but the header has 2"), e.getMessage());
    }

    @Test
    void aMissingNumberOrRunIsNamedWithTheOnesThereAre() {
        RunOutcome o = new RunOutcome("a", Path.of("a"), new Numbers().put("loss", 1).map());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.number("mse"));
        assertTrue(e.getMessage().contains("'mse'") && e.getMessage().contains("[loss]"), e.getMessage());
        ExperimentResult r = new ExperimentResult("x", "X", List.of("v"), List.of(), "c", List.of(o));
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> r.run("b"));
        assertTrue(f.getMessage().contains("'b'") && f.getMessage().contains("[a]"), f.getMessage());
    }
}
