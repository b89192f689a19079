package io.gradscale.optim;

import io.gradscale.transform.Chain;
import io.gradscale.transform.GradientTransform;
import io.gradscale.transform.Schedule;
import io.gradscale.transform.Transforms;

import java.util.ArrayList;
import java.util.List;

/**
 * The classic optimizers as named chains of transforms, with PyTorch 1.13's defaults (each stated once,
 * here for learning rates and on the transform classes for the rest).
 *
 * <pre>
 *   sgd      = [weightDecay] . [momentum] . lr
 *   adam     = [weightDecay] . scaleByAdam . lr
 *   adamW    = scaleByAdam . weightDecay . lr                (decoupled)
 *   amsgrad  = [weightDecay] . scaleByAdam(amsgrad) . lr
 *   rmsprop  = [weightDecay] . scaleByRms . [momentum] . lr
 *   adagrad  = [weightDecay] . scaleByAdagrad . lr(lr / (1 + t decay))
 *   adadelta = [weightDecay] . scaleByAdadelta . lr
 *   nadam    = [weightDecay] . scaleByNadam . lr
 * </pre>
 * Bracketed parts are present only when their coefficient is non-zero. Clipping, guards and the like go
 * in front: {@code chain(clipByGlobalNorm(1), adam(1e-3))}. Every chain ends in
 * {@code scaleByLearningRate}, which multiplies by {@code -lr(t)}.
 */
public final class Optimizers {
    /** PyTorch's Adam, AdamW and AMSGrad {@code lr}. */
    public static final double ADAM_LR = 1e-3;
    /** PyTorch's AdamW {@code weight_decay}. */
    public static final double ADAMW_WEIGHT_DECAY = 1e-2;
    /** PyTorch's RMSprop {@code lr}. */
    public static final double RMSPROP_LR = 1e-2;
    /** PyTorch's AdaGrad {@code lr}. */
    public static final double ADAGRAD_LR = 1e-2;
    /** PyTorch's Adadelta {@code lr}. */
    public static final double ADADELTA_LR = 1.0;
    /** PyTorch's NAdam {@code lr}. */
    public static final double NADAM_LR = 2e-3;

    private Optimizers() {
    }

    private static Chain named(List<GradientTransform<?>> parts) {
        return Transforms.chain(parts);
    }

    private static List<GradientTransform<?>> decay(double weightDecay) {
        List<GradientTransform<?>> parts = new ArrayList<>();
        if (weightDecay != 0) {
            parts.add(Transforms.weightDecay(StateTensors.nonNegative("weight_decay", weightDecay)));
        }
        return parts;
    }

    /** Plain SGD: {@code w <- w - lr g}. PyTorch has no default learning rate for SGD. */
    public static Chain sgd(double lr) {
        return sgd(Schedule.constant(lr), 0, 0, false, 0);
    }

    /** SGD with momentum, dampening, Nesterov and coupled weight decay, as PyTorch's {@code SGD}. */
    public static Chain sgd(Schedule lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        if (momentum != 0 || nesterov) {
            parts.add(new TraceMomentum(momentum, dampening, nesterov));
        }
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }

    /** Adam with PyTorch's defaults. */
    public static Chain adam() {
        return adam(ADAM_LR);
    }

    /** Adam with PyTorch's defaults but the learning rate. */
    public static Chain adam(double lr) {
        return adam(Schedule.constant(lr), ScaleByAdam.DEFAULT_B1, ScaleByAdam.DEFAULT_B2, ScaleByAdam.DEFAULT_EPS, 0, false);
    }

    /** Adam (AMSGrad when {@code amsgrad}) with coupled L2 weight decay, as PyTorch's {@code Adam}. */
    public static Chain adam(Schedule lr, double b1, double b2, double eps, double weightDecay, boolean amsgrad) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        parts.add(new ScaleByAdam(b1, b2, eps, amsgrad));
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }

    /** AMSGrad: Adam with the running maximum of the second moment. */
    public static Chain amsgrad(double lr) {
        return adam(Schedule.constant(lr), ScaleByAdam.DEFAULT_B1, ScaleByAdam.DEFAULT_B2, ScaleByAdam.DEFAULT_EPS, 0, true);
    }

    /** AdamW with PyTorch's defaults. */
    public static Chain adamW() {
        return adamW(Schedule.constant(ADAM_LR), ScaleByAdam.DEFAULT_B1, ScaleByAdam.DEFAULT_B2, ScaleByAdam.DEFAULT_EPS,
                ADAMW_WEIGHT_DECAY, false);
    }

    /** AdamW with PyTorch's defaults but the learning rate. */
    public static Chain adamW(double lr) {
        return adamW(Schedule.constant(lr), ScaleByAdam.DEFAULT_B1, ScaleByAdam.DEFAULT_B2, ScaleByAdam.DEFAULT_EPS,
                ADAMW_WEIGHT_DECAY, false);
    }

    /** AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, ICLR 2019). */
    public static Chain adamW(Schedule lr, double b1, double b2, double eps, double weightDecay, boolean amsgrad) {
        List<GradientTransform<?>> parts = new ArrayList<>();
        parts.add(new ScaleByAdam(b1, b2, eps, amsgrad));
        parts.addAll(decay(weightDecay));
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }

    /** RMSprop with PyTorch's defaults. */
    public static Chain rmsprop() {
        return rmsprop(Schedule.constant(RMSPROP_LR), ScaleByRms.DEFAULT_ALPHA, ScaleByRms.DEFAULT_EPS, 0, 0, false);
    }

    /** RMSprop, optionally centered and with momentum, as PyTorch's {@code RMSprop}. */
    public static Chain rmsprop(Schedule lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        parts.add(new ScaleByRms(alpha, eps, centered));
        if (momentum != 0) {
            parts.add(new TraceMomentum(momentum, 0, false));
        }
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }

    /** AdaGrad with PyTorch's defaults. */
    public static Chain adagrad() {
        return adagrad(ADAGRAD_LR, 0, 0, ScaleByAdagrad.DEFAULT_INITIAL_ACCUMULATOR, ScaleByAdagrad.DEFAULT_EPS);
    }

    /** AdaGrad with learning-rate decay and initial accumulator, as PyTorch's {@code Adagrad}. */
    public static Chain adagrad(double lr, double lrDecay, double weightDecay, double initialAccumulator, double eps) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        parts.add(new ScaleByAdagrad(initialAccumulator, eps));
        parts.add(Transforms.scaleByLearningRate(new Schedule.InverseTime(lr, StateTensors.nonNegative("lr_decay", lrDecay))));
        return named(parts);
    }

    /** Adadelta with PyTorch's defaults. */
    public static Chain adadelta() {
        return adadelta(Schedule.constant(ADADELTA_LR), ScaleByAdadelta.DEFAULT_RHO, ScaleByAdadelta.DEFAULT_EPS, 0);
    }

    /** Adadelta, as PyTorch's {@code Adadelta}. */
    public static Chain adadelta(Schedule lr, double rho, double eps, double weightDecay) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        parts.add(new ScaleByAdadelta(rho, eps));
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }

    /** NAdam with PyTorch's defaults. */
    public static Chain nadam() {
        return nadam(Schedule.constant(NADAM_LR), ScaleByAdam.DEFAULT_B1, ScaleByAdam.DEFAULT_B2, ScaleByAdam.DEFAULT_EPS, 0,
                ScaleByNadam.DEFAULT_MOMENTUM_DECAY);
    }

    /** NAdam, as PyTorch's {@code NAdam}. */
    public static Chain nadam(Schedule lr, double b1, double b2, double eps, double weightDecay, double momentumDecay) {
        List<GradientTransform<?>> parts = decay(weightDecay);
        parts.add(new ScaleByNadam(b1, b2, eps, momentumDecay));
        parts.add(Transforms.scaleByLearningRate(lr));
        return named(parts);
    }
}
