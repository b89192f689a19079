package io.gradscale.spark;

import io.gradscale.autograd.Parameter;
import io.gradscale.autograd.PerExample;
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
import io.gradscale.transform.PrivateAggregate;
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
 * <p>Poisson sampling (DP-SGD's): each step's draw is laid out like an epoch's permutation, by one shuffle of the drawn
 * examples only, so a step costs a second Spark job; the micro-batches, the tree and the bits are as above.
 *
 * <p>Batch normalization: each executor's pass keeps its micro-batch's batch statistics instead of moving its copy's
 * running statistics, the pieces carry them, and the driver applies them in micro-batch order, as one machine's
 * successive passes move them. Dropout: before each micro-batch's pass an executor puts its copy of each generator
 * where one machine's stream is at that micro-batch's first example ({@link Draws}: SplitMix64 skips ahead in O(1)),
 * so its masks are one machine's, whichever partition holds the micro-batch.
 */
public final class SparkGradients implements GradientSource, AutoCloseable {
    /** How the micro-batches' gradients are added. */
    public enum Reduction {
        /** The fixed tree over micro-batch indices: same bits for any partition count. */
        FIXED_TREE,
        /** Sequential sums per partition, then {@code treeAggregate}: bits depend on the partition count. */
        TREE_AGGREGATE
    }

    /**
     * Examples of the forward pass that measures the draws per example of a model with dropout: two, so that a count
     * that is not the same for every example shows (and batch normalization has a batch to normalize).
     */
    static final int DRAWS_PROBE = 2;

    /** Depth of the {@code treeAggregate} of {@link Reduction#TREE_AGGREGATE} (Spark's default). */
    public static final int TREE_AGGREGATE_DEPTH = 2;

    private final JavaSparkContext sc;
    private final DistributedDataset train;
    private final ModelFactory factory;
    private final MicroBatchPass driver;
    private final List<Parameter> weights;
    /** Batch normalization's running statistics: moved on the driver only, sent to the executors for evaluation. */
    private final List<io.gradscale.tensor.Tensor> buffers;
    /** The generators the model draws from in training (dropout), by path: moved on the driver as one machine's move. */
    private final Map<String, io.gradscale.tensor.Rng> rngs;
    /** Each generator's draws per example ({@link Draws#measure}), measured at the first step; null before. */
    private long[] drawsPerExample;
    private final int partitions;
    private final Reduction reduction;
    private final StepTimes times = new StepTimes();
    private int[] laidOut;
    private int laidOutBatch;
    private int laidOutMicro;
    private JavaRDD<Shard> shards;
    /** The validation set last evaluated, and its examples in evaluation blocks (cached). */
    private DistributedDataset evalOf;
    private JavaRDD<Tuple2<Integer, List<Example>>> evalBlocks;

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
        int normBuffers = 0;
        for (Module m : model.namedModules().values()) {
            if (m instanceof io.gradscale.nn.BatchNorm1d) {
                normBuffers += m.namedBuffers().size();
            }
        }
        if (model.namedBuffers().size() != normBuffers) {
            throw new IllegalArgumentException("the model has buffers updated in training (" + model.namedBuffers().keySet()
                    + ") by a module other than BatchNorm1d: on Spark they would change only on the executors' copies;"
                    + " train it in one JVM");
        }
        this.sc = sc;
        this.train = train;
        this.factory = factory;
        this.driver = new MicroBatchPass(model, Objective.forTask(train.layout().task()), Engine.serial());
        this.weights = new ArrayList<>(model.namedParameters().values());
        this.buffers = new ArrayList<>(model.namedBuffers().values());
        this.rngs = model.namedRngs();
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
        PerExample.Clipping clip = forExecutors(b.clipping());
        Draws draws = draws();
        GradientSum sum;
        Map<String, ActivationStats> acts = Map.of();
        try {
            if (reduction == Reduction.FIXED_TREE) {
                List<Pieces> results = shards.mapPartitionsWithIndex((part, it) -> List.of(
                        runStep(only(it), part, p, f, w.value(), layout, from, n, k, scale, probe, clip, draws)).iterator(), true).collect();
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
                if (clip != null || !buffers.isEmpty()) {
                    throw new IllegalArgumentException("spark.reduction: tree_aggregate sums each partition's micro-batches in"
                            + " one gradient, without their examples' norms (per-example clipping) or their batch statistics"
                            + " in micro-batch order (batch normalization); use fixed_tree");
                }
                GradientSum zero = new GradientSum(new float[weights.size()][], 0.0);
                sum = shards.treeAggregate(zero, (acc, shard) -> GradientSum.add(acc,
                        foldStep(shard, shard.partition, p, f, w.value(), layout, from, n, k, scale, draws)), GradientSum::add,
                        TREE_AGGREGATE_DEPTH);
                times.bytesToDriver += sum.bytes() * Math.min(p, k); // the plain variant does not probe activations
            }
        } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
            throw failure(b.step(), e);
        } finally {
            w.destroy();
        }
        driver.load(sum);
        driver.applyStatistics(sum.statistics());
        if (draws != null) {
            draws.position(driver.model(), n); // where one machine's generators are after the step's n examples
        }
        times.totalNanos += System.nanoTime() - t0;
        times.steps++;
        return new StepResult(sum.loss(), acts, b.clipping() == null ? null : PerExample.gathered(b.clipping(), sum.norms(), sum.weights()));
    }

    /** Where this step's draws begin ({@link Draws}), or null for a model that draws nothing in training. */
    private Draws draws() {
        if (rngs.isEmpty()) {
            return null;
        }
        if (drawsPerExample == null) {
            List<Example> probe;
            try {
                probe = new ArrayList<>(train.rows().filter(e -> e.index() < DRAWS_PROBE).collect());
            } catch (Exception e) { // Scala's SparkException is checked in Java but not declared
                throw DistributedDataset.readFailure(train.source(), e);
            }
            probe.sort((a, c) -> Integer.compare(a.index(), c.index()));
            drawsPerExample = Draws.measure(factory.create(), train.layout().toDataset(probe).batch(0, probe.size()));
        }
        return Draws.at(rngs, drawsPerExample);
    }

    /**
     * The per-example clipping policy as the executors get it: the private aggregate's clipping alone
     * ({@link PerExample.ClipToNorm}, the same weights; its noise generator stays on the driver), or any other
     * serializable policy; null stays null.
     */
    static PerExample.Clipping forExecutors(PerExample.Clipping c) {
        if (c == null || c instanceof PerExample.ClipToNorm) {
            return c;
        }
        if (c instanceof PrivateAggregate pa) {
            return new PerExample.ClipToNorm(pa.maxGradNorm());
        }
        if (c instanceof java.io.Serializable) {
            return c;
        }
        throw new IllegalArgumentException("the per-example clipping policy " + c.getClass().getName() + " is not serializable,"
                + " so it cannot be sent to the executors; make it java.io.Serializable");
    }

    /**
     * Validation loss and accuracy of the driver's current weights, computed on the executors with the bits of
     * {@link Trainer#evaluate} in one JVM, whatever the partition count: the examples are grouped once into the
     * trainer's blocks of {@link Trainer#EVAL_BATCH} consecutive indices (one shuffle, cached), each block's
     * {@code loss * size} and {@code accuracy * size} are computed by one forward pass, and the driver adds the blocks in
     * index order, as the trainer's loop does.
     */
    public Trainer.Evaluation evaluate(DistributedDataset data) {
        Broadcast<float[][]> w = sc.broadcast(weightArrays());
        float[][] bufferValues = new float[buffers.size()][];
        for (int i = 0; i < bufferValues.length; i++) {
            bufferValues[i] = buffers.get(i).data();
        }
        Broadcast<float[][]> bw = sc.broadcast(bufferValues);
        ModelFactory f = factory;
        Layout layout = data.layout();
        try {
            if (evalOf != data) {
                if (evalBlocks != null) {
                    evalBlocks.unpersist(false);
                }
                evalBlocks = blocks(data, partitions);
                evalOf = data;
            }
            List<double[]> parts = evalBlocks.mapPartitions(it -> {
                List<double[]> out = new ArrayList<>();
                Module m = null;
                Objective obj = Objective.forTask(layout.task());
                while (it.hasNext()) {
                    Tuple2<Integer, List<Example>> block = it.next();
                    if (m == null) {
                        m = load(f, w.value());
                        loadBuffers(m, bw.value());
                        m.eval();
                    }
                    Batch batch = layout.toDataset(block._2()).batch(0, block._2().size());
                    Var o = m.forward(Tape.noGrad(Engine.serial()).constant(batch.inputs()));
                    out.add(new double[] {block._1(), obj.loss(o, batch).item() * batch.size(),
                            obj.accuracy(o.value(), batch) * batch.size()});
                }
                return out.iterator();
            }).collect();
            List<double[]> sorted = new ArrayList<>(parts);
            sorted.sort((a, c) -> Double.compare(a[0], c[0]));
            double loss = 0;
            double acc = 0;
            for (double[] x : sorted) {
                loss += x[1];
                acc += x[2];
            }
            return new Trainer.Evaluation(loss / data.size(), acc / data.size());
        } catch (RuntimeException e) {
            throw failure(-1, e);
        } finally {
            w.destroy();
            bw.destroy();
        }
    }

    /** Writes the driver's buffers (running statistics) into an executor's model, in {@link Module#namedBuffers} order. */
    private static void loadBuffers(Module m, float[][] b) {
        List<io.gradscale.tensor.Tensor> own = new ArrayList<>(m.namedBuffers().values());
        if (own.size() != b.length) {
            throw new IllegalStateException("the executor's model has " + own.size() + " buffers, the driver's " + b.length);
        }
        for (int i = 0; i < b.length; i++) {
            System.arraycopy(b[i], 0, own.get(i).data(), 0, b[i].length);
        }
    }

    /** The examples grouped into blocks of {@link Trainer#EVAL_BATCH} consecutive indices, each sorted by index. */
    private static JavaRDD<Tuple2<Integer, List<Example>>> blocks(DistributedDataset data, int partitions) {
        return data.rows().mapToPair(e -> new Tuple2<>(e.index() / Trainer.EVAL_BATCH, e)).groupByKey(partitions).map(t -> {
            List<Example> rows = new ArrayList<>();
            t._2().forEach(rows::add);
            rows.sort((a, c) -> Integer.compare(a.index(), c.index()));
            return new Tuple2<>(t._1(), rows);
        }).cache();
    }

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

    /**
     * Lays the examples of {@code b}'s order out over the partitions, unless they already are: once per epoch for a
     * permutation of the whole set; at every step for a Poisson draw (the step's own order, which holds only the
     * examples drawn: only they move).
     */
    private void layOut(StepBatch b) {
        if (b.permutation() == laidOut && b.batchSize() == laidOutBatch && b.microBatches() == laidOutMicro) {
            return;
        }
        int[] perm = b.permutation();
        int[] inverse = new int[train.size()];
        Arrays.fill(inverse, -1); // not in this order (a Poisson draw holds a few examples)
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
        }
        Broadcast<int[]> inv = sc.broadcast(inverse);
        int bs = b.batchSize();
        int m = b.microBatches();
        int n = perm.length;
        int p = partitions;
        JavaRDD<Shard> next = train.rows().filter(e -> inv.value()[e.index()] >= 0).mapToPair(e -> {
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
                          double scale, boolean probe, PerExample.Clipping clip, Draws draws) {
        int first = firstMicroBatch(part, k, parts);
        int end = firstMicroBatch(part + 1, k, parts);
        if (first >= end) {
            return new Pieces(Pieces.encode(Map.of()), null, 0, 0);
        }
        long t0 = System.nanoTime();
        MicroBatchPass pass = new MicroBatchPass(s.model(f, w), Objective.forTask(layout.task()), Engine.serial());
        pass.deferStatistics(); // batch normalization's running statistics move on the driver, in micro-batch order
        Map<MicroBatches.Node, GradientSum> nodes = new LinkedHashMap<>();
        for (MicroBatches.Node node : MicroBatches.pieces(k, first, end)) {
            nodes.put(node, MicroBatches.evaluate(node, i -> {
                long begin = MicroBatches.start(n, k, i);
                if (draws != null) {
                    draws.position(pass.model(), begin);
                }
                GradientSum g = pass.take(pass.backward(micro(s, layout, from, n, k, i), n, scale, clip));
                if (draws != null) {
                    draws.check(pass.model(), begin, MicroBatches.start(n, k, i + 1), i);
                }
                return g;
            }, GradientSum::add));
        }
        Map<String, ActivationStats> acts = probe && end == k ? new LinkedHashMap<>(pass.activations()) : null;
        long t1 = System.nanoTime();
        byte[] bytes = Pieces.encode(nodes);
        return new Pieces(bytes, acts, t1 - t0, System.nanoTime() - t1);
    }

    /** {@link Reduction#TREE_AGGREGATE}'s share of a partition: its micro-batches' gradients added one after the other. */
    static GradientSum foldStep(Shard s, int part, int parts, ModelFactory f, float[][] w, Layout layout, int from, int n, int k,
                                double scale, Draws draws) {
        int first = firstMicroBatch(part, k, parts);
        int end = firstMicroBatch(part + 1, k, parts);
        MicroBatchPass pass = new MicroBatchPass(s.model(f, w), Objective.forTask(layout.task()), Engine.serial());
        double loss = 0;
        for (int i = first; i < end; i++) {
            if (draws != null) {
                draws.position(pass.model(), MicroBatches.start(n, k, i));
            }
            loss += pass.backward(micro(s, layout, from, n, k, i), n, scale);
            if (draws != null) {
                draws.check(pass.model(), MicroBatches.start(n, k, i), MicroBatches.start(n, k, i + 1), i);
            }
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
        if (evalBlocks != null) {
            evalBlocks.unpersist(false);
            evalBlocks = null;
            evalOf = null;
        }
    }
}
