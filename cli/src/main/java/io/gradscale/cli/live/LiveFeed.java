package io.gradscale.cli.live;

import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the records a trainer already makes to the live page, without ever blocking the training thread.
 *
 * <p>The training thread only offers each record to a bounded queue ({@link #CAPACITY}); when the queue is
 * full (the page's thread has fallen that far behind) the record is dropped and counted, never waited for.
 * Steps are kept by the metrics log's rule ({@link MetricsLog#logs}), so the page shows what the log holds.
 */
public final class LiveFeed implements TrainingListener, RecordSource {
    /** Records queued before the feed drops; the server drains it every {@code LiveServer.PUBLISH_INTERVAL_MILLIS}. */
    static final int CAPACITY = 16_384;

    private final ArrayBlockingQueue<Object> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final int logEvery;
    private volatile long trainingThread = -1;

    /** A feed that keeps every {@code logEvery}-th step, as the run's metrics log does. */
    public LiveFeed(int logEvery) {
        if (logEvery < 1) {
            throw new IllegalArgumentException("log interval must be at least 1, got " + logEvery);
        }
        this.logEvery = logEvery;
    }

    /** The run's provenance, sent before its first step. */
    public void begin(Provenance provenance) {
        offer(provenance);
    }

    @Override
    public void onStep(StepRecord record) {
        if (trainingThread < 0) {
            trainingThread = Thread.currentThread().threadId();
        }
        if (MetricsLog.logs(record, logEvery)) {
            offer(record);
        }
    }

    @Override
    public void onEval(EvalRecord record) {
        offer(record);
    }

    @Override
    public void onEvent(EventRecord record) {
        offer(record);
    }

    private void offer(Object record) {
        if (!queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    @Override
    public boolean drainInto(LiveRun run) {
        List<Object> batch = new ArrayList<>();
        queue.drainTo(batch);
        batch.forEach(run::add);
        return !batch.isEmpty();
    }

    @Override
    public boolean inProcess() {
        return true;
    }

    @Override
    public long producerCpuNanos() {
        long id = trainingThread;
        if (id < 0) {
            return -1;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ThreadInfo info = threads.getThreadInfo(id);
        return info == null || info.getThreadState() != Thread.State.RUNNABLE ? -1 : threads.getThreadCpuTime(id);
    }

    @Override
    public long dropped() {
        return dropped.get();
    }
}
