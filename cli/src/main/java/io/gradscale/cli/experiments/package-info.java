/**
 * The built-in experiments of {@code gradscale demo}: each trains real networks with the real trainer,
 * gradient monitor and doctor, shows one gradient pathology next to its remedies, and writes one run
 * directory per variant ({@code config.json}, {@code metrics.jsonl}, {@code diagnosis.json}).
 *
 * <ul>
 *   <li>{@link io.gradscale.cli.experiments.ExplodingRnn}: exploding gradients in a recurrent network and
 *       clipping (Pascanu, Mikolov and Bengio 2013);</li>
 *   <li>{@link io.gradscale.cli.experiments.VanishingMlp}: vanishing gradients in a deep MLP and ReLU + He,
 *       batch normalization and residual connections (Glorot and Bengio 2010; He et al. 2015, 2016; Ioffe and
 *       Szegedy 2015);</li>
 *   <li>{@link io.gradscale.cli.experiments.ShatteredGradients}: gradient autocorrelation against depth
 *       (Balduzzi et al. 2017);</li>
 *   <li>{@link io.gradscale.cli.experiments.ClippersCompared}: value, norm, global norm, AGC, AutoClip and
 *       ZClip on one unstable task;</li>
 *   <li>{@link io.gradscale.cli.experiments.DescentModes}: batch, stochastic and mini-batch gradient descent
 *       against steps and time.</li>
 * </ul>
 *
 * <p>{@link io.gradscale.cli.experiments.Experiments} is the catalogue; the command line picks from it by
 * name and passes an {@link io.gradscale.cli.experiments.ExperimentContext} (output directory, engine,
 * seed, budget).
 */
package io.gradscale.cli.experiments;
