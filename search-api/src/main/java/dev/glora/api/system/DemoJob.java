package dev.glora.api.system;

import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.Roots;
import dev.glora.jobs.SubmitChecks;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.data.FmnistVtab;
import dev.glora.supernet.data.Idx;
import dev.glora.supernet.data.ImageDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * {@code --demo}: submits a small search on the shipped backbone and the FMNIST-VTAB {@code new5}
 * task, written first from the shipped Fashion-MNIST sample when the data root lacks it.
 */
@Component
class DemoJob implements ApplicationRunner {

    static final String BACKBONE = "fmnist-vit-upstream.safetensors";
    static final String SAMPLE = "fashion-mnist-sample";
    static final String TASK = "fmnist-vtab-sample/new5";
    static final String NAME = "demo: new5 on the shipped backbone";

    private static final Logger LOG = Logger.getLogger(DemoJob.class.getName());

    private final JobStore jobs;
    private final GloraProperties properties;
    private final Roots roots;

    DemoJob(JobStore jobs, GloraProperties properties, Roots roots) {
        this.jobs = jobs;
        this.properties = properties;
        this.roots = roots;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!args.containsOption("demo")) {
            return;
        }
        // the data outlive the process: a demo job an earlier start submitted and did not finish
        // resumes on the workers, and a second one would only halve the speed of both
        var unfinished =
                jobs.list().stream()
                        .filter(j -> j.name().equals(NAME) && !j.status().terminal())
                        .findFirst();
        if (unfinished.isPresent()) {
            LOG.info(
                    () ->
                            "demo: job "
                                    + unfinished.get().id()
                                    + ", submitted at an earlier start, is still "
                                    + unfinished.get().status()
                                    + "; follow it at /api/v1/jobs/"
                                    + unfinished.get().id());
            return;
        }
        Path task = properties.data().resolve(TASK);
        if (!Files.exists(task.resolve("test.txt"))) {
            Path sample = properties.data().resolve(SAMPLE);
            LOG.info(
                    () ->
                            "demo: writing the FMNIST-VTAB new5 task from "
                                    + sample
                                    + " into "
                                    + task);
            ImageDataset train = Idx.readSplit(sample, "train");
            ImageDataset test = Idx.readSplit(sample, "t10k");
            FmnistVtab.write(
                    FmnistVtab.Task.NEW5,
                    train,
                    test,
                    task,
                    0,
                    FmnistVtab.Sizes.VTAB_1K,
                    Map.of(
                            "producer",
                            "glora search service --demo " + Provenance.codeVersion(),
                            "source",
                            sample.toString()));
        }
        JobSpec spec =
                new JobRequest(
                                NAME,
                                BACKBONE,
                                TASK,
                                // a job's default split of the epochs, scaled down: 3 in the
                                // supernet, 10 retraining the chosen subnet (a job: 30, 100)
                                new JobRequest.Supernet(4, List.of(4, 2), 3, 32, 1e-3, 1e-4, 1),
                                new JobRequest.Search(
                                        20,
                                        6,
                                        5,
                                        8,
                                        8,
                                        0.2,
                                        -1L,
                                        0L,
                                        SearchSettings.Objective.ACCURACY),
                                new JobRequest.Retrain(10, 1e-3, 1),
                                new JobRequest.Baseline(true, null, null),
                                0L)
                        .withDefaults();
        // the checks every submitted spec passes: a demo that would fail later fails here, by field
        SubmitChecks.Outcome checked = SubmitChecks.check(spec, roots);
        if (!checked.errors().isEmpty()) {
            throw new IllegalStateException("the demo job's spec is refused: " + checked.errors());
        }
        long id = jobs.submit(spec, checked.architecture());
        LOG.info(() -> "demo: submitted job " + id + "; follow it at /api/v1/jobs/" + id);
    }
}
