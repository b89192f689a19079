package io.gradscale.transform;

/** The state of a stateless transform. */
public record EmptyState() {
    /** The one value (records with no components are all equal anyway). */
    public static final EmptyState INSTANCE = new EmptyState();
}
