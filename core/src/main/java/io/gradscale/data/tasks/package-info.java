/**
 * Seeded synthetic tasks from the literature on vanishing and exploding gradients, each a pure
 * function of its sizes and an explicit {@link io.gradscale.tensor.Rng}: the same seed gives the same
 * data set on every JVM.
 *
 * <ul>
 *   <li>{@link io.gradscale.data.tasks.AddingProblem} (Hochreiter and Schmidhuber 1997): sequence
 *       regression over a long time lag;
 *   <li>{@link io.gradscale.data.tasks.TemporalOrder} (Hochreiter and Schmidhuber 1997, used by
 *       Pascanu, Mikolov and Bengio 2013): sequence classification by the order of two symbols;
 *   <li>{@link io.gradscale.data.tasks.CopyMemory} (Hochreiter and Schmidhuber 1997; Arjovsky, Shah
 *       and Bengio 2016): recall a sequence after a long delay, one label per step;
 *   <li>{@link io.gradscale.data.tasks.TwoSpirals} (Lang and Witbrock 1988): a 2-D classification
 *       that needs a deep, non-linear decision boundary;
 *   <li>{@link io.gradscale.data.tasks.NoisySine}: a noisy sine series cut into forecasting windows.
 * </ul>
 */
package io.gradscale.data.tasks;
