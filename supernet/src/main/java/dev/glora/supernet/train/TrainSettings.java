package dev.glora.supernet.train;

import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Hyper-parameters of one training run (docs/GLORA.md §2 gives the reference defaults).
 *
 * @param epochs passes over the training set
 * @param batchSize examples per step
 * @param lr peak learning rate
 * @param weightDecay AdamW's decoupled weight decay
 * @param warmupEpochs epochs of linear warm-up from {@code warmupLr}
 * @param warmupLr learning rate at the start of warm-up
 * @param minLr learning rate the cosine ends at
 * @param dropPath stochastic-depth rate of the last block
 * @param seed the seed of the data order, the sampled paths and the drop-path decisions
 * @param accumulate micro-batches per step (gradient accumulation): the same result as the whole
 *     batch up to float rounding, with the activation memory of one micro-batch; {@link #AUTO} (0):
 *     as many as the architecture's training budget asks ({@link
 *     VitArchitecture#trainingMicroBatches}), one for small models
 */
public record TrainSettings(
        int epochs,
        int batchSize,
        double lr,
        double weightDecay,
        int warmupEpochs,
        double warmupLr,
        double minLr,
        double dropPath,
        long seed,
        int accumulate) {

    /** {@code accumulate}: micro-batches chosen by the architecture. */
    public static final int AUTO = 0;

    /** Settings whose micro-batches the architecture chooses ({@link #AUTO}). */
    public TrainSettings(
            int epochs,
            int batchSize,
            double lr,
            double weightDecay,
            int warmupEpochs,
            double warmupLr,
            double minLr,
            double dropPath,
            long seed) {
        this(
                epochs,
                batchSize,
                lr,
                weightDecay,
                warmupEpochs,
                warmupLr,
                minLr,
                dropPath,
                seed,
                AUTO);
    }

    /**
     * @param arch the architecture trained
     * @return the micro-batches per step: {@code accumulate}, or the architecture's choice for
     *     {@link #AUTO}, never more than the batch's images
     */
    public int microBatches(VitArchitecture arch) {
        return accumulate == AUTO ? arch.trainingMicroBatches(batchSize) : accumulate;
    }

    /** Checks every value ({@link #problems}). */
    public TrainSettings {
        List<InvalidSettingsException.Problem> problems =
                problems(
                        epochs,
                        batchSize,
                        lr,
                        weightDecay,
                        warmupEpochs,
                        warmupLr,
                        minLr,
                        dropPath,
                        accumulate);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
    }

    /**
     * A training's values as given, any of them missing (null): the command line's options, or a
     * job's {@code supernet} section. {@link #filledFrom} is the one place the missing ones are
     * filled, for both.
     *
     * @param epochs passes over the training set
     * @param batchSize examples per step
     * @param lr peak learning rate
     * @param weightDecay AdamW's decoupled weight decay
     * @param warmupEpochs warm-up epochs
     * @param minLr learning rate the cosine ends at
     * @param dropPath stochastic-depth rate of the last block
     */
    public record Given(
            Integer epochs,
            Integer batchSize,
            Double lr,
            Double weightDecay,
            Integer warmupEpochs,
            Double minLr,
            Double dropPath) {

        /**
         * @param defaults the command's or the job's defaults
         * @return every value present: each missing one from {@code defaults}, except the warm-up
         *     ({@link #warmupFor} of the epochs run) and the final lr (the default, but never above
         *     the peak lr); nothing checked ({@link #problems} does that)
         */
        public Given filledFrom(TrainSettings defaults) {
            int runEpochs = epochs != null ? epochs : defaults.epochs();
            double peak = lr != null ? lr : defaults.lr();
            return new Given(
                    runEpochs,
                    batchSize != null ? batchSize : defaults.batchSize(),
                    peak,
                    weightDecay != null ? weightDecay : defaults.weightDecay(),
                    warmupEpochs != null
                            ? warmupEpochs
                            : warmupFor(defaults.warmupEpochs(), runEpochs),
                    minLr != null ? minLr : Math.min(defaults.minLr(), peak),
                    dropPath != null ? dropPath : defaults.dropPath());
        }
    }

    /** The largest epoch count any training accepts. */
    public static final int MAX_EPOCHS = 100_000;

    /** The largest batch any training accepts. */
    public static final int MAX_BATCH = 4096;

    /**
     * Every rule of a training's settings, in the one place the constructor, a job's spec ({@code
     * supernet.*}, {@code retrain.*}) and the command line ({@code --epochs}, …) take them from.
     *
     * @return the broken rules, under the names a job's spec uses; empty when all hold
     */
    public static List<InvalidSettingsException.Problem> problems(
            int epochs,
            int batchSize,
            double lr,
            double weightDecay,
            int warmupEpochs,
            double warmupLr,
            double minLr,
            double dropPath,
            int accumulate) {
        List<InvalidSettingsException.Problem> p = new ArrayList<>();
        InvalidSettingsException.require(
                p,
                epochs >= 1 && epochs <= MAX_EPOCHS,
                "epochs",
                "must be in [1, " + MAX_EPOCHS + "], got " + epochs);
        InvalidSettingsException.require(
                p,
                batchSize >= 1 && batchSize <= MAX_BATCH,
                "batchSize",
                "must be in [1, " + MAX_BATCH + "], got " + batchSize);
        InvalidSettingsException.require(
                p, lr > 0 && lr < 10, "lr", "must be in (0, 10), got " + lr);
        InvalidSettingsException.require(
                p,
                weightDecay >= 0 && weightDecay < 10,
                "weightDecay",
                "must be in [0, 10), got " + weightDecay);
        InvalidSettingsException.require(
                p,
                warmupEpochs >= 0 && warmupEpochs <= Math.max(epochs, 0),
                "warmupEpochs",
                "must be in [0, epochs " + epochs + "], got " + warmupEpochs);
        InvalidSettingsException.require(
                p,
                warmupLr >= 0 && warmupLr < 10,
                "warmupLr",
                "must be in [0, 10), got " + warmupLr);
        InvalidSettingsException.require(
                p, minLr >= 0 && minLr < 10, "minLr", "must be in [0, 10), got " + minLr);
        InvalidSettingsException.require(
                p, dropPath >= 0 && dropPath < 1, "dropPath", "must be in [0, 1), got " + dropPath);
        InvalidSettingsException.require(
                p,
                accumulate >= AUTO && accumulate <= Math.max(1, batchSize),
                "accumulate",
                "must be 0 (chosen by the architecture) or in [1, batch size "
                        + batchSize
                        + "], got "
                        + accumulate);
        return p;
    }

    /**
     * The reference's supernet defaults: AdamW lr 1e-4, weight decay 1e-4, 10 warm-up epochs from
     * 1e-6, cosine to 1e-5, batch 64, drop-path 0.1.
     *
     * @param epochs passes over the training set (the reference: 500)
     * @param seed the seed
     * @return the settings
     */
    public static TrainSettings reference(int epochs, long seed) {
        return new TrainSettings(
                epochs,
                64,
                1e-4,
                1e-4,
                warmupFor(REFERENCE_WARMUP_EPOCHS, epochs),
                1e-6,
                1e-5,
                0.1,
                seed,
                1);
    }

    /**
     * The reference's supernet epochs on VTAB-1K (no longer the default: {@link
     * #supernetDefaults}).
     */
    public static final int REFERENCE_EPOCHS = 500;

    /**
     * The supernet defaults of {@code train-supernet} and of a job: the reference's, but at lr 1e-3
     * with 3 warm-up epochs (100 epochs at 1e-3 gave the same searched and retrained accuracy as
     * the reference's 500 at 1e-4 in a fifth of the training), and 30 epochs: of a job's 130, the
     * retraining of the chosen adapter gets 100 (BENCHMARKS.md, issues 19 and 30).
     *
     * @param epochs passes over the training set ({@link #DEFAULT_SUPERNET_EPOCHS})
     * @param seed the seed
     * @return the settings
     */
    public static TrainSettings supernetDefaults(int epochs, long seed) {
        return new TrainSettings(
                epochs,
                64,
                DEFAULT_SUPERNET_LR,
                1e-4,
                warmupFor(DEFAULT_WARMUP_EPOCHS, epochs),
                1e-6,
                1e-5,
                0.1,
                seed,
                1);
    }

    /**
     * The default supernet epochs of {@code train-supernet} and of a job: 30, with 100 of
     * retraining, delivered within 0.3 points of the LoRA trained the same 130 epochs where 100 +
     * 30 trailed it by up to 3.4 (BENCHMARKS.md, "Against the job's own LoRA baseline").
     */
    public static final int DEFAULT_SUPERNET_EPOCHS = 30;

    /** The default supernet learning rate. */
    public static final double DEFAULT_SUPERNET_LR = 1e-3;

    /** The default warm-up epochs. */
    public static final int DEFAULT_WARMUP_EPOCHS = 3;

    /** The reference's warm-up epochs. */
    public static final int REFERENCE_WARMUP_EPOCHS = 10;

    /**
     * The one rule for a warm-up nobody gave: the default, but always below the epoch count (the
     * command line and a job's spec both apply it).
     *
     * @param warmup the default warm-up epochs
     * @param epochs the epochs of the run
     * @return the warm-up to use
     */
    public static int warmupFor(int warmup, int epochs) {
        return Math.max(0, Math.min(warmup, epochs - 1));
    }

    /**
     * The learning rate of an epoch, as timm's {@code CosineLRScheduler} stepped per epoch: linear
     * from {@code warmupLr} to {@code lr} over the warm-up epochs, then \(\mathrm{minLr} +
     * \tfrac12(\mathrm{lr} - \mathrm{minLr})(1 + \cos(\pi t / T))\) with t the epoch and T the
     * epoch count.
     *
     * @param epoch 0-based epoch
     * @return its learning rate
     */
    public double learningRate(int epoch) {
        if (epoch < warmupEpochs) {
            return warmupLr + (lr - warmupLr) * epoch / warmupEpochs;
        }
        return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * epoch / epochs));
    }

    /**
     * @param parts micro-batches per step
     * @return these settings with each batch trained in {@code parts} micro-batches
     */
    public TrainSettings withAccumulate(int parts) {
        return new TrainSettings(
                epochs,
                batchSize,
                lr,
                weightDecay,
                warmupEpochs,
                warmupLr,
                minLr,
                dropPath,
                seed,
                parts);
    }

    /**
     * @return every value that changes the result in one line, to tell whether a resume file
     *     belongs to this run (not {@code accumulate}: it changes memory, not the result)
     */
    public String fingerprint() {
        return String.format(
                Locale.ROOT,
                "epochs=%d batch=%d lr=%s wd=%s warmup=%d warmup_lr=%s min_lr=%s"
                        + " drop_path=%s seed=%d",
                epochs,
                batchSize,
                lr,
                weightDecay,
                warmupEpochs,
                warmupLr,
                minLr,
                dropPath,
                seed);
    }
}
