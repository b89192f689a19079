package io.gradscale.diag;

import java.util.Optional;

/**
 * Looks at a run's records for one kind of gradient pathology. A detector is a pure function of the
 * run: it reads only what the metrics log holds (plus, for probes, what {@link RunView} carries).
 */
public interface Detector {
    /** The detector's short name, as in {@link Verdict#detector()}. */
    String name();

    /** A verdict when the pathology (or its clear absence, as an {@code OK} verdict) can be judged. */
    Optional<Verdict> examine(RunView run);
}
