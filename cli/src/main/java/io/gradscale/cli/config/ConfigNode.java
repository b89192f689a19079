package io.gradscale.cli.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One object of a configuration, with its dotted path, read field by field with validation.
 *
 * <p>Every read names the field it reads; {@link #done()} then rejects any field nobody read, listing
 * the known ones, so that a misspelt option is an error rather than silently ignored.
 */
public final class ConfigNode {
    private final JsonNode node;
    private final String path;
    private final Set<String> read = new LinkedHashSet<>();

    public ConfigNode(JsonNode node, String path) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        if (!this.node.isMissingNode() && !this.node.isNull() && !this.node.isObject()) {
            throw new ConfigException(where() + ": expected an object with fields, got " + describe(this.node));
        }
    }

    private String where() {
        return path.isEmpty() ? "the configuration" : path;
    }

    private String field(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String describe(JsonNode n) {
        return n.isTextual() ? "'" + n.asText() + "'" : n.getNodeType().name().toLowerCase(Locale.ROOT) + " " + n;
    }

    public boolean isMissing() {
        return node.isMissingNode() || node.isNull();
    }

    public boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    private JsonNode get(String name) {
        read.add(name);
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** A nested object (possibly missing). */
    public ConfigNode object(String name) {
        return new ConfigNode(get(name), field(name));
    }

    /** The raw JSON of a field, or null. */
    public JsonNode raw(String name) {
        return get(name);
    }

    public String string(String name, String def) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        if (!v.isValueNode()) {
            throw new ConfigException(field(name) + ": expected a string, got " + describe(v));
        }
        return v.asText();
    }

    /** A required string. */
    public String string(String name) {
        String s = string(name, null);
        if (s == null) {
            throw new ConfigException(field(name) + ": required");
        }
        return s;
    }

    /** One of the allowed values (case-insensitive, '-' and '_' alike), or the default. */
    public String choice(String name, String def, String... allowed) {
        String s = string(name, def);
        if (s == null) {
            throw new ConfigException(field(name) + ": required; allowed values: " + String.join(", ", allowed));
        }
        String norm = s.toLowerCase(Locale.ROOT).replace('-', '_');
        for (String a : allowed) {
            if (a.equals(norm)) {
                return a;
            }
        }
        throw new ConfigException(field(name) + ": unknown value '" + s + "'; allowed values: " + String.join(", ", allowed));
    }

    public double number(String name, double def, double min, double max) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        if (!v.isNumber()) {
            throw new ConfigException(field(name) + ": expected a number, got " + describe(v));
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw new ConfigException(field(name) + ": " + d + " is outside the allowed range [" + min + ", " + max + "]");
        }
        return d;
    }

    public int integer(String name, int def, int min, int max) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        if (!v.isIntegralNumber()) {
            throw new ConfigException(field(name) + ": expected a whole number, got " + describe(v));
        }
        long d = v.asLong();
        if (d < min || d > max) {
            throw new ConfigException(field(name) + ": " + d + " is outside the allowed range [" + min + ", " + max + "]");
        }
        return (int) d;
    }

    public long longValue(String name, long def) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        if (!v.isIntegralNumber()) {
            throw new ConfigException(field(name) + ": expected a whole number, got " + describe(v));
        }
        return v.asLong();
    }

    public boolean bool(String name, boolean def) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        if (!v.isBoolean()) {
            throw new ConfigException(field(name) + ": expected true or false, got " + describe(v));
        }
        return v.asBoolean();
    }

    /** A list of whole numbers; a single number is a list of one. */
    public int[] integers(String name, int[] def, int min, int max) {
        JsonNode v = get(name);
        if (v == null) {
            return def;
        }
        List<JsonNode> items = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(items::add);
        } else {
            items.add(v);
        }
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = items.get(i);
            if (!x.isIntegralNumber() || x.asLong() < min || x.asLong() > max) {
                throw new ConfigException(field(name) + "[" + i + "]: expected a whole number in [" + min + ", " + max + "], got "
                        + describe(x));
            }
            out[i] = x.asInt();
        }
        return out;
    }

    /** The objects of a list field (each with its indexed path). */
    public List<ConfigNode> list(String name) {
        JsonNode v = get(name);
        List<ConfigNode> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            throw new ConfigException(field(name) + ": expected a list, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            out.add(new ConfigNode(v.get(i), field(name) + "[" + i + "]"));
        }
        return out;
    }

    /** Fails on any field that was present but never read, naming it and the known fields. */
    public void done(String... alsoKnown) {
        read.addAll(Arrays.asList(alsoKnown));
        Iterator<String> it = node.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!read.contains(f)) {
                throw new ConfigException(field(f) + ": unknown field; known fields here: " + String.join(", ", read));
            }
        }
    }

    public String path() {
        return path;
    }

    /** The fields of this object as given (none when it is missing), without marking any as read. */
    java.util.Map<String, JsonNode> fields() {
        java.util.Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
