package io.gradscale.cli.remedy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gradscale.cli.config.ConfigException;

/**
 * One typed change to a run configuration (the YAML or JSON tree {@link io.gradscale.cli.config.RunSpec} reads).
 * A {@link Remedy} is a list of these: the same objects are printed, applied, rerun and written to
 * {@code remedied.yaml}, and they round-trip to JSON and YAML with their kind in the field {@code "set"}.
 *
 * <p>Each edit changes only the fields it names and leaves the rest of the configuration as it was; the
 * result is validated by building it, like any configuration.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "set")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ConfigEdit.ModelField.class, name = "model"),
    @JsonSubTypes.Type(value = ConfigEdit.Cell.class, name = "cell"),
    @JsonSubTypes.Type(value = ConfigEdit.ClipGlobalNorm.class, name = "clip_global_norm"),
    @JsonSubTypes.Type(value = ConfigEdit.RemoveTransform.class, name = "remove_transform"),
    @JsonSubTypes.Type(value = ConfigEdit.LearningRate.class, name = "learning_rate"),
    @JsonSubTypes.Type(value = ConfigEdit.Guard.class, name = "guard"),
    @JsonSubTypes.Type(value = ConfigEdit.ClassLoss.class, name = "loss")})
public sealed interface ConfigEdit permits ConfigEdit.ModelField, ConfigEdit.Cell, ConfigEdit.ClipGlobalNorm,
        ConfigEdit.RemoveTransform, ConfigEdit.LearningRate, ConfigEdit.Guard, ConfigEdit.ClassLoss {
    /** Applies the edit to {@code config} in place. */
    void applyTo(ObjectNode config);

    /** The change as one line against the configuration before it, e.g. {@code model.activation: sigmoid -> relu}. */
    String describe(JsonNode before);

    /**
     * One field of the {@code model} section set to a value: {@code activation}, {@code init}, {@code batch_norm},
     * {@code residual} or {@code nonlinearity} (see {@link io.gradscale.cli.config.ModelBuilder}).
     *
     * @param field the field's name in {@code model}
     * @param value its new value (a string or a boolean, as the field takes)
     */
    record ModelField(String field, JsonNode value) implements ConfigEdit {
        /** Each field this edit may set, with what its absence means (for {@link #describe}). */
        static final java.util.Map<String, String> FIELDS = java.util.Map.of("activation", "relu (the default)", "init", "default",
                "batch_norm", "false", "residual", "false", "nonlinearity", "tanh");

        public ModelField {
            if (!FIELDS.containsKey(field)) {
                throw new IllegalArgumentException("a model edit sets one of " + new java.util.TreeSet<>(FIELDS.keySet()) + ", not '"
                        + field + "'");
            }
            if (value == null || !(value.isTextual() || value.isBoolean())) {
                throw new IllegalArgumentException("model." + field + ": expected a string or a boolean, got " + value);
            }
        }

        /** {@code model.activation} of an MLP. */
        public static ModelField activation(String a) {
            return new ModelField("activation", TextNode.valueOf(a));
        }

        /** {@code model.init}: the weight initialization. */
        public static ModelField init(String i) {
            return new ModelField("init", TextNode.valueOf(i));
        }

        /** {@code model.batch_norm} of an MLP: BatchNorm1d after each hidden Linear. */
        public static ModelField batchNorm(boolean on) {
            return new ModelField("batch_norm", BooleanNode.valueOf(on));
        }

        /** {@code model.residual} of an MLP: x + f(x) around each hidden block. */
        public static ModelField residual(boolean on) {
            return new ModelField("residual", BooleanNode.valueOf(on));
        }

        /** {@code model.nonlinearity} of an Elman RNN. */
        public static ModelField nonlinearity(String n) {
            return new ModelField("nonlinearity", TextNode.valueOf(n));
        }

        @Override
        public void applyTo(ObjectNode config) {
            model(config).set(field, value);
        }

        @Override
        public String describe(JsonNode before) {
            return change("model." + field, before.path("model").path(field), FIELDS.get(field), value.asText());
        }
    }

    /** {@code model.type} of a recurrent model ({@code lstm} or {@code gru}); drops the Elman-only {@code nonlinearity}. */
    record Cell(String type) implements ConfigEdit {
        @Override
        public void applyTo(ObjectNode config) {
            ObjectNode m = model(config);
            m.put("type", type);
            if (!type.equals("rnn")) {
                m.remove("nonlinearity");
            }
        }

        @Override
        public String describe(JsonNode before) {
            JsonNode nl = before.path("model").path("nonlinearity");
            return change("model.type", before.path("model").path("type"), "(by the data)", type)
                    + (nl.isMissingNode() || type.equals("rnn") ? "" : ", model.nonlinearity: " + nl.asText() + " -> (removed)");
        }
    }

    /**
     * Clip the gradient by its global L2 norm at {@code maxNorm}: sets the {@code max_norm} of the first
     * {@code clip_global_norm} transform, or inserts one first in {@code transforms} (after a leading guard).
     *
     * @param maxNorm the threshold
     * @param basis how it was derived, for people (e.g. "median of 200 observed norms")
     */
    record ClipGlobalNorm(double maxNorm, String basis) implements ConfigEdit {
        public ClipGlobalNorm {
            if (!(maxNorm > 0) || !Double.isFinite(maxNorm)) {
                throw new IllegalArgumentException("clip_global_norm max_norm must be positive and finite, got " + maxNorm);
            }
        }

        @Override
        public void applyTo(ObjectNode config) {
            ArrayNode ts = transforms(config);
            for (JsonNode t : ts) {
                if ("clip_global_norm".equals(t.path("type").asText())) {
                    ((ObjectNode) t).put("max_norm", maxNorm);
                    return;
                }
            }
            ObjectNode clip = config.objectNode().put("type", "clip_global_norm").put("max_norm", maxNorm);
            ts.insert(ts.size() > 0 && "guard".equals(ts.get(0).path("type").asText()) ? 1 : 0, clip);
        }

        @Override
        public String describe(JsonNode before) {
            for (JsonNode t : before.path("transforms")) {
                if ("clip_global_norm".equals(t.path("type").asText())) {
                    return "transforms: clip_global_norm max_norm " + t.path("max_norm").asText("1.0") + " -> " + num(maxNorm)
                            + " (" + basis + ")";
                }
            }
            return "transforms: + clip_global_norm(max_norm " + num(maxNorm) + ", " + basis + ")";
        }
    }

    /**
     * Removes every transform of one type from {@code transforms} (e.g. a clipper that acts on every step); the others
     * keep their order.
     *
     * @param type the transform's {@code type}, as a configuration names it ({@code clip_value}, {@code autoclip}, ...)
     */
    record RemoveTransform(String type) implements ConfigEdit {
        public RemoveTransform {
            if (type == null || type.isBlank()) {
                throw new IllegalArgumentException("remove_transform needs the type of the transform to remove, got '" + type + "'");
            }
        }

        @Override
        public void applyTo(ObjectNode config) {
            ArrayNode ts = transforms(config);
            for (int i = ts.size() - 1; i >= 0; i--) {
                if (type.equals(ts.get(i).path("type").asText())) {
                    ts.remove(i);
                }
            }
        }

        @Override
        public String describe(JsonNode before) {
            for (JsonNode t : before.path("transforms")) {
                if (type.equals(t.path("type").asText())) {
                    return "transforms: - " + t + " (removed)";
                }
            }
            return "transforms: no " + type + " to remove";
        }
    }

    /**
     * {@code optimizer.lr}.
     *
     * @param lr the new learning rate
     * @param factor what it is relative to the configured one (for people)
     */
    record LearningRate(double lr, double factor) implements ConfigEdit {
        public LearningRate {
            if (!(lr > 0) || !Double.isFinite(lr)) {
                throw new IllegalArgumentException("learning rate must be positive and finite, got " + lr);
            }
        }

        @Override
        public void applyTo(ObjectNode config) {
            section(config, "optimizer").put("lr", lr);
        }

        @Override
        public String describe(JsonNode before) {
            return change("optimizer.lr", before.path("optimizer").path("lr"), "the optimizer's default", num(lr))
                    + " (x" + num(factor) + ")";
        }
    }

    /** A non-finite guard ({@code {type: guard, policy: skip}}) first in {@code transforms}, unless one is there. */
    record Guard() implements ConfigEdit {
        @Override
        public void applyTo(ObjectNode config) {
            ArrayNode ts = transforms(config);
            for (JsonNode t : ts) {
                if ("guard".equals(t.path("type").asText())) {
                    return;
                }
            }
            ts.insert(0, config.objectNode().put("type", "guard").put("policy", "skip"));
        }

        @Override
        public String describe(JsonNode before) {
            return "transforms: + guard(policy skip) first";
        }
    }

    /**
     * {@code training.loss}: how a classification loss reads the model's outputs ({@code logits}, the log-sum-exp form, or
     * {@code probabilities}, {@code -log(softmax(z)_y)} written literally; see {@link io.gradscale.train.Objective.ClassLoss}).
     *
     * @param loss the new value
     */
    record ClassLoss(String loss) implements ConfigEdit {
        public ClassLoss {
            if (!"logits".equals(loss) && !"probabilities".equals(loss)) {
                throw new IllegalArgumentException("training.loss is logits or probabilities, not '" + loss + "'");
            }
        }

        @Override
        public void applyTo(ObjectNode config) {
            section(config, "training").put("loss", loss);
        }

        @Override
        public String describe(JsonNode before) {
            return change("training.loss", before.path("training").path("loss"), "logits (the default)", loss);
        }
    }

    private static ObjectNode model(ObjectNode config) {
        return section(config, "model");
    }

    /** The section {@code name} of {@code config}, made empty when it is absent. */
    private static ObjectNode section(ObjectNode config, String name) {
        JsonNode m = config.get(name);
        if (m == null || m.isNull()) {
            return config.putObject(name);
        }
        if (!(m instanceof ObjectNode o)) {
            throw new ConfigException(name + ": expected an object with fields, got " + m);
        }
        return o;
    }

    private static ArrayNode transforms(ObjectNode config) {
        JsonNode t = config.get("transforms");
        if (t == null || t.isNull()) {
            return config.putArray("transforms");
        }
        if (!(t instanceof ArrayNode a)) {
            throw new ConfigException("transforms: expected a list, got " + t);
        }
        return a;
    }

    private static String change(String field, JsonNode old, String absent, String now) {
        return field + ": " + (old.isMissingNode() || old.isNull() ? absent : old.asText()) + " -> " + now;
    }

    /** Up to four significant digits, no trailing zeros: 0.01, 0.143, 2.5e-05. */
    private static String num(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toString();
    }
}
