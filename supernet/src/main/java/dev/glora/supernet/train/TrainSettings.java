package dev.glora.supernet.train;

import java.util.Locale;

/**
 * Hyper-parameters of one training run (GLORA.md §2 gives the reference defaults).
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
 *     batch up to float rounding, with the activation memory of one micro-batch
 */
public record TrainSettings(int epochs, int batchSize, double lr, double weightDecay, int warmupEpochs,
        double warmupLr, double minLr, double dropPath, long seed, int accumulate) {

    /** Settings that train every batch whole. */
    public TrainSettings(int epochs, int batchSize, double lr, double weightDecay, int warmupEpochs,
            double warmupLr, double minLr, double dropPath, long seed) {
        this(epochs, batchSize, lr, weightDecay, warmupEpochs, warmupLr, minLr, dropPath, seed, 1);
    }

    /** Checks every value. */
    public TrainSettings {
        if (epochs < 1 || batchSize < 1) {
            throw new IllegalArgumentException("epochs and batch size must be positive, got " + epochs + " and "
                    + batchSize);
        }
        if (!(lr > 0) || !(weightDecay >= 0) || !(warmupLr >= 0) || !(minLr >= 0) || warmupEpochs < 0) {
            throw new IllegalArgumentException("lr must be positive and weight decay, warm-up epochs, warm-up lr"
                    + " and minimum lr non-negative, got lr " + lr + ", weight decay " + weightDecay + ", warm-up "
                    + warmupEpochs + " epochs from " + warmupLr + ", minimum " + minLr);
        }
        if (accumulate < 1 || accumulate > batchSize) {
            throw new IllegalArgumentException("accumulate must be in [1, batch size " + batchSize + "], got "
                    + accumulate);
        }
        if (!(dropPath >= 0 && dropPath < 1)) {
            throw new IllegalArgumentException("drop-path rate must be in [0, 1), got " + dropPath);
        }
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
        return new TrainSettings(epochs, 64, 1e-4, 1e-4, warmupFor(REFERENCE_WARMUP_EPOCHS, epochs), 1e-6, 1e-5, 0.1,
                seed, 1);
    }

    /** The reference's supernet epochs on VTAB-1K: the default of {@code train-supernet} and of a job. */
    public static final int REFERENCE_EPOCHS = 500;
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
     * from {@code warmupLr} to {@code lr} over the warm-up epochs, then
     * \(\mathrm{minLr} + \tfrac12(\mathrm{lr} - \mathrm{minLr})(1 + \cos(\pi t / T))\) with t the
     * epoch and T the epoch count.
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
        return new TrainSettings(epochs, batchSize, lr, weightDecay, warmupEpochs, warmupLr, minLr, dropPath, seed,
                parts);
    }

    /**
     * @return every value that changes the result in one line, to tell whether a resume file
     *     belongs to this run (not {@code accumulate}: it changes memory, not the result)
     */
    public String fingerprint() {
        return String.format(Locale.ROOT, "epochs=%d batch=%d lr=%s wd=%s warmup=%d warmup_lr=%s min_lr=%s"
                + " drop_path=%s seed=%d", epochs, batchSize, lr, weightDecay, warmupEpochs, warmupLr, minLr, dropPath,
                seed);
    }
}
