package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few kills of {@link KillHarness}'s campaign, replayed in every build: real command-line runs in
 * JVMs of their own, SIGKILLed at random moments, resumed, compared bit for bit with an uninterrupted
 * run. The campaign itself (100+ kills over an MLP and an LSTM) is {@code bench/kill-harness.sh}.
 */
class KillResumeTest {
    /**
     * Small enough that JVM start-up is most of a run; kills land after the first checkpoint, some aimed into a
     * checkpoint write; the test with the best weights and the live doctor go through the checkpoint too.
     */
    private static final KillHarness.Workload SMALL = new KillHarness.Workload("kill-small", """
            name: kill-small
            seed: 13
            data: {source: two_spirals, size: 200, validation: 0.2}
            model: {type: mlp, hidden: [16], activation: tanh, batch_norm: true}
            transforms: [{type: clip_global_norm, max_norm: 1.0}]
            optimizer: {type: adam, lr: 0.01}
            training: {mode: mini_batch, batch_size: 16, epochs: 2}
            test: {size: 40, weights: best}
            """, 2);

    @Test
    void killedRunsResumeToTheBitsOfAnUninterruptedRun(@TempDir Path dir) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        KillHarness h = new KillHarness(KillHarness.javaCommand(cp), dir, 3, System.out, 20);
        KillHarness.Tally t = h.campaign(SMALL, 3);
        assertEquals(3, t.kills());
        assertEquals(t.kills(), t.fullyTallied(), "every kill gets all three checks: " + t);
        assertEquals(0, t.killsBeforeAnyCheckpoint());
        assertTrue(t.killsAimedIntoWrite() >= 1, () -> "no kill was aimed into a checkpoint write: " + t);
        assertTrue(t.problems().isEmpty(), () -> String.join("\n", t.problems()));
        assertEquals(0, t.corruptCheckpoints());
        assertEquals(0, t.resumesNotIdentical());
        assertTrue(t.resumesCompleted() >= 1);
    }
}
