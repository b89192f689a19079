package io.gradscale.spark;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.Tape;
import io.gradscale.autograd.Var;
import io.gradscale.data.Batch;
import io.gradscale.data.Dataset;
import io.gradscale.nn.Module;
import io.gradscale.tensor.Engine;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.GradientSource;
import io.gradscale.train.GradientSum;
import io.gradscale.train.MicroBatchPass;
import io.gradscale.train.MicroBatches;
import io.gradscale.train.Objective;
import io.gradscale.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Synchronous data-parallel gradients on Apache Spark: each step the driver broadcasts its weights, every
 * partition runs the forward and backward passes of the micro-batches it holds and sums them in the subtrees of
 * the fixed tree ({@link MicroBatches}) that lie inside its share, and the driver adds those pieces in the same
 * tree. The trainer then runs the monitor, the gradient-transform chain (guards, clipping, the optimizer) and
 * every listener once, on the driver, on the aggregated gradient: global-norm clipping sees the global norm.
 *
 * <p><b>Same bits as one machine.</b> The micro-batch, not the partition, is the unit of reduction. At each
 * epoch the examples are shuffled over the partitions (one Spark shuffle) so that partition {@code p} holds
 * micro-batches {@code [ceil(p k / P), ceil((p + 1) k / P))} of every step, in the epoch permutation's order;
 * each micro-batch's gradient is computed by {@link MicroBatchPass} as on one machine, and the additions are the
 * tree's. The final weights are therefore bit-identical to {@link io.gradscale.train.LocalGradients} with the
 * same micro-batches, for any partition count {@code P}, any placement of tasks and any order in which they
 * finish; a retried task recomputes the same pieces.
 *
 * <p>{@link Reduction#TREE_AGGREGATE} is the plain alternative, for comparison: each partition adds its
 * micro-batches one after the other and {@code treeAggregate} adds the partitions; its bits depend on the
 * partition count.
 *
 * <p>Models with dropout or batch normalization are refused: their random draws and running statistics
 * would advance on the executors' copies, not on the driver's model.
 */
public final class SparkGradients implements GradientSource, AutoCloseable {
    /** How the micro-batches' gradients are added. */
    public enum Reduction {
        /** The fixed tree over micro-batch indices: same bits for any partition count. */
        FIXED_TREE,
        /** Sequential sums per partition, then {@code treeAggregate}: bits depend on the partition count. */
        TREE_AGGREGATE
    }

    /** Depth of the {@code treeAggregate} of {@link Reduction#TREE_AGGREGATE} (Spark's default). */
    public static final int TREE_AGGREGATE_DEPTH = 2;

    private final JavaSparkContext sc;
    private final DistributedDataset train;
    private final ModelFactory factory;
    private final MicroBatchPass driver;
    private final List<Parameter> weights;
    private final int partitions;
    private final Reduction reduction;
    private final StepTimes times = new StepTimes();
    private int[] laidOut;
    private int laidOutBatch;
    private int laidOutMicro;
    private JavaRDD<Shard> shards;

    /**
     * @param model the driver's model, whose parameter gradients receive the aggregated gradient
     * @param factory builds the same architecture on the executors
     * @param partitions the number of partitions (tasks) of each step
     */
    public SparkGradients(JavaSparkContext sc, DistributedDataset train, Module model, ModelFactory factory, int partitions,
                          Reduction reduction) {
        if (partitions < 1) {
            throw new IllegalArgumentException("spark partitions must be >= 1, got " + partitions);
        }
        if (!model.namedRngs().isEmpty()) {
            throw new IllegalArgumentException("the model draws random numbers in training (" + model.namedRngs().keySet()
                    + ", e.g. dropout): on Spark those draws would happen on the executors' copies; remove dropout to train on Spark");
        }
        if (!model.namedBuffers().isEmpty()) {
            throw new IllegalArgumentException("the model has buffers updated in training (" + model.namedBuffers().keySet()
                    + ", e.g. batch normalization's running statistics): on Spark they would change only on the executors'"
                    + " copies; use layer normalization to train on Spark");
        }
        this.sc = sc;
        this.train = train;
        this.factory = factory;
        this.driver = new MicroBatchPass(model, Objective.forTask(train.layout().task()), Engine.serial());
        this.weights = new ArrayList<>(model.namedParameters().values());
        this.partitions = partitions;
        this.reduction = reduction;
    }

    @Override
    public int size() {
        return train.size();
    }

    /** Where the time of the steps went (cumulative; {@link StepTimes#reset} to start over). */
    public StepTimes times() {
        return times;
    }

    @Override
    public StepResult compute(StepBatch b) {
        long tLayout = System.nanoTime();
        layOut(b);
        long t0 = System.nanoTime();
        times.layoutNanos += t0 - tLayout;
        int n = b.size();
        int k = b.count();
        Broadcast<float[][]> w = sc.broadcast(weightArrays());
        long t1 = System.nanoTime();
        times.broadcastNanos += t1 - t0;
        times.bytesBroadcast += weightBytes();
        ModelFactory f = factory;
        Layout layout = train.layout();
        int p = partitions;
        double scale = b.lossScale();
        boolean probe = b.probeActivations();
        int from = b.from();
        GradientSum sum;
        Map<String, ActivationStats> acts = Map.of();
        try {
            if (reduction == Reduction.FIXED_TREE) {
                List<Pieces> results = shards.mapPartitionsWithIndex((part, it) -> List.of(
                        runStep(only(it), part, p, f, w.value(), layout, from, n, k, scale, probe)).iterator(), true).collect();
                long t2 = System.nanoTime();
                Map<MicroBatches.Node, GradientSum> nodes = new HashMap<>();
                long computeMax = 0;
                long encodeMax = 0;
                for (Pieces r : results) {
                    nodes.putAll(Pieces.decode(r.encoded()));
                    times.bytesToDriver += r.encoded().length;
                    times.computeSumNanos += r.computeNanos();
                    computeMax = Math.max(computeMax, r.computeNanos());
                    encodeMax = Math.max(encodeMax, r.encodeNanos());
                    if (r.activations() != null) {
                        acts = r.activations();
                    }
                }
                long t3 = System.nanoTime();
                sum = MicroBatches.combine(k, nodes, GradientSum::add);
                times.decodeNanos += t3 - t2;
                times.combineNanos += System.nanoTime() - t3;
                times.computeMaxNanos += computeMax;
                times.encodeMaxNanos += encodeMax;
            } else {
                GradientSum zero = new GradientSum(new float[weights.size()][], 0.0);
                sum = shards.treeAggregate(zero, (acc, shard) -> GradientSum.add(acc,
                        foldStep(shard, shard.partition, p, f, w.value(), layout, from, n, k, scale)), GradientSum::add,
                        TREE_AGGREGATE_DEPTH);
                times.bytesToDriver += sum.bytes() * Math.min(p, k); // the plain variant does not probe activations
            }
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw failure(b.step(), e);
        } finally {
            w.destroy();
        }
        driver.load(sum);
        times.totalNanos += System.nanoTime() - t0;
        times.steps++;
        return new StepResult(sum.loss(), acts);
    }

    /** Validation loss and accuracy of the driver's current weights, computed on the executors. */
    public Trainer.Evaluation evaluate(DistributedDataset data) {
        Broadcast<float[][]> w = sc.broadcast(weightArrays());
        ModelFactory f = factory;
        Layout layout = data.layout();
        try {
            List<double[]> parts = data.rows().mapPartitionsWithIndex((part, it) -> {
                List<Example> rows = new ArrayList<>();
                it.forEachRemaining(rows::add);
                rows.sort((a, c) -> Integer.compare(a.index(), c.index()));
                double[] out = {part, 0, 0};
                if (rows.isEmpty()) {
                    return List.of(out).iterator();
                }
                Module m = load(f, w.value());
                m.eval();
                Objective obj = Objective.forTask(layout.task());
                for (int lo = 0; lo < rows.size(); lo += EVAL_CHUNK) {
                    Batch batch = layout.toDataset(rows.subList(lo, Math.min(rows.size(), lo + EVAL_CHUNK))).batch(0,
                            Math.min(rows.size(), lo + EVAL_CHUNK) - lo);
                    Var o = m.forward(Tape.noGrad(Engine.serial()).constant(batch.inputs()));
                    out[1] += obj.loss(o, batch).item() * batch.size();
                    out[2] += obj.accuracy(o.value(), batch) * batch.size();
                }
                return List.of(out).iterator();
            }, true).collect();
            double loss = 0;
            double acc = 0;
            List<double[]> sorted = new ArrayList<>(parts);
            sorted.sort((a, c) -> Double.compare(a[0], c[0]));
            for (double[] x : sorted) {
                loss += x[1];
                acc += x[2];
            }
            return new Trainer.Evaluation(loss / data.size(), acc / data.size());
        } catch (RuntimeException e) {
            throw failure(-1, e);
        } finally {
            w.destroy();
        }
    }

    /** Rows evaluated per forward pass on an executor. */
    static final int EVAL_CHUNK = 1024;

    private float[][] weightArrays() {
        float[][] out = new float[weights.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = weights.get(i).value().data();
        }
        return out;
    }

    private long weightBytes() {
        long n = 0;
        for (Parameter p : weights) {
            n += 4L * p.size();
        }
        return n;
    }

    /** The examples of one partition for one epoch, in the permutation's order, and the positions they hold. */
    static final class Shard implements java.io.Serializable {
        final int partition;
        final int[] positions;
        final Example[] rows;
        /**
         * The executor's model for this partition, built on its first step of the epoch: the shard is cached
         * deserialized, so the same object (and model) serves every step's task of the partition on that executor.
         * Never serialized; a recomputed or moved shard builds its own.
         */
        private transient Module model;

        Shard(int partition, int[] positions, Example[] rows) {
            this.partition = partition;
            this.positions = positions;
            this.rows = rows;
        }

        /** The model with the driver's weights {@code w}. */
        Module model(ModelFactory f, float[][] w) {
            if (model == null) {
                model = f.create();
            }
            load(model, w);
            return model;
        }

        /** The examples at positions [lo, hi) of the permutation, all of which this shard holds. */
        List<Example> range(int lo, int hi) {
            int a = Arrays.binarySearch(positions, lo);
            if (a < 0 || hi - lo > rows.length - a || positions[a + hi - lo - 1] != hi - 1) {
                throw new IllegalStateException("partition " + partition + " does not hold positions [" + lo + ", " + hi + ")");
            }
            return Arrays.asList(rows).subList(a, a + hi - lo);
        }
    }

    /** The one shard of a partition; reading the iterator to its end releases the cached block's lock. */
    static Shard only(java.util.Iterator<Shard> it) {
        Shard s = it.next();
        if (it.hasNext()) {
            throw new IllegalStateException("a partition holds more than one shard");
        }
        return s;
    }

    /** Partition {@code p}'s first micro-batch of {@code k} over {@code parts} partitions ({@code p = parts} gives {@code k}). */
    static int firstMicroBatch(int p, int k, int parts) {
        return (int) (((long) p * k + parts - 1) / parts);
    }

    /** Lays the examples out for the epoch of {@code b}'s permutation, unless they already are. */
    private void layOut(StepBatch b) {
        if (b.permutation() == laidOut && b.batchSize() == laidOutBatch && b.microBatches() == laidOutMicro) {
            return;
        }
        int[] perm = b.permutation();
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
        }
        Broadcast<int[]> inv = sc.broadcast(inverse);
        int bs = b.batchSize();
        int m = b.microBatches();
        int n = perm.length;
        int p = partitions;
        JavaRDD<Shard> next = train.rows().mapToPair(e -> {
            int pos = inv.value()[e.index()];
            int j = pos / bs;
            int len = Math.min(bs, n - j * bs);
            int k = MicroBatches.count(len, m);
            int i = MicroBatches.of(len, k, pos - j * bs);
            return new Tuple2<>((int) ((long) i * p / k), new Tuple2<>(pos, e));
        }).partitionBy(new ByIndex(p)).mapPartitionsWithIndex((part, it) -> {
            List<Tuple2<Integer, Tuple2<Integer, Example>>> rows = new ArrayList<>();
            it.forEachRemaining(rows::add);
            rows.sort((x, y) -> Integer.compare(x._2()._1(), y._2()._1()));
            int[] positions = new int[rows.size()];
            Example[] ex = new Example[rows.size()];
            for (int i = 0; i < ex.length; i++) {
                positions[i] = rows.get(i)._2()._1();
                ex[i] = rows.get(i)._2()._2();
            }
            return List.of(new Shard(part, positions, ex)).iterator();
        }, true).cache();
        try {
            next.count(); // lay the epoch out now, so that a step's time is a step's
        } catch (RuntimeException e) {
            throw failure(b.step(), e);
        }
        if (shards != null) {
            shards.unpersist(false);
        }
        inv.destroy();
        shards = next;
        laidOut = perm;
        laidOutBatch = bs;
        laidOutMicro = m;
    }

    private static Module load(ModelFactory f, float[][] w) {
        return load(f.create(), w);
    }

    private static Module load(Module m, float[][] w) {
        List<Parameter> ps = new ArrayList<>(m.namedParameters().values());
        if (ps.size() != w.length) {
            throw new IllegalStateException("the executor's model has " + ps.size() + " parameters, the driver's " + w.length
                    + ": the model factory must build the driver's architecture");
        }
        for (int i = 0; i < w.length; i++) {
            float[] dst = ps.get(i).value().data();
            if (dst.length != w[i].length) {
                throw new IllegalStateException("parameter " + i + " has " + dst.length + " elements on the executor, "
                        + w[i].length + " on the driver");
            }
            System.arraycopy(w[i], 0, dst, 0, dst.length);
        }
        return m;
    }

    private static Batch micro(Shard s, Layout layout, int from, int n, int k, int i) {
        int lo = from + MicroBatches.start(n, k, i);
        int hi = from + MicroBatches.start(n, k, i + 1);
        Dataset d = layout.toDataset(s.range(lo, hi));
        return d.batch(0, hi - lo);
    }

    /** One partition's share of one step: its micro-batches' gradients, summed in the largest subtrees it holds. */
    static Pieces runStep(Shard s, int part, int parts, ModelFactory f, float[][] w, Layout layout, int from, int n, int k,
                          double scale, boolean probe) {
        int first = firstMicroBatch(part, k, parts);
        int end = firstMicroBatch(part + 1, k, parts);
        if (first >= end) {
            return new Pieces(Pieces.encode(Map.of()), null, 0, 0);
        }
        long t0 = System.nanoTime();
        MicroBatchPass pass = new MicroBatchPass(s.model(f, w), Objective.forTask(layout.task()), Engine.serial());
        Map<MicroBatches.Node, GradientSum> nodes = new LinkedHashMap<>();
        for (MicroBatches.Node node : MicroBatches.pieces(k, first, end)) {
            nodes.put(node, MicroBatches.evaluate(node, i -> pass.take(pass.backward(micro(s, layout, from, n, k, i), n, scale)),
                    GradientSum::add));
        }
        Map<String, ActivationStats> acts = probe && end == k ? new LinkedHashMap<>(pass.activations()) : null;
        long t1 = System.nanoTime();
        byte[] bytes = Pieces.encode(nodes);
        return new Pieces(bytes, acts, t1 - t0, System.nanoTime() - t1);
    }

    /** {@link Reduction#TREE_AGGREGATE}'s share of a partition: its micro-batches' gradients added one after the other. */
    static GradientSum foldStep(Shard s, int part, int parts, ModelFactory f, float[][] w, Layout layout, int from, int n, int k,
                                double scale) {
        int first = firstMicroBatch(part, k, parts);
        int end = firstMicroBatch(part + 1, k, parts);
        MicroBatchPass pass = new MicroBatchPass(s.model(f, w), Objective.forTask(layout.task()), Engine.serial());
        double loss = 0;
        for (int i = first; i < end; i++) {
            loss += pass.backward(micro(s, layout, from, n, k, i), n, scale);
        }
        return first < end ? pass.take(loss) : new GradientSum(new float[w.length][], 0.0);
    }

    /** A failed Spark job as one clear message: the step, how often the task was tried, and the cause. */
    static RuntimeException failure(long step, Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String where = step < 0 ? "validation on the executors" : "step " + step + " on the executors";
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = msg.indexOf('\n');
        return new IllegalStateException(where + " failed: " + (nl < 0 ? msg : msg.substring(0, nl))
                + (root != e ? " (cause: " + root + ")" : ""), e);
    }

    /** Sends key {@code p} to partition {@code p}. */
    static final class ByIndex extends Partitioner {
        private final int n;

        ByIndex(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByIndex b && b.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }

    @Override
    public void close() {
        if (shards != null) {
            shards.unpersist(false);
            shards = null;
        }
    }
}
