package io.gradscale.transform;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A learning rate as a function of the update count {@code t} (0 for the first update; skipped steps do
 * not count). Closed forms equal to PyTorch's schedulers stepped once per update.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Schedule.Constant.class, name = "constant"),
        @JsonSubTypes.Type(value = Schedule.StepDecay.class, name = "step"),
        @JsonSubTypes.Type(value = Schedule.Exponential.class, name = "exponential"),
        @JsonSubTypes.Type(value = Schedule.Cosine.class, name = "cosine"),
        @JsonSubTypes.Type(value = Schedule.LinearWarmup.class, name = "linear_warmup"),
        @JsonSubTypes.Type(value = Schedule.InverseTime.class, name = "inverse_time")
})
public sealed interface Schedule {
    /** The learning rate of update number {@code t}. */
    double at(long t);

    static Schedule constant(double lr) {
        return new Constant(lr);
    }

    private static void checkLr(String what, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(what + ": the learning rate must be finite and non-negative, got " + lr);
        }
    }

    /** {@code lr}. */
    record Constant(double lr) implements Schedule {
        public Constant {
            checkLr("constant schedule", lr);
        }

        @Override
        public double at(long t) {
            return lr;
        }
    }

    /** {@code lr * gamma^floor(t / stepSize)}: PyTorch's {@code StepLR}. */
    record StepDecay(double lr, long stepSize, double gamma) implements Schedule {
        public StepDecay {
            checkLr("step schedule", lr);
            if (stepSize < 1) {
                throw new IllegalArgumentException("step schedule: stepSize must be at least 1, got " + stepSize);
            }
        }

        @Override
        public double at(long t) {
            return lr * Math.pow(gamma, Math.floorDiv(t, stepSize));
        }
    }

    /** {@code lr * gamma^t}: PyTorch's {@code ExponentialLR}. */
    record Exponential(double lr, double gamma) implements Schedule {
        public Exponential {
            checkLr("exponential schedule", lr);
        }

        @Override
        public double at(long t) {
            return lr * Math.pow(gamma, t);
        }
    }

    /**
     * {@code min + (lr - min) (1 + cos(pi t / total)) / 2} for {@code t <= total}, then {@code min}:
     * PyTorch's {@code CosineAnnealingLR} closed form, without restarts.
     */
    record Cosine(double lr, long total, double min) implements Schedule {
        public Cosine {
            checkLr("cosine schedule", lr);
            checkLr("cosine schedule (minimum)", min);
            if (total < 1) {
                throw new IllegalArgumentException("cosine schedule: total must be at least 1, got " + total);
            }
        }

        @Override
        public double at(long t) {
            long c = Math.min(t, total);
            return min + (lr - min) * (1 + Math.cos(Math.PI * c / total)) / 2;
        }
    }

    /**
     * Linear warm-up into another schedule: {@code after(t) * (start + (1 - start) t / steps)} for
     * {@code t < steps}, then {@code after(t)}: PyTorch's {@code LinearLR} with end factor 1.
     */
    record LinearWarmup(long steps, double start, Schedule after) implements Schedule {
        public LinearWarmup {
            if (steps < 1) {
                throw new IllegalArgumentException("linear warm-up: steps must be at least 1, got " + steps);
            }
            if (!(start >= 0 && start <= 1)) {
                throw new IllegalArgumentException("linear warm-up: start factor must be in [0, 1], got " + start);
            }
            if (after == null) {
                throw new IllegalArgumentException("linear warm-up: the schedule after warm-up must not be null");
            }
        }

        @Override
        public double at(long t) {
            double f = t >= steps ? 1.0 : start + (1 - start) * t / (double) steps;
            return after.at(t) * f;
        }
    }

    /** {@code lr / (1 + t * decay)}: AdaGrad's {@code lr_decay} in PyTorch. */
    record InverseTime(double lr, double decay) implements Schedule {
        public InverseTime {
            checkLr("inverse-time schedule", lr);
            if (!(decay >= 0)) {
                throw new IllegalArgumentException("inverse-time schedule: decay must be non-negative, got " + decay);
            }
        }

        @Override
        public double at(long t) {
            return lr / (1 + t * decay);
        }
    }
}
