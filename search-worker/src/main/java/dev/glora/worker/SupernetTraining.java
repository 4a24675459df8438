package dev.glora.worker;

import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.Stores;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.SupernetSetup;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.train.TrainingListener;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.DoubleConsumer;

/**
 * The {@code TRAIN} task: trains a job's supernet as {@code glora train-supernet} does. After every
 * epoch its resume point goes to the artefact store, so a worker that takes over after a crash
 * resumes from the last finished epoch, on any machine; at the end the supernet is stored and the
 * search is queued, in one fenced transaction.
 */
final class SupernetTraining {

    private final Stores stores;
    private final WorkerSettings settings;
    private final JobInputs inputs;
    private final Timer stepTimer;

    /** Told each step's training images per second (the worker's gauge). */
    private final DoubleConsumer imageRate;

    SupernetTraining(
            Stores stores,
            WorkerSettings settings,
            JobInputs inputs,
            Timer stepTimer,
            DoubleConsumer imageRate) {
        this.stores = stores;
        this.settings = settings;
        this.inputs = inputs;
        this.stepTimer = stepTimer;
        this.imageRate = imageRate;
    }

    void run(HeldTask held) {
        Task task = held.task();
        long jobId = task.jobId();
        JobSpec spec = stores.jobs().spec(jobId);
        Path backbone = settings.roots().backbone(spec.backbone());
        Path folder = settings.roots().task(spec.data());
        stores.queue()
                .fenced(
                        task.lease(),
                        "starting the training of job " + jobId,
                        c -> stores.jobs().setStatus(c, jobId, JobStatus.TRAINING, null));
        // the spec's thread count, not this worker's: a training's floats depend on it
        TorchRuntime.setThreads(spec.trainingThreads(settings.slots()));
        // one file per lease: an attempt whose lease lapsed may still be finishing an epoch in this
        // process while its successor restores the stored resume point
        Path resume =
                settings.cacheDir()
                        .resolve(
                                "job-" + jobId + "-supernet-" + task.lease().version() + ".resume");
        try {
            train(held, spec, backbone, folder, resume);
        } finally {
            try {
                Files.deleteIfExists(resume);
            } catch (IOException e) {
                // a stale resume point is replaced by the store's next time; nothing depends on
                // removing it
            }
        }
    }

    private void train(HeldTask held, JobSpec spec, Path backbone, Path folder, Path resume) {
        Task task = held.task();
        long jobId = task.jobId();
        TrainSettings train = spec.trainSettings();
        SearchSpace space = spec.space();
        restoreResumePoint(jobId, resume);
        SupernetSetup setup =
                SupernetSetup.of(
                        settings.roots().models(),
                        backbone,
                        settings.roots().data(),
                        folder,
                        JobSpec.TRAIN_LIST,
                        JobSpec.VAL_LIST,
                        space,
                        train,
                        spec.sampling(),
                        spec.samplingLimit(),
                        "glora search service, job " + jobId + ",");
        Checkpoint trained;
        try (Supernet supernet = Supernet.load(setup.fresh(), "fresh supernet of job " + jobId)) {
            List<EpochResult> history =
                    new Trainer(train, listener(held, resume))
                            .fit(
                                    setup.trainee(supernet),
                                    setup.train(),
                                    setup.val(),
                                    resume,
                                    "job " + jobId + " " + setup.provenance().values());
            trained = setup.trained(supernet, history);
        }
        inputs.store(
                task.lease(),
                jobId,
                ArtefactKind.SUPERNET,
                trained,
                c -> {
                    stores.results().deleteArtefact(c, jobId, ArtefactKind.SUPERNET_RESUME);
                    stores.queue().complete(c, task.lease(), null);
                    stores.queue().enqueue(c, jobId, TaskKind.COORDINATE, "{}");
                    return stores.jobs().setStatus(c, jobId, JobStatus.SEARCHING, null);
                });
    }

    private TrainingListener listener(HeldTask held, Path resume) {
        long jobId = held.task().jobId();
        return new TrainingListener() {
            private long last = System.nanoTime();

            @Override
            public void onStep(
                    int epoch, int step, int steps, double loss, double imagesPerSecond) {
                long now = System.nanoTime();
                stepTimer.record(Duration.ofNanos(now - last));
                imageRate.accept(imagesPerSecond);
                last = now;
                held.check();
            }

            @Override
            public void onEpoch(EpochResult result) {
                stores.queue()
                        .fenced(
                                held.task().lease(),
                                "recording epoch " + result.epoch() + " of job " + jobId,
                                c -> {
                                    stores.results()
                                            .putArtefact(
                                                    c, jobId, ArtefactKind.SUPERNET_RESUME, resume);
                                    stores.results().recordEpoch(c, jobId, result);
                                    return null;
                                });
                last = System.nanoTime();
            }
        };
    }

    /** The store's resume point wins over a local one: it is the last epoch any worker finished. */
    private void restoreResumePoint(long jobId, Path resume) {
        var stored = stores.results().artefactInfo(jobId, ArtefactKind.SUPERNET_RESUME);
        try {
            if (stored.isPresent()) {
                Files.createDirectories(resume.getParent());
                stores.results().saveArtefact(jobId, stored.get(), resume);
            } else {
                Files.deleteIfExists(resume);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(resume + ": " + e.getMessage(), e);
        }
    }
}
