package io.gradscale.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.io.FileFormatException;
import io.gradscale.io.Safetensors;
import io.gradscale.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-feature standardisation {@code x' = (x - mean) / std}, features along the last axis.
 *
 * <p>{@link #fit} pools every position except the last axis (rows of a table, or rows and time
 * steps of sequences {@code [n, T, f]}), sums exactly ({@link ExactMoments}: the same bits in any order of the rows,
 * so a cluster that sums its partitions' rows gets one machine's statistics), and uses the population standard
 * deviation (divisor {@code m}, as scikit-learn's {@code StandardScaler}). A constant feature has
 * standard deviation 0 and is given 1 instead, so it becomes 0 rather than NaN (scikit-learn does
 * the same). Fit on the training set only and apply the same transform to validation and test sets.
 *
 * <p>A standardiser of one feature ({@link #fitPooled}) holds one mean and one standard deviation
 * over every element, and applies them to every element whatever the last axis: the convention of
 * image pipelines, which normalise pixels by one statistic over the whole training set (as
 * torchvision's {@code Normalize((0.1307,), (0.3081,))} does for MNIST) rather than per column.
 *
 * <p>{@link #write}/{@link #read} keep it in a safetensors file (tensors {@code mean} and {@code std}, float32
 * {@code [features]}), so that a trained model's inputs get exactly, bit for bit, the transform its
 * training data got.
 */
public final class Standardizer {
    private final float[] mean;
    private final float[] std;

    /** A transform with the given per-feature statistics (copied); every std must be positive and finite. */
    public Standardizer(float[] mean, float[] std) {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std must be non-empty and of equal length, got "
                    + mean.length + " and " + std.length);
        }
        for (int j = 0; j < std.length; j++) {
            if (!(std[j] > 0) || !Float.isFinite(std[j]) || !Float.isFinite(mean[j])) {
                throw new IllegalArgumentException("feature " + j + ": need a finite mean and a positive finite std, got mean "
                        + mean[j] + ", std " + std[j]);
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** Statistics of {@code features} per last-axis feature. */
    public static Standardizer fit(Tensor features) {
        if (features.rank() < 2) {
            throw new IllegalArgumentException("standardisation needs features of rank >= 2 ([n, ..., features]), got shape "
                    + features.shape());
        }
        int f = features.dim(-1);
        int m = features.size() / f;
        if (m == 0) {
            throw new IllegalArgumentException("cannot fit a standardiser on zero examples (shape " + features.shape() + ")");
        }
        return new ExactMoments(f).addRows(features.data(), 0, m * f).standardizer();
    }

    /**
     * The standardiser of features with means {@code mu} and sums of squared deviations {@code ss} over {@code m}
     * positions (the population standard deviation; 0 becomes 1): the last step of {@link #fit}, for callers that
     * gathered the sums elsewhere ({@link ExactMoments#standardizer}).
     */
    public static Standardizer fromMoments(double[] mu, double[] ss, long m) {
        int f = mu.length;
        float[] mean = new float[f];
        float[] std = new float[f];
        for (int j = 0; j < f; j++) {
            mean[j] = (float) mu[j];
            double s = Math.sqrt(ss[j] / m);
            std[j] = s > 0 ? (float) s : 1f;
        }
        return new Standardizer(mean, std);
    }

    /** One mean and one population standard deviation over every element of {@code x} (see the class comment). */
    public static Standardizer fitPooled(Tensor x) {
        return fit(x.reshape(x.size(), 1));
    }

    /** Number of features. */
    public int features() {
        return mean.length;
    }

    public float[] mean() {
        return mean.clone();
    }

    public float[] std() {
        return std.clone();
    }

    /**
     * A new tensor {@code (x - mean) / std}; the last axis of {@code x} must be the feature axis, unless
     * this standardiser has one feature, which applies to every element.
     */
    public Tensor apply(Tensor x) {
        if (x.rank() < 1 || (mean.length != 1 && x.dim(-1) != mean.length)) {
            throw new IllegalArgumentException("standardiser fitted on " + mean.length + " features cannot apply to shape " + x.shape());
        }
        float[] src = x.data();
        float[] dst = new float[src.length];
        int f = mean.length;
        for (int i = 0; i < src.length; i++) {
            int j = i % f;
            dst[i] = (src[i] - mean[j]) / std[j];
        }
        return Tensor.wrap(dst, x.shape());
    }

    /** The statistics as {@code {"mean": [...], "std": [...]}}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode m = o.putArray("mean");
        ArrayNode s = o.putArray("std");
        for (int j = 0; j < mean.length; j++) {
            m.add(mean[j]);
            s.add(std[j]);
        }
        return o;
    }

    /** The inverse of {@link #toJson()}. */
    public static Standardizer fromJson(JsonNode node) {
        JsonNode m = node.get("mean");
        JsonNode s = node.get("std");
        if (m == null || s == null || !m.isArray() || !s.isArray()) {
            throw new IllegalArgumentException("a standardiser needs arrays \"mean\" and \"std\", got " + node);
        }
        float[] mean = new float[m.size()];
        float[] std = new float[s.size()];
        for (int j = 0; j < mean.length; j++) {
            mean[j] = (float) m.get(j).asDouble();
        }
        for (int j = 0; j < std.length; j++) {
            std[j] = (float) s.get(j).asDouble();
        }
        return new Standardizer(mean, std);
    }

    /** The safetensors metadata value of {@code format} that marks a standardiser's file. */
    public static final String FORMAT = "gradscale-standardizer";

    /** Writes the statistics to {@code file} (safetensors, written atomically). */
    public void write(Path file) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("mean", Tensor.wrap(mean.clone(), mean.length));
        t.put("std", Tensor.wrap(std.clone(), std.length));
        Safetensors.write(file, t, Map.of("format", FORMAT));
    }

    /** Reads what {@link #write} wrote; a file of another shape fails with its name and what it holds. */
    public static Standardizer read(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Tensor m = c.tensors().get("mean");
        Tensor s = c.tensors().get("std");
        if (m == null || s == null || m.rank() != 1 || s.rank() != 1 || m.size() != s.size()) {
            throw new FileFormatException(file + ": expected a standardiser (tensors 'mean' and 'std' of one equal length), found "
                    + c.tensors().keySet());
        }
        try {
            return new Standardizer(m.data(), s.data());
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file + ": " + e.getMessage(), e);
        }
    }
}
