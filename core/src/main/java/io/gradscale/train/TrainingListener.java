package io.gradscale.train;

/** Receives the records of a training run as they happen. Every method has an empty default. */
public interface TrainingListener {
    default void onStep(StepRecord record) {
    }

    default void onEval(EvalRecord record) {
    }

    default void onEvent(EventRecord record) {
    }

    /**
     * Called after a step training goes on from (never after one that diverged), when the trainer's
     * state is complete: a {@link Trainer#checkpoint()} taken here resumes exactly, as the
     * {@code steps}-th step's successor. The step's record went to {@link #onStep} before.
     */
    default void onStepDone(long steps) {
    }

    /** Called once when training ends, normally or not. */
    default void onEnd() {
    }
}
