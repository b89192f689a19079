package io.gradscale.io;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A separate process for {@link CheckpointTest}: writes checkpoints of step 1, 2, 3, ... into a
 * directory until it is killed. In step {@code k} every tensor element equals {@code k} and the state
 * says {@code "step": k}, so a reader can tell a consistent checkpoint from a mixture of two.
 */
public final class CheckpointWriterProcess {
    private CheckpointWriterProcess() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        for (int step = 1; ; step++) {
            Checkpoint.write(dir, tensorsFor(step), stateFor(step));
        }
    }

    static Map<String, Tensor> tensorsFor(int step) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("0.weight", Tensor.full(step, 256, 256));
        t.put("0.bias", Tensor.full(step, 256));
        return t;
    }

    static ObjectNode stateFor(int step) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("step", step);
        s.putObject("rng").put("state", 0x9E3779B97F4A7C15L * step);
        return s;
    }
}
