package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Engine;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input fails with a message naming the layer's path, what it expected and what it got. */
class BadInputTest {
    record Case(String name, Function<Tape, Var> call, List<String> mustMention) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Var x(Tape t, int... dims) {
        return t.constant(Tensor.zeros(dims));
    }

    private static Module nested(Module leaf) {
        return new Sequential(Activation.identity(), new Residual(new Sequential(leaf)));
    }

    static Stream<Case> cases() {
        Rng r = new Rng(1);
        Module lin = nested(new Linear(5, 5, r));
        Module rnn = nested(new LSTM(4, 3, 1, r));
        Module gru = nested(new GRU(4, 3, 2, r));
        Module bn = nested(new BatchNorm1d(4));
        Module ln = nested(new LayerNorm(3, 4));
        Module prelu = nested(new PReLU(4, 0.25f));
        Module res = new Sequential(new Residual(new Linear(5, 3, r)));
        GRU plainGru = new GRU(4, 3, 2, r);
        RNN plainRnn = new RNN(4, 3, 1, r);
        return Stream.of(
                new Case("Linear wrong width", t -> lin.forward(x(t, 3, 4)), List.of("Linear '1.body.0'", "[*, 5]", "[3, 4]")),
                new Case("LSTM wrong rank", t -> rnn.forward(x(t, 3, 4)), List.of("LSTM '1.body.0'", "rank-3", "[3, 4]")),
                new Case("GRU wrong width", t -> gru.forward(x(t, 2, 6, 5)), List.of("GRU '1.body.0'", "[batch, seq, 4]", "[2, 6, 5]")),
                new Case("GRU wrong h0", t -> plainGru.run(x(t, 2, 6, 4), x(t, 1, 2, 3), null).output(),
                        List.of("GRU (root)", "h0", "[2, 2, 3]", "[1, 2, 3]")),
                new Case("c0 for an RNN", t -> plainRnn.run(x(t, 2, 6, 4), null, x(t, 1, 2, 3)).output(), List.of("RNN (root)", "c0")),
                new Case("BatchNorm1d wrong channels", t -> bn.forward(x(t, 8, 3)), List.of("BatchNorm1d '1.body.0'", "[N, 4]", "[8, 3]")),
                new Case("BatchNorm1d batch of one", t -> bn.forward(x(t, 1, 4)), List.of("BatchNorm1d '1.body.0'", "more than 1 value", "[1, 4]")),
                new Case("LayerNorm wrong trailing shape", t -> ln.forward(x(t, 2, 4, 3)), List.of("LayerNorm '1.body.0'", "[*, 3, 4]", "[2, 4, 3]")),
                new Case("PReLU wrong channels", t -> prelu.forward(x(t, 2, 5)), List.of("PReLU '1.body.0'", "[N, 4, *]", "[2, 5]")),
                new Case("Residual without projection", t -> res.forward(x(t, 2, 5)), List.of("Residual '0'", "[2, 3]", "[2, 5]", "projection")),
                new Case("CrossEntropyLoss class out of range", t -> new CrossEntropyLoss().apply(x(t, 3, 5), new int[] {0, 7, 1}),
                        List.of("CrossEntropyLoss", "class index 7", "row 1", "[0, 5)")),
                new Case("CrossEntropyLoss negative class", t -> new CrossEntropyLoss().apply(x(t, 3, 5), new int[] {0, 1, -1}),
                        List.of("class index -1", "row 2")),
                new Case("CrossEntropyLoss wrong count", t -> new CrossEntropyLoss().apply(x(t, 3, 5), new int[] {0, 1}),
                        List.of("2 class indices", "3 rows")),
                new Case("MSELoss shapes", t -> new MSELoss().apply(x(t, 3, 5), x(t, 3, 4)), List.of("MSELoss", "[3, 5]", "[3, 4]")),
                new Case("HuberLoss shapes", t -> new HuberLoss().apply(x(t, 3, 5), x(t, 5, 3)), List.of("HuberLoss", "[3, 5]", "[5, 3]")),
                new Case("BCEWithLogitsLoss shapes", t -> new BCEWithLogitsLoss().apply(x(t, 3), x(t, 4)),
                        List.of("BCEWithLogitsLoss", "[3]", "[4]")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theErrorNamesThePathTheExpectationAndTheInput(Case c) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.call().apply(Tape.noGrad(Engine.serial())));
        for (String s : c.mustMention()) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' does not mention " + s);
        }
    }
}
