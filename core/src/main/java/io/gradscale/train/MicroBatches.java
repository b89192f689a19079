package io.gradscale.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * How one step's batch is cut into micro-batches, and the one fixed tree in which their gradient sums are added.
 *
 * <p>A batch of {@code L} examples (positions {@code 0..L-1} of the step's share of the epoch's permutation)
 * is cut into {@code k = min(m, L)} contiguous micro-batches, the first {@code L mod k} of them one example
 * longer. Micro-batch {@code i} contributes the gradient of {@code s * (n_i / L) * loss_i}, where
 * {@code loss_i} is its mean loss, {@code n_i} its size and {@code s} the loss scale; these sum to the
 * gradient of the scaled mean loss of the whole batch.
 *
 * <p>Float addition is not associative, so the order of the sums is fixed here, once: the sum over
 * micro-batches {@code [lo, hi)} is a leaf when {@code hi - lo = 1}, else the sum over {@code [lo, mid)}
 * plus the sum over {@code [mid, hi)}, with {@code mid = lo + 2^floor(log2(hi - lo - 1))} (the left part
 * is the largest power of two shorter than the range: the tree a binary counter builds, so aligned blocks of
 * micro-batches are whole subtrees). One machine evaluates it depth first ({@link #evaluate}); a cluster lets
 * each worker evaluate the largest subtrees inside the micro-batches it holds ({@link #pieces}) and the
 * driver adds the pieces in the same tree ({@link #combine}). Both compute the same expression, so the
 * result has the same bits whatever the number of workers, the assignment of micro-batches to them and the
 * order in which they finish (the "same bits" sketch of the design notes; pairwise summation as in
 * Higham, "The accuracy of floating point summation", SIAM J. Sci. Comput. 14(4), 1993, also keeps the
 * rounding error growth at {@code O(log k)} rather than {@code O(k)}).
 */
public final class MicroBatches {
    private MicroBatches() {
    }

    /** The number of micro-batches a batch of {@code batchSize} examples is cut into when {@code requested} are asked for. */
    public static int count(int batchSize, int requested) {
        if (requested < 1) {
            throw new IllegalArgumentException("micro-batches must be >= 1, got " + requested);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("a batch needs at least one example, got " + batchSize);
        }
        return Math.min(batchSize, requested);
    }

    /** The first position of micro-batch {@code i} of {@code count} in a batch of {@code batchSize}; {@code i = count} gives the end. */
    public static int start(int batchSize, int count, int i) {
        int base = batchSize / count;
        int longer = batchSize % count;
        return i * base + Math.min(i, longer);
    }

    /** The micro-batch (of {@code count}) that holds position {@code pos} of a batch of {@code batchSize}. */
    public static int of(int batchSize, int count, int pos) {
        int base = batchSize / count;
        int longer = batchSize % count;
        int split = longer * (base + 1);
        return pos < split ? pos / (base + 1) : longer + (pos - split) / base;
    }

    /** Where the tree splits the range {@code [lo, hi)} of at least two micro-batches. */
    public static int mid(int lo, int hi) {
        if (hi - lo < 2) {
            throw new IllegalArgumentException("a range of " + (hi - lo) + " micro-batches is a leaf, not split");
        }
        return lo + Integer.highestOneBit(hi - lo - 1);
    }

    /** A node of the tree: the sum over micro-batches {@code [lo, hi)}. */
    public record Node(int lo, int hi) implements java.io.Serializable {
        public Node {
            if (lo < 0 || hi <= lo) {
                throw new IllegalArgumentException("bad micro-batch range [" + lo + ", " + hi + ")");
            }
        }
    }

    /**
     * The largest nodes of the tree over {@code [0, count)} that lie inside {@code [from, to)}, in order: what a
     * worker holding those micro-batches can add up on its own.
     */
    public static List<Node> pieces(int count, int from, int to) {
        if (from < 0 || to > count || from >= to) {
            throw new IllegalArgumentException("micro-batches [" + from + ", " + to + ") are not a non-empty part of [0, " + count + ")");
        }
        List<Node> out = new ArrayList<>();
        collect(0, count, from, to, out);
        return out;
    }

    private static void collect(int lo, int hi, int from, int to, List<Node> out) {
        if (hi <= from || lo >= to) {
            return;
        }
        if (from <= lo && hi <= to) {
            out.add(new Node(lo, hi));
            return;
        }
        int m = mid(lo, hi);
        collect(lo, m, from, to, out);
        collect(m, hi, from, to, out);
    }

    /**
     * The sum over {@code node} evaluated depth first, left before right: {@code leaf} computes micro-batch i's
     * contribution, {@code add} adds its second argument into its first and returns it.
     */
    public static <T> T evaluate(Node node, IntFunction<T> leaf, java.util.function.BinaryOperator<T> add) {
        if (node.hi() - node.lo() == 1) {
            return leaf.apply(node.lo());
        }
        int m = mid(node.lo(), node.hi());
        T left = evaluate(new Node(node.lo(), m), leaf, add);
        T right = evaluate(new Node(m, node.hi()), leaf, add);
        return add.apply(left, right);
    }

    /**
     * The sum over {@code [0, count)} from precomputed nodes ({@link #pieces} of workers that together hold every
     * micro-batch once), added in the tree's order.
     */
    public static <T> T combine(int count, Map<Node, T> pieces, java.util.function.BinaryOperator<T> add) {
        return combine(new Node(0, count), pieces, add);
    }

    private static <T> T combine(Node node, Map<Node, T> pieces, java.util.function.BinaryOperator<T> add) {
        T given = pieces.get(node);
        if (given != null) {
            return given;
        }
        if (node.hi() - node.lo() == 1) {
            throw new IllegalArgumentException("no worker returned the gradient of micro-batch " + node.lo());
        }
        int m = mid(node.lo(), node.hi());
        return add.apply(combine(new Node(node.lo(), m), pieces, add), combine(new Node(m, node.hi()), pieces, add));
    }
}
