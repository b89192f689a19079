/**
 * Neural network modules on the autograd tape: {@link io.gradscale.nn.Module} trees with PyTorch-style
 * parameter paths, layers ({@link io.gradscale.nn.Linear}, activations, normalization, dropout, residual
 * blocks), recurrent networks ({@link io.gradscale.nn.RNN}, {@link io.gradscale.nn.LSTM},
 * {@link io.gradscale.nn.GRU}), losses and the initializers of {@link io.gradscale.nn.Init}.
 *
 * <p>Every layer is composed from the primitives of {@link io.gradscale.autograd.Ops}, so its backward
 * pass is the chain rule over those primitives' rules; nothing here has a backward rule of its own.
 * Class names, parameter names, defaults and initializations follow PyTorch so that weights can be moved
 * between the two; {@code docs/PARITY.md} lists the measured agreement.
 */
package io.gradscale.nn;
