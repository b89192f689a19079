package io.gradscale.nn;

/**
 * Which fan He initialization scales by: {@link #FAN_IN} preserves the variance of activations in the
 * forward pass, {@link #FAN_OUT} the variance of gradients in the backward pass (He et al., 2015, §2.2).
 */
public enum FanMode {
    FAN_IN, FAN_OUT
}
