package io.gradscale.autograd;

import io.gradscale.tensor.PackedMatrix;
import io.gradscale.tensor.ShapeException;

/**
 * A weight {@code W [out, in]} shared by every step of one pass ({@code hp_t = h_{t-1} W^T}), with the packed
 * operands of its per-step products made once per pass instead of by the GEMM at every step (for an LSTM
 * with 128 hidden units, a 256 KiB copy per step and direction): {@code W^T} for the forward products, packed
 * when this is made, and {@code W} for the backward products {@code dx_t = g_t W}, packed by the first step's
 * backward rule that needs it. Held by the pass that makes it and by its steps' rules, never cached elsewhere;
 * the weight's value must not change during the pass (the optimizer steps after the reverse pass). The rules of
 * a tape run one at a time, so the lazy backward operand needs no locking. Give it to
 * {@link Ops#linear(Var, Var, Var, StepWeight)}.
 */
public final class StepWeight {
    private final Var weight;
    private final PackedMatrix transposed;
    private PackedMatrix plain;

    /** Packs {@code W^T} of {@code weight} (rank 2) with the engine of its tape. */
    public StepWeight(Var weight) {
        if (weight.value.rank() != 2) {
            throw new ShapeException("StepWeight: expected a rank-2 weight [out, in], got " + weight.shape());
        }
        this.weight = weight;
        this.transposed = weight.tape.engine().packB(weight.value, true);
    }

    /** The weight this packs. */
    public Var weight() {
        return weight;
    }

    /** {@code W^T [in, out]} packed: the right operand of {@code x W^T}. */
    PackedMatrix transposed() {
        return transposed;
    }

    /** {@code W [out, in]} packed, on first use: the right operand of {@code g W}. */
    PackedMatrix plain() {
        if (plain == null) {
            plain = weight.tape.engine().packB(weight.value, false);
            if (plain.isPacked()) {
                weight.tape.hold(plain.packed()); // packed by a backward rule, kept for the later ones
            }
        }
        return plain;
    }
}
