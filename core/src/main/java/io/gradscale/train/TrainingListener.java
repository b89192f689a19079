package io.gradscale.train;

/** Receives the records of a training run as they happen. Every method has an empty default. */
public interface TrainingListener {
    default void onStep(StepRecord record) {
    }

    default void onEval(EvalRecord record) {
    }

    default void onEvent(EventRecord record) {
    }

    /** Called once when training ends, normally or not. */
    default void onEnd() {
    }
}
