/**
 * Optimizers as named chains of gradient transforms ({@link io.gradscale.optim.Optimizers}), and the
 * transforms that only optimizers use: the rescalings of Adam, AMSGrad, NAdam, RMSprop, AdaGrad and
 * Adadelta, and SGD momentum. Run a chain with {@link io.gradscale.transform.GradientStep}.
 */
package io.gradscale.optim;
