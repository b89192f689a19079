package io.gradscale.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.data.Batch;
import io.gradscale.data.Dataset;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The two classification losses agree wherever the label's probability is representable, and only the literal
 * -log(softmax) form meets log(0) when it underflows in float32 (a logit gap above about 104).
 */
class ObjectiveTest {
    @ParameterizedTest(name = "label logit {0} below the other")
    @CsvSource({"0", "3", "20", "80", "120", "300"})
    void logitsAndProbabilitiesAgreeUntilTheProbabilityUnderflows(double gap) {
        Dataset data = Dataset.classification(Tensor.of(new float[] {0f, 0f}, 1, 2), new int[] {0}, 2);
        Batch batch = data.batch(0, 1);
        double[] loss = new double[2];
        double[] grad = new double[2];
        Objective.ClassLoss[] kinds = Objective.ClassLoss.values();
        for (int k = 0; k < kinds.length; k++) {
            Tape tape = Tape.recording(Engine.serial());
            Var logits = tape.variable(Tensor.of(new float[] {0f, (float) gap}, 1, 2));
            Var l = Objective.forTask(data.task(), kinds[k]).loss(logits, batch);
            tape.backward(l);
            loss[k] = l.value().data()[0];
            grad[k] = logits.grad().data()[0];
        }
        // exact: log(1 + e^gap), about the gap itself when large
        assertEquals(gap + Math.log1p(Math.exp(-gap)), loss[0], 1e-4 * Math.max(1, gap), "from logits: always finite");
        if (gap < 100) {
            assertEquals(loss[0], loss[1], 1e-3 * Math.max(1, gap), "the literal form agrees while the probability is representable");
        } else {
            assertTrue(Double.isInfinite(loss[1]), "log(0): the literal form's loss is infinite, got " + loss[1]);
            assertTrue(!Double.isFinite(grad[1]), "and its gradient is not finite, got " + grad[1]);
        }
        assertTrue(Double.isFinite(grad[0]));
    }
}
