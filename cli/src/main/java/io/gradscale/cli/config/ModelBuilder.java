package io.gradscale.cli.config;

import io.gradscale.autograd.Parameter;
import io.gradscale.diag.ModelFacts;
import io.gradscale.nn.Activation;
import io.gradscale.nn.BatchNorm1d;
import io.gradscale.nn.Dropout;
import io.gradscale.nn.FanMode;
import io.gradscale.nn.GRU;
import io.gradscale.nn.Init;
import io.gradscale.nn.LSTM;
import io.gradscale.nn.Linear;
import io.gradscale.nn.Module;
import io.gradscale.nn.Nonlinearity;
import io.gradscale.nn.RNN;
import io.gradscale.nn.Recurrent;
import io.gradscale.nn.Residual;
import io.gradscale.nn.Sequential;
import io.gradscale.tensor.Rng;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@code model} section of a configuration. The facts it returns leave the clipping and the
 * learning rate unknown; {@link RunSpec} fills them in from the optimizer section.
 *
 * <pre>
 * model:
 *   type: mlp            # mlp | rnn | lstm | gru; unset: mlp for features and images, lstm for sequences
 *   input: 784           # optional: the input width, checked against the data (features per example for mlp,
 *                        # per time step for recurrent models)
 *   hidden: [64, 64]     # mlp: hidden widths; recurrent: one hidden size per layer (all equal)
 *   activation: relu     # mlp: sigmoid | tanh | relu | leaky_relu | elu | gelu | softplus
 *   init: default        # default (PyTorch's) | glorot | he | lecun | orthogonal
 *   init_gain: 1.0       # every weight matrix multiplied by this after its initialization (1 = as the scheme says)
 *   bias: 0.0            # mlp: every hidden layer's bias set to this constant (0 = the scheme's bias)
 *   batch_norm: false    # mlp: BatchNorm1d after each hidden Linear, before the activation
 *   residual: false      # mlp: x + f(x) around each hidden block (projection when widths differ)
 *   dropout: 0.0         # mlp: dropout after each hidden activation
 *   nonlinearity: tanh   # rnn: tanh | relu
 *   truncate: 0          # recurrent: truncated BPTT every k steps (0 = full)
 * </pre>
 */
public final class ModelBuilder {
    /** A built model with what the doctor should know about it. */
    public record Built(Module model, ModelFacts facts, String summary) {
    }

    private static final String[] TYPES = {"mlp", "rnn", "lstm", "gru"};
    private static final String[] ACTIVATIONS = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"};
    private static final String[] INITS = {"default", "glorot", "he", "lecun", "orthogonal"};
    /** The weight scale when none is given: the initialization scheme's own. */
    public static final double DEFAULT_INIT_GAIN = 1.0;
    /** The hidden biases' constant when none is given; 0 leaves the scheme's bias. */
    public static final double DEFAULT_BIAS = 0.0;

    private ModelBuilder() {
    }

    /**
     * Builds the model for {@code data} and {@code outputs} outputs. Without {@code type} the model type follows
     * the data's layout ({@link DataBuilder.Layout#defaultModel()}). The input width is the number of features
     * per example (the product of the example's shape) for an MLP, which flattens its input, and the size of the
     * last axis for a recurrent model, which reads one row per time step (a vector example is a series of
     * scalars); an optional {@code input} states it and is checked against the data.
     */
    public static Built build(ConfigNode m, DataBuilder.Built data, int outputs, boolean everyStep, Rng rng) {
        boolean typeGiven = m.has("type");
        String type = m.choice("type", data.layout().defaultModel(), TYPES);
        int[] dims = data.train().exampleShape().dims();
        int inputs;
        String unit;
        if (type.equals("mlp")) {
            if (everyStep) {
                throw new ConfigException(m.path() + ".type: mlp gives one output per example, but the data ("
                        + data.describeExample() + ") has a label per time step; use rnn, lstm or gru");
            }
            inputs = 1;
            for (int x : dims) {
                inputs *= x;
            }
            unit = data.describeExample();
        } else {
            if (dims.length > 2) {
                throw new ConfigException(m.path() + ".type: " + type + " reads examples of [time steps, features], but the data has "
                        + data.describeExample() + "; use mlp");
            }
            inputs = dims.length == 1 ? 1 : dims[1];
            int steps = dims[0];
            unit = inputs + " features per time step (" + (data.layout() == DataBuilder.Layout.IMAGE
                    ? steps + " rows of " + inputs + " pixels, one row per step"
                    : dims.length == 1 ? "examples of " + steps + " features read as " + steps + " steps"
                    : "sequences of " + steps + " steps") + ")";
        }
        if (m.has("input")) {
            int declared = m.integer("input", 1, 1, Integer.MAX_VALUE);
            if (declared != inputs) {
                throw new ConfigException("data has " + unit + ", but " + m.path() + ".input is " + declared
                        + (type.equals("mlp") ? "" : " (a " + type + " reads one row of its example per time step)"));
            }
        }
        String chosen = typeGiven ? "" : " (" + m.path() + ".type not set: " + type + " chosen for " + data.layout().noun() + ")";
        String init = m.choice("init", "default", INITS);
        double gain = m.number("init_gain", DEFAULT_INIT_GAIN, 1e-6, 1e6);
        if (type.equals("mlp")) {
            int[] hidden = m.integers("hidden", new int[] {64, 64}, 1, 1 << 16);
            String act = m.choice("activation", "relu", ACTIVATIONS);
            boolean bn = m.bool("batch_norm", false);
            boolean residual = m.bool("residual", false);
            double dropout = m.number("dropout", 0.0, 0.0, 0.99);
            double bias = m.number("bias", DEFAULT_BIAS, -1e6, 1e6);
            m.done();
            double params = 0;
            for (int i = 0, width = inputs; i <= hidden.length; i++) {
                int out = i < hidden.length ? hidden[i] : outputs;
                params += (double) width * out + out + (residual && i < hidden.length && width != out ? (double) width * out : 0);
                width = out;
            }
            MemoryBudget.model(m.path(), params, "an MLP " + inputs + "-" + join(hidden) + "-" + outputs);
            List<Module> layers = new ArrayList<>();
            layers.add(new Networks.Flatten());
            int width = inputs;
            for (int h : hidden) {
                List<Module> block = new ArrayList<>();
                block.add(new Linear(width, h, rng));
                if (bn) {
                    block.add(new BatchNorm1d(h));
                }
                block.add(activation(act));
                if (dropout > 0) {
                    block.add(new Dropout((float) dropout, rng.split()));
                }
                Module body = new Sequential(block.toArray(new Module[0]));
                layers.add(residual ? (width == h ? new Residual(body) : new Residual(body, new Linear(width, h, false, rng))) : body);
                width = h;
            }
            layers.add(new Linear(width, outputs, rng));
            Module model = new Sequential(layers.toArray(new Module[0]));
            initialize(model, init, nonlinearity(act), rng);
            scaleWeights(model, gain);
            if (bias != DEFAULT_BIAS) {
                setHiddenBiases(model, hidden.length, bias);
            }
            ModelFacts facts = new ModelFacts(hidden.length + 1, Collections.nCopies(hidden.length, act), bn, residual, "", init,
                    "", Double.NaN);
            return new Built(model, facts, "MLP " + inputs + "-" + join(hidden) + "-" + outputs + " " + act
                    + (bn ? " +batchnorm" : "") + (residual ? " +residual" : "") + ", init " + init
                    + (gain != DEFAULT_INIT_GAIN ? " x" + gain : "") + (bias != DEFAULT_BIAS ? ", hidden bias " + bias : "") + chosen);
        }
        int[] hidden = m.integers("hidden", new int[] {64}, 1, 1 << 14);
        for (int h : hidden) {
            if (h != hidden[0]) {
                throw new ConfigException(m.path() + ".hidden: recurrent layers share one hidden size, got " + join(hidden));
            }
        }
        String nl = type.equals("rnn") ? m.choice("nonlinearity", "tanh", "tanh", "relu") : "tanh";
        int truncate = m.integer("truncate", 0, 0, 1 << 20);
        m.done();
        int gates = switch (type) {
            case "rnn" -> 1;
            case "lstm" -> 4;
            default -> 3;
        };
        double h = hidden[0];
        MemoryBudget.model(m.path(), gates * (h * inputs + (hidden.length - 1) * h * h + hidden.length * (h * h + 2 * h)) + h * outputs + outputs,
                "a " + type.toUpperCase(java.util.Locale.ROOT) + " " + inputs + "-" + join(hidden) + "-" + outputs);
        Recurrent rnn = switch (type) {
            case "rnn" -> new RNN(inputs, hidden[0], hidden.length, nl.equals("relu") ? Nonlinearity.RELU : Nonlinearity.TANH, true, rng);
            case "lstm" -> new LSTM(inputs, hidden[0], hidden.length, rng);
            default -> new GRU(inputs, hidden[0], hidden.length, rng);
        };
        if (truncate > 0) {
            rnn.truncateEvery(truncate);
        }
        Module model = new Networks.RecurrentNet(rnn, new Linear(hidden[0], outputs, rng), everyStep);
        if (!init.equals("default")) {
            initialize(model, init, nl.equals("relu") ? Nonlinearity.RELU : Nonlinearity.TANH, rng);
        }
        scaleWeights(model, gain);
        ModelFacts facts = new ModelFacts(hidden.length + 1, List.of(nl), false, false, type, init, "", Double.NaN);
        return new Built(model, facts, type.toUpperCase(java.util.Locale.ROOT) + " " + inputs + "-" + join(hidden) + "-" + outputs
                + ", init " + init + (gain != DEFAULT_INIT_GAIN ? " x" + gain : "") + chosen);
    }

    private static String join(int[] a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            sb.append(i == 0 ? "" : "-").append(a[i]);
        }
        return sb.toString();
    }

    static Activation activation(String name) {
        return switch (name) {
            case "sigmoid" -> Activation.sigmoid();
            case "tanh" -> Activation.tanh();
            case "relu" -> Activation.relu();
            case "leaky_relu" -> Activation.leakyRelu();
            case "elu" -> Activation.elu();
            case "gelu" -> Activation.gelu();
            case "softplus" -> Activation.softplus();
            default -> throw new ConfigException("unknown activation '" + name + "'; allowed values: " + String.join(", ", ACTIVATIONS));
        };
    }

    private static Nonlinearity nonlinearity(String act) {
        return switch (act) {
            case "sigmoid" -> Nonlinearity.SIGMOID;
            case "tanh" -> Nonlinearity.TANH;
            case "relu", "gelu", "elu", "softplus" -> Nonlinearity.RELU;
            case "leaky_relu" -> Nonlinearity.LEAKY_RELU;
            default -> Nonlinearity.LINEAR;
        };
    }

    /** Multiplies every weight matrix (rank 2) by {@code gain}: a network initialized too large or too small on purpose. */
    static void scaleWeights(Module model, double gain) {
        if (gain == DEFAULT_INIT_GAIN) {
            return;
        }
        for (Parameter p : model.namedParameters().values()) {
            if (p.value().rank() >= 2) {
                float[] w = p.value().data();
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (w[i] * gain);
                }
            }
        }
    }

    /** Sets the bias of every hidden Linear layer (not the output layer's) to {@code value}. */
    static void setHiddenBiases(Module model, int hiddenLayers, double value) {
        Map<String, Parameter> named = model.namedParameters();
        List<Parameter> biases = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : named.entrySet()) {
            String k = e.getKey();
            Parameter weight = k.endsWith(".bias") ? named.get(k.substring(0, k.length() - "bias".length()) + "weight") : null;
            if (weight != null && weight.value().rank() == 2) { // a Linear layer's bias, not batch normalization's shift
                biases.add(e.getValue());
            }
        }
        // parameters are in model order: the hidden layers' biases come first, the output layer's last
        for (Parameter b : biases.subList(0, Math.min(hiddenLayers, biases.size() - 1))) {
            java.util.Arrays.fill(b.value().data(), (float) value);
        }
    }

    /** Re-initializes every weight matrix (rank 2) by the named scheme; biases become zero. PyTorch's defaults are kept for "default". */
    static void initialize(Module model, String init, Nonlinearity nl, Rng rng) {
        if (init.equals("default")) {
            return;
        }
        double slope = nl == Nonlinearity.LEAKY_RELU ? Activation.DEFAULT_LEAKY_SLOPE : 0.0;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (p.value().rank() < 2) {
                if (e.getKey().contains("bias")) {
                    Init.zeros(p.value());
                }
                continue;
            }
            switch (init) {
                case "glorot" -> Init.xavierNormal(p.value(), nl.gain(slope), rng);
                case "he" -> Init.kaimingNormal(p.value(), slope, FanMode.FAN_IN, nl == Nonlinearity.LEAKY_RELU ? nl : Nonlinearity.RELU, rng);
                case "lecun" -> Init.lecunNormal(p.value(), rng);
                case "orthogonal" -> Init.orthogonal(p.value(), nl.gain(slope), rng);
                default -> throw new ConfigException("unknown init '" + init + "'");
            }
        }
    }
}
