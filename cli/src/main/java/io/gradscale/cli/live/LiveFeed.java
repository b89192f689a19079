package io.gradscale.cli.live;

import io.gradscale.diag.LiveDoctor;
import io.gradscale.diag.Verdict;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the records a trainer already makes to the live page, without ever blocking the training thread.
 *
 * <p>The training thread only offers a reference to each record (the record the trainer made for its other
 * listeners anyway; nothing is copied or formatted here) to a bounded lock-free queue ({@link #CAPACITY}):
 * a compare-and-set, never a lock the server's thread could hold while it drains. When the queue is full
 * (the page's thread has fallen that far behind) the record is dropped and counted, never waited for.
 * Steps are kept by the metrics log's rule ({@link MetricsLog#logs}), so the page shows what the log holds.
 */
public final class LiveFeed implements TrainingListener, RecordSource {
    /** Records queued before the feed drops; the server drains it every {@code LiveServer.DRAIN_INTERVAL_MILLIS}. */
    static final int CAPACITY = 16_384;

    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    // records in the queue: counted apart, since the queue's own size() walks it
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final int logEvery;
    private volatile Thread trainingThread;
    /** The JVM's thread bean, looked up once: the lookup cost more than the reading it serves. */
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private volatile LiveDoctor doctor;

    /** A feed that keeps every {@code logEvery}-th step, as the run's metrics log does. */
    public LiveFeed(int logEvery) {
        if (logEvery < 1) {
            throw new IllegalArgumentException("log interval must be at least 1, got " + logEvery);
        }
        this.logEvery = logEvery;
    }

    /**
     * Shows {@code live}'s verdicts on the page while the run trains, instead of having the page judge the recent
     * steps again ({@link RecordSource#verdicts}).
     */
    public void consult(LiveDoctor live) {
        doctor = live;
    }

    @Override
    public Optional<List<Verdict>> verdicts() {
        LiveDoctor d = doctor;
        return d == null ? Optional.empty() : d.latest();
    }

    /** The run's provenance, sent before its first step. */
    public void begin(Provenance provenance) {
        offer(provenance);
    }

    @Override
    public void onStep(StepRecord record) {
        if (trainingThread == null) {
            trainingThread = Thread.currentThread();
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
        if (queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
        } else {
            queue.offer(record);
        }
    }

    @Override
    public boolean drainInto(LiveRun run) {
        run.holdWindow(doctor == null); // the trainer's own doctor judges: the page needs no steps of its own
        boolean any = false;
        for (Object record = queue.poll(); record != null; record = queue.poll()) {
            queued.decrementAndGet();
            run.add(record);
            any = true;
        }
        return any;
    }

    @Override
    public boolean inProcess() {
        return true;
    }

    @Override
    public long producerCpuNanos() {
        Thread t = trainingThread;
        return t == null || t.getState() != Thread.State.RUNNABLE ? -1 : threads.getThreadCpuTime(t.threadId());
    }

    @Override
    public long dropped() {
        return dropped.get();
    }
}
