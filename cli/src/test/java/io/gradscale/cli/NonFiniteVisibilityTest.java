package io.gradscale.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.gradscale.cli.report.HtmlReport;
import io.gradscale.data.Task;
import io.gradscale.data.tasks.TwoSpirals;
import io.gradscale.nn.Activation;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Sequential;
import io.gradscale.optim.Optimizers;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.train.GradientDescent;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Objective;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.Trainer;
import io.gradscale.transform.EmptyState;
import io.gradscale.transform.GradientStep;
import io.gradscale.transform.NonFinitePolicy;
import io.gradscale.transform.ParameterSet;
import io.gradscale.transform.StatelessTransform;
import io.gradscale.transform.Transforms;
import io.gradscale.transform.Updates;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps whose gradients hold NaN or infinity are visible where a user looks: the progress line, the
 * metrics log (a skipped step is logged even between logging intervals) and the report's summary. The
 * non-finite values are injected into the gradients of a real training run, ahead of the guard.
 */
class NonFiniteVisibilityTest {
    private static final Set<Long> POISONED = Set.of(3L, 7L, 8L);

    /** Writes NaN into one gradient element at the poisoned steps: a fault, placed before the guard. */
    private record Poison(Set<Long> steps) implements StatelessTransform {
        @Override
        public String name() {
            return "poison";
        }

        @Override
        public EmptyState update(Updates u, EmptyState s, ParameterSet params) {
            if (steps.contains(u.step())) {
                u.get(params.size() - 1).data()[0] = Float.NaN;
            }
            return s;
        }
    }

    private static MetricsLog.Contents train(Path dir, NonFinitePolicy policy) throws Exception {
        Rng rng = new Rng(9);
        Sequential model = new Sequential(new Linear(2, 16, rng), Activation.relu(), new Linear(16, 2, rng));
        Trainer trainer = new Trainer(model, Objective.forTask(new Task.Classification(2)),
                mult -> new GradientStep(ParameterSet.of(model), Transforms.chain(new Poison(POISONED), Transforms.guard(policy),
                        Transforms.clipByGlobalNorm(1.0), Optimizers.adam(1e-2 * mult)), Engine.serial()),
                Engine.serial(), Trainer.Settings.of(GradientDescent.miniBatch(8), 2, 9));
        Path file = dir.resolve(policy + "-" + MetricsLog.FILE_NAME);
        try (MetricsLog log = new MetricsLog(file, Provenance.now(JsonNodeFactory.instance.objectNode(), 9, 1, "test"), 5)) {
            trainer.addListener(log);
            trainer.fit(TwoSpirals.generate(64, 1.0, 0.05, new Rng(2)), null);
        }
        return MetricsLog.read(file);
    }

    @Test
    void skippedAndZeroedGradientsShowInProgressMetricsLogAndReport(@TempDir Path dir) throws Exception {
        MetricsLog.Contents skip = train(dir, NonFinitePolicy.SKIP);
        List<Long> skipped = skip.steps().stream().filter(StepRecord::skipped).map(StepRecord::step).sorted().toList();
        assertEquals(List.of(3L, 7L, 8L), skipped, "every skipped step is in the metrics log, logging interval or not");
        StepRecord last = skip.steps().getLast();
        assertEquals(3.0, last.transforms().get("guard.skipped_total"));
        assertTrue(ProgressListener.message(last, skipped.size()).endsWith("skipped 3"), ProgressListener.message(last, 3));
        String page = HtmlReport.render(skip, List.of(), "skip");
        assertTrue(page.contains("<th>skipped steps</th><td>3</td>"), "the report's summary counts the skipped steps");

        MetricsLog.Contents zero = train(dir, NonFinitePolicy.ZERO);
        assertTrue(zero.steps().stream().noneMatch(StepRecord::skipped));
        assertEquals(3.0, zero.steps().getLast().transforms().get("guard.zeroed_total"));
        assertTrue(HtmlReport.render(zero, List.of(), "zero").contains("<th>zeroed gradient elements</th><td>3</td>"));
        assertTrue(!ProgressListener.message(zero.steps().getLast(), 0).contains("skipped"));
    }
}
