package dev.glora.worker;

import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.Stores;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.search.Candidate;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.LocalEvaluator;
import dev.glora.search.Reranking;
import dev.glora.search.SearchExport;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code COORDINATE} task: runs a job's evolutionary search (the same engine and seed as
 * {@code glora search}), persisting every generation with its candidates in one fenced
 * transaction; a coordinator that takes over resumes after the last persisted generation. At the
 * end it scores the chosen subnet once on test and stores the best-config JSON, the Pareto front
 * and the merged model; when the job asks for it, the chosen subnet is first retrained from the
 * supernet's weights, and the model stored is the retrained one.
 */
final class SearchCoordination {

    private final Stores stores;
    private final QueueEvaluator.LocalWork localWork;
    private final JobInputs inputs;
    private final WorkerSettings settings;

    SearchCoordination(Stores stores, QueueEvaluator.LocalWork localWork, JobInputs inputs, WorkerSettings settings) {
        this.stores = stores;
        this.localWork = localWork;
        this.inputs = inputs;
        this.settings = settings;
    }

    void run(HeldTask held) {
        Task task = held.task();
        long jobId = task.jobId();
        JobInputs.Entry job = inputs.entry(jobId);
        JobSpec spec = job.spec;
        // evaluations a previous coordinator queued belong to a generation that was never persisted
        stores.queue().fenced(task.lease(), "starting the search of job " + jobId, c -> {
            stores.queue().cancel(c, jobId, TaskKind.EVALUATE);
            return stores.jobs().setStatus(c, jobId, JobStatus.SEARCHING, null);
        });
        EvolutionarySearch.State state = stores.results().searchState(jobId);
        QueueEvaluator evaluator = new QueueEvaluator(stores, localWork, held, job.encoding, settings.candidatesPerTask());
        EvolutionarySearch.Result result = new EvolutionarySearch(job.encoding, spec.searchSettings()).run(evaluator,
                state, (stats, population, after) -> {
                    Candidate best = after.evaluated().stream().min(Candidate::compareBest).orElseThrow();
                    stores.queue().fenced(task.lease(), "recording generation " + stats.generation() + " of job "
                            + jobId, c -> {
                                stores.results().recordGeneration(c, jobId, stats, population, best);
                                return null;
                            });
                });
        stores.queue().fenced(task.lease(), "exporting job " + jobId,
                c -> stores.jobs().setStatus(c, jobId, JobStatus.EXPORTING, null));
        ImageDataset test = Vtab1k.read(settings.roots().data(), job.task, JobSpec.TEST_LIST);
        Reranking reranking = null;
        if (spec.search().rerankList() != null) {
            // scored here, on this worker's slots: a score does not depend on who computes it
            try (LocalEvaluator larger = new LocalEvaluator(job.supernet, Vtab1k.read(settings.roots().data(), job.task,
                    spec.search().rerankList()), settings.slots(), settings.imageBatch(), job.source(), Racing.OFF)) {
                reranking = Reranking.of(result, spec.search().rerankTop(), spec.search().rerankList(), larger,
                        job.encoding);
            }
        }
        SearchExport searched = SearchExport.of(result, reranking, job.supernet, job.sha256, job.encoding,
                spec.searchSettings(), test, settings.imageBatch(), job.source());
        SearchExport export = spec.retrain() != null && spec.retrain().epochs() > 0
                ? retrain(held, job, searched, test) : searched;
        inputs.store(task.lease(), jobId, ArtefactKind.MODEL, export.model(), c -> {
            stores.results().putArtefact(c, jobId, ArtefactKind.BEST_CONFIG, bytes(export.bestConfigJson()));
            stores.results().putArtefact(c, jobId, ArtefactKind.PARETO, bytes(export.paretoJson()));
            stores.jobs().progress(c, jobId, java.util.Map.of("test_accuracy", export.deliveredTestAccuracy()));
            stores.queue().complete(c, task.lease(), null);
            return stores.jobs().setStatus(c, jobId, JobStatus.SUCCEEDED, null);
        });
    }

    /**
     * Trains the chosen subnet's adapters and head further, from the supernet's weights (the
     * modes fixed, as {@code glora finetune --method glora --supernet} does), checking the lease
     * every step; scores the result on test, and on val unless it was retrained on val's images.
     */
    private SearchExport retrain(HeldTask held, JobInputs.Entry job, SearchExport searched, ImageDataset test) {
        long jobId = held.task().jobId();
        TrainSettings train = job.spec.retrainSettings();
        SubnetConfig config = job.encoding.decode(searched.best().alleles());
        Path resume = settings.cacheDir().resolve("job-" + jobId + "-retrain.resume");
        try {
            Files.deleteIfExists(resume);
            Checkpoint retrained;
            // on the spec's threads, as the supernet's training: the floats depend on it, and so a
            // job retrains exactly as glora finetune --threads N does (the worker sets 1 again after)
            TorchRuntime.setThreads(job.spec.trainingThreads(settings.slots()));
            try {
                // the pipeline's retraining stage, as glora finetune --method glora --supernet runs it
                retrained = Retraining.run(job.supernet, config, train, Vtab1k.read(settings.roots().data(), job.task,
                        job.spec.retrainList()), job.val, resume, "retraining of job " + jobId + " " + job.sha256,
                        new TrainingListener() {
                            @Override
                            public void onStep(int epoch, int step, int steps, double loss, double imagesPerSecond) {
                                held.check();
                            }
                        }, job.source(), job.supernet.metadata()).trained();
            } finally {
                TorchRuntime.setThreads(1);
            }
            Double val = null;
            double testAccuracy;
            String source = "retrained subnet of job " + jobId;
            if (!Vtab1k.shareImages(job.task, job.spec.retrainList(), JobSpec.VAL_LIST)) {
                try (SubnetScorer scorer = new SubnetScorer(retrained, job.val, settings.imageBatch(), source)) {
                    val = scorer.score(config).value();
                }
            }
            try (SubnetScorer scorer = new SubnetScorer(retrained, test, settings.imageBatch(), source)) {
                testAccuracy = scorer.score(config).value();
            }
            return searched.retrained(retrained, config, train, job.spec.retrainList(), val, testAccuracy, source);
        } catch (IOException e) {
            throw new UncheckedIOException(resume + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(resume);
            } catch (IOException e) {
                // a stale resume point is deleted before the next retraining; nothing depends on it
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
