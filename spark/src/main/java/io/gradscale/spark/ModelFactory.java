package io.gradscale.spark;

import io.gradscale.nn.Module;
import java.io.Serializable;

/**
 * Builds the model on an executor: the same architecture as the driver's (same parameter paths and shapes, in
 * the same order); its weights are overwritten with the driver's at every step, so the initial values do not matter.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    Module create();
}
