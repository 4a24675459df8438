package dev.glora.cli;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.train.TrainSettings;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every training command shares; each command supplies its own defaults. */
final class TrainingOptions {

    /**
     * The option of each setting TrainSettings.problems names (errors speak the command line's
     * words).
     */
    static final Map<String, String> OPTIONS =
            Map.of(
                    "epochs",
                    "--epochs",
                    "batchSize",
                    "--batch",
                    "lr",
                    "--lr",
                    "weightDecay",
                    "--weight-decay",
                    "warmupEpochs",
                    "--warmup",
                    "minLr",
                    "--min-lr",
                    "dropPath",
                    "--drop-path",
                    "accumulate",
                    "--accumulate");

    @Option(names = "--epochs", description = "passes over the training set")
    Integer epochs;

    @Option(names = "--batch", description = "examples per step")
    Integer batch;

    @Option(names = "--lr", description = "peak learning rate (AdamW)")
    Double lr;

    @Option(names = "--weight-decay", description = "AdamW's decoupled weight decay")
    Double weightDecay;

    @Option(names = "--warmup", description = "warm-up epochs (linear from 1e-6), then a cosine")
    Integer warmup;

    @Option(names = "--min-lr", description = "learning rate the cosine ends at")
    Double minLr;

    @Option(names = "--drop-path", description = "stochastic-depth rate of the last block")
    Double dropPath;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "seed of every random choice (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: all cores)")
    Integer threads;

    @Option(
            names = "--accumulate",
            defaultValue = "0",
            paramLabel = "N",
            description =
                    "train each batch in N micro-batches (gradient accumulation: the same result up to float"
                            + " rounding, about 1/N of the activation memory); default 0: chosen from the architecture"
                            + " (1 for small models, 4 for ViT-S/16 at 224 px and batch 64)")
    int accumulate;

    /**
     * @param defaults the command's defaults
     * @return the defaults overridden by whatever was given
     */
    TrainSettings settings(TrainSettings defaults) {
        // always set, to the cores by default as a job's spec does: a training's floats depend on
        // it
        TorchRuntime.setThreads(threads());
        TrainSettings.Given given =
                new TrainSettings.Given(epochs, batch, lr, weightDecay, warmup, minLr, dropPath)
                        .filledFrom(defaults);
        try {
            return new TrainSettings(
                    given.epochs(),
                    given.batchSize(),
                    given.lr(),
                    given.weightDecay(),
                    given.warmupEpochs(),
                    defaults.warmupLr(),
                    given.minLr(),
                    given.dropPath(),
                    seed,
                    accumulate);
        } catch (InvalidSettingsException e) {
            throw new GloraException(e.describe(OPTIONS));
        }
    }

    /**
     * @return the PyTorch threads of the training: {@code --threads}, else every core
     */
    int threads() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}
