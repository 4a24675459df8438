package dev.glora.worker;

import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A configuration trained with its modes fixed ({@link Retraining}) inside a task: on the spec's
 * threads (the floats depend on them, so a job trains exactly as {@code glora finetune --threads N}
 * and {@code glora search --finalists --threads N} do), checking the lease every step, from a
 * resume point in the worker's cache that is removed before and after (a worker that takes over
 * trains again from the start).
 */
final class FixedTraining {

    private FixedTraining() {}

    /**
     * @param settings the worker's settings (cache folder, slots)
     * @param held the task, checked every step
     * @param job the job's inputs
     * @param stage names the resume point ({@code retrain}, {@code baseline}, {@code finalist-3})
     * @param metadata what the trained checkpoint's metadata adds to the architecture and rank
     * @return the training's result
     */
    static Retraining.Result run(
            WorkerSettings settings,
            HeldTask held,
            JobInputs.Entry job,
            String stage,
            Checkpoint start,
            SubnetConfig config,
            TrainSettings train,
            ImageDataset trainSet,
            String identity,
            String source,
            Map<String, String> metadata) {
        Path resume =
                settings.cacheDir().resolve("job-" + held.task().jobId() + "-" + stage + ".resume");
        try {
            Files.deleteIfExists(resume);
            TorchRuntime.setThreads(job.spec.trainingThreads(settings.slots()));
            try {
                return Retraining.run(
                        start,
                        config,
                        train,
                        trainSet,
                        job.val,
                        resume,
                        identity,
                        new TrainingListener() {
                            @Override
                            public void onStep(
                                    int epoch,
                                    int step,
                                    int steps,
                                    double loss,
                                    double imagesPerSecond) {
                                held.check();
                            }
                        },
                        source,
                        metadata);
            } finally {
                TorchRuntime.setThreads(1);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(resume + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(resume);
            } catch (IOException e) {
                // a stale resume point is deleted before the next training; nothing depends on it
            }
        }
    }
}
