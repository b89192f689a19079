package io.gradscale.cli.live;

import io.gradscale.diag.Verdict;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Where the live page's records come from: a training run in this process, or a metrics log being written. */
interface RecordSource {
    /**
     * Moves the records that arrived since the last call into {@code run} (and finishes it when the source
     * knows the run has ended). Called on the server's publishing thread only.
     *
     * @return true when anything changed
     */
    boolean drainInto(LiveRun run) throws IOException;

    /**
     * Processor time the producer of the records (the training thread) has used so far, in nanoseconds, or -1
     * when unknown (a run in another process) or the producer is not computing now (waiting, or ended).
     */
    default long producerCpuNanos() {
        return -1;
    }

    /** True when the records come from a training thread of this process, whose processor time {@link #producerCpuNanos} reads. */
    default boolean inProcess() {
        return false;
    }

    /**
     * The current verdicts of the producer's own live doctor (the trainer's {@link io.gradscale.diag.LiveDoctor}),
     * empty when it has none or has not judged yet: then the page judges the recent steps itself.
     */
    default Optional<List<Verdict>> verdicts() {
        return Optional.empty();
    }

    /** Records dropped so far because the page fell behind; 0 for a source that never drops. */
    default long dropped() {
        return 0;
    }
}
