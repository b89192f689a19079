package io.gradscale.transform;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ordered name-to-number record of what the transforms did in one step: {@code clip_global_norm.norm},
 * {@code clip_global_norm.factor}, {@code guard.skipped}, ...
 *
 * <p>Reused from step to step without allocation once every name has been seen: {@link #clear()}
 * forgets the values and keeps the storage. The trainer copies {@link #asMap()} into its step record.
 */
public final class Metrics {
    private String[] names = new String[16];
    private double[] values = new double[16];
    private int size;

    /** Records {@code value} under {@code name}, replacing an earlier value of this step. */
    public void put(String name, double value) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                values[i] = value;
                return;
            }
        }
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size] = value;
        size++;
    }

    /** The value under {@code name}, or NaN when nothing was recorded this step. */
    public double get(String name) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                return values[i];
            }
        }
        return Double.NaN;
    }

    public boolean contains(String name) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                return true;
            }
        }
        return false;
    }

    public int size() {
        return size;
    }

    /** Forgets every value. */
    public void clear() {
        size = 0;
    }

    /** A copy in recording order. */
    public Map<String, Double> asMap() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            out.put(names[i], values[i]);
        }
        return out;
    }

    @Override
    public String toString() {
        return asMap().toString();
    }
}
