package dev.glora.worker;

import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.Stores;
import dev.glora.queue.Task;
import dev.glora.search.Candidate;
import dev.glora.search.Finalists;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.train.TrainSettings;
import java.util.Map;

/**
 * The {@code FINALIST} task (issue 30): one finalist trained briefly from the supernet's weights
 * ({@link JobSpec#finalistSettings}) and scored on val; the row and the task's completion are
 * written in one fenced transaction, so a finalist is stored once, by the worker that holds it. The
 * coordinator queues one per finalist and works on them itself while it waits, as with evaluations,
 * so any slot of any worker trains them.
 */
final class FinalistTraining {

    /**
     * A finalist task's payload.
     *
     * @param ordinal its place in the proxy's order of the finalists
     * @param count how many finalists the job trains
     * @param candidate the finalist as the search scored it
     */
    record Payload(int ordinal, int count, Candidate candidate) {

        String json() {
            return JobStore.gson().toJson(this);
        }

        static Payload parse(String json) {
            return JobStore.gson().fromJson(json, Payload.class);
        }
    }

    private final Stores stores;
    private final JobInputs inputs;
    private final WorkerSettings settings;

    FinalistTraining(Stores stores, JobInputs inputs, WorkerSettings settings) {
        this.stores = stores;
        this.inputs = inputs;
        this.settings = settings;
    }

    void run(HeldTask held) {
        Task task = held.task();
        long jobId = task.jobId();
        JobInputs.Entry job = inputs.entry(jobId);
        Payload payload = Payload.parse(task.payload());
        Candidate c = payload.candidate();
        TrainSettings train = job.spec.finalistSettings();
        ImageDataset trainSet = Vtab1k.read(settings.roots().data(), job.task, JobSpec.TRAIN_LIST);
        double accuracy =
                Finalists.accuracyAfter(
                        FixedTraining.run(
                                settings,
                                held,
                                job,
                                "finalist-" + payload.ordinal(),
                                job.supernet,
                                job.encoding.decode(c.alleles()),
                                train,
                                trainSet,
                                "finalist "
                                        + c.key()
                                        + " of job "
                                        + jobId
                                        + " "
                                        + job.sha256
                                        + " "
                                        + train.fingerprint(),
                                job.source(),
                                Map.of()));
        stores.queue()
                .fenced(
                        task.lease(),
                        "recording finalist " + payload.ordinal() + " of job " + jobId,
                        conn -> {
                            stores.results()
                                    .recordFinalist(
                                            conn,
                                            jobId,
                                            payload.ordinal(),
                                            c,
                                            accuracy,
                                            payload.count());
                            stores.queue().complete(conn, task.lease(), null);
                            return null;
                        });
    }
}
