package io.gradscale.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.tensor.Rng;
import io.gradscale.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Paths, order, counting, modes and freezing over trees built from the layers. */
class ModuleTreeTest {
    /** A block with named children, as a user would write one. */
    static final class Block extends Module {
        final Linear fc1;
        final Linear fc2;

        Block(int width, Rng rng) {
            fc1 = registerModule("fc1", new Linear(width, width, rng));
            registerModule("act", Activation.relu());
            fc2 = registerModule("fc2", new Linear(width, width, false, rng));
        }

        @Override
        public Var forward(Var x) {
            return fc2.forward(fc1.forward(x).relu());
        }
    }

    static final class Net extends Module {
        final Sequential blocks;

        Net(Rng rng) {
            blocks = registerModule("blocks", new Sequential(new Block(3, rng), new Residual(new Block(3, rng)),
                    new Block(3, rng), new BatchNorm1d(3)));
        }

        @Override
        public Var forward(Var x) {
            return blocks.forward(x);
        }
    }

    @Test
    void pathsAreDottedStableAndInRegistrationOrder() {
        Net a = new Net(new Rng(1));
        List<String> expected = List.of(
                "blocks.0.fc1.weight", "blocks.0.fc1.bias", "blocks.0.fc2.weight",
                "blocks.1.body.fc1.weight", "blocks.1.body.fc1.bias", "blocks.1.body.fc2.weight",
                "blocks.2.fc1.weight", "blocks.2.fc1.bias", "blocks.2.fc2.weight",
                "blocks.3.weight", "blocks.3.bias");
        assertEquals(expected, List.copyOf(a.namedParameters().keySet()));
        assertEquals(expected, List.copyOf(new Net(new Rng(2)).namedParameters().keySet()));
        assertEquals(List.of("blocks.3.running_mean", "blocks.3.running_var", "blocks.3.num_batches_tracked"),
                List.copyOf(a.namedBuffers().keySet()));
    }

    @Test
    void everyModuleKnowsItsPathEvenWhenNestedAfterConstruction() {
        Net net = new Net(new Rng(1));
        for (Map.Entry<String, Module> e : net.namedModules().entrySet()) {
            assertEquals(e.getKey(), e.getValue().path());
        }
        Block b = (Block) net.blocks.get(2);
        assertEquals("blocks.2.fc1", b.fc1.path());
        assertEquals("Linear 'blocks.2.fc1'", b.fc1.where());
        Linear root = new Linear(2, 2, new Rng(1));
        assertEquals("", root.path());
        assertEquals("Linear (root)", root.where());
    }

    @Test
    void parameterCountsAndFreezingASubTree() {
        Net net = new Net(new Rng(1));
        long perBlock = 3 * 3 + 3 + 3 * 3;
        assertEquals(3 * perBlock + 6, net.parameterCount());
        net.blocks.get(1).freeze();
        assertEquals(2 * perBlock + 6, net.trainableParameterCount());
        Tape t = Tape.recording();
        t.backward(net.forward(t.constant(Tensor.randn(new Rng(4), 5, 3))).sum());
        net.namedParameters().forEach((k, p) -> assertEquals(!k.startsWith("blocks.1."), p.hasGrad(), k));
        net.blocks.get(1).unfreeze();
        assertEquals(net.parameterCount(), net.trainableParameterCount());
    }

    @Test
    void trainAndEvalReachEveryModule() {
        Net net = new Net(new Rng(1));
        net.eval();
        net.namedModules().values().forEach(m -> assertFalse(m.isTraining()));
        net.train();
        net.namedModules().values().forEach(m -> assertTrue(m.isTraining()));
    }

    @Test
    void sequentialNamesChildrenByIndexAndResidualByRole() {
        Linear proj = new Linear(4, 2, false, new Rng(1));
        Residual r = new Residual(new Linear(4, 2, new Rng(1)), proj);
        assertEquals(List.of("body.weight", "body.bias", "projection.weight"), List.copyOf(r.namedParameters().keySet()));
        assertSame(proj, r.children().get("projection"));
        Residual plain = new Residual(Activation.tanh());
        assertNull(plain.children().get("projection"));
        Tape t = Tape.noGrad(io.gradscale.tensor.Engine.serial());
        Tensor x = Tensor.vector(0.5f, -1f).reshape(1, 2);
        Tensor y = plain.forward(t.constant(x)).value();
        assertEquals(0.5f + (float) Math.tanh(0.5), y.data()[0], 1e-6f);
        assertEquals(-1f + (float) Math.tanh(-1), y.data()[1], 1e-6f);
    }
}
