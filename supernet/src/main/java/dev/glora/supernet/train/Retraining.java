package dev.glora.supernet.train;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.glora.Supernet;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The retraining stage of the pipeline: one configuration's adapters and head trained further with
 * its modes fixed, starting from a supernet's trained weights (or from fresh adapters). A job's
 * retraining ({@code SearchCoordination}) and {@code glora finetune --method glora} both run this,
 * so the same supernet, configuration, settings and thread count give the same tensors.
 */
public final class Retraining {

    /**
     * What a retraining returns.
     *
     * @param trained the adapters and head after training, in the supernet layout
     * @param history loss and validation accuracy per epoch
     */
    public record Result(Checkpoint trained, List<EpochResult> history) {}

    private Retraining() {}

    /**
     * @param start a trained supernet, or a backbone with fresh adapters ({@link Supernet#fresh})
     * @param config the configuration whose modes stay fixed
     * @param settings the training's hyper-parameters and seed
     * @param train training set
     * @param val validation set (scored after every epoch)
     * @param resume the resume point, written after every epoch and read when it matches {@code
     *     identity}
     * @param identity what must match for a resume point to belong to this retraining
     * @param listener progress, and the place to stop early (throwing from {@code onStep})
     * @param source names {@code start} in errors
     * @param metadata what the trained checkpoint's metadata adds to the architecture and rank
     * @return the trained checkpoint and the history
     */
    public static Result run(
            Checkpoint start,
            SubnetConfig config,
            TrainSettings settings,
            ImageDataset train,
            ImageDataset val,
            Path resume,
            String identity,
            TrainingListener listener,
            String source,
            Map<String, String> metadata) {
        try (Supernet supernet = Supernet.load(start, source)) {
            List<EpochResult> history =
                    new Trainer(settings, listener)
                            .fit(Trainees.fixed(supernet, config), train, val, resume, identity);
            return new Result(supernet.toCheckpoint(metadata), history);
        }
    }
}
