package io.gradscale.diag;

import io.gradscale.train.EventRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stretch of a run during which a detector's live verdict was a warning or critical, read back from the
 * condition events {@link LiveDoctor} writes to the metrics log.
 *
 * @param condition the detector ("exploding", "vanishing", ...)
 * @param worst the most severe verdict it reached
 * @param began the step at whose evaluation it began
 * @param ended the step at whose evaluation it ended, or {@code -1} when it was still on when the log ends
 * @param title the title of the verdict when it began (or last changed)
 */
public record ConditionEpisode(String condition, Verdict.Severity worst, long began, long ended, String title) {
    /** True when the condition was still on at the end of the log. */
    public boolean open() {
        return ended < 0;
    }

    /** The episodes the condition events among {@code events} describe, in order of beginning; other events are ignored. */
    public static List<ConditionEpisode> from(List<EventRecord> events) {
        List<ConditionEpisode> done = new ArrayList<>();
        Map<String, ConditionEpisode> on = new LinkedHashMap<>();
        for (EventRecord e : events) {
            if (e.condition() == null) {
                continue;
            }
            ConditionEpisode cur = on.get(e.condition());
            switch (e.kind()) {
                case LiveDoctor.BEGAN, LiveDoctor.CHANGED -> {
                    String title = e.message().startsWith(e.severity() + " ") ? e.message().substring(e.severity().name().length() + 1)
                            : e.message();
                    if (cur == null) {
                        on.put(e.condition(), new ConditionEpisode(e.condition(), e.severity(), e.step(), -1, title));
                    } else {
                        Verdict.Severity worst = e.severity().compareTo(cur.worst()) > 0 ? e.severity() : cur.worst();
                        on.put(e.condition(), new ConditionEpisode(e.condition(), worst, cur.began(), -1,
                                worst == cur.worst() ? cur.title() : title));
                    }
                }
                case LiveDoctor.ENDED -> {
                    if (cur != null) {
                        done.add(new ConditionEpisode(cur.condition(), cur.worst(), cur.began(), e.step(), cur.title()));
                        on.remove(e.condition());
                    }
                }
                default -> {
                    // a condition field on an event kind this version does not know: not an episode boundary
                }
            }
        }
        done.addAll(on.values());
        done.sort(java.util.Comparator.comparingLong(ConditionEpisode::began));
        return done;
    }
}
