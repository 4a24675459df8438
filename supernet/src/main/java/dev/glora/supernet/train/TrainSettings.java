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
 */
public record TrainSettings(int epochs, int batchSize, double lr, double weightDecay, int warmupEpochs,
        double warmupLr, double minLr, double dropPath, long seed) {

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
        return new TrainSettings(epochs, 64, 1e-4, 1e-4, 10, 1e-6, 1e-5, 0.1, seed);
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

    /** @return every value in one line, to tell whether a resume file belongs to this run */
    public String fingerprint() {
        return String.format(Locale.ROOT, "epochs=%d batch=%d lr=%s wd=%s warmup=%d warmup_lr=%s min_lr=%s"
                + " drop_path=%s seed=%d", epochs, batchSize, lr, weightDecay, warmupEpochs, warmupLr, minLr, dropPath,
                seed);
    }
}
