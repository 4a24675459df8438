package dev.glora.worker;

import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.Stores;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.search.Candidate;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.SearchExport;
import dev.glora.supernet.data.Vtab1k;

/**
 * The {@code COORDINATE} task: runs a job's evolutionary search (the same engine and seed as
 * {@code glora search}), persisting every generation with its candidates in one fenced
 * transaction; a coordinator that takes over resumes after the last persisted generation. At the
 * end it scores the chosen subnet once on test and stores the best-config JSON, the Pareto front
 * and the merged model.
 */
final class SearchCoordination {

    private final Stores stores;
    private final Worker worker;
    private final JobInputs inputs;
    private final WorkerSettings settings;

    SearchCoordination(Stores stores, Worker worker, JobInputs inputs, WorkerSettings settings) {
        this.stores = stores;
        this.worker = worker;
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
        QueueEvaluator evaluator = new QueueEvaluator(stores, worker, held, job.encoding, settings.candidatesPerTask());
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
        SearchExport export = SearchExport.of(result, job.supernet, job.sha256, job.encoding, spec.searchSettings(),
                Vtab1k.read(job.task, JobInputs.TEST_LIST), settings.imageBatch(), job.source());
        byte[] model = inputs.bytes(export.model(), "job-" + jobId + "-model");
        stores.queue().fenced(task.lease(), "storing the results of job " + jobId, c -> {
            stores.results().putArtefact(c, jobId, "best-config", bytes(export.bestConfigJson()));
            stores.results().putArtefact(c, jobId, "pareto", bytes(export.paretoJson()));
            stores.results().putArtefact(c, jobId, "model", model);
            stores.jobs().progress(c, jobId, java.util.Map.of("test_accuracy", export.testAccuracy()));
            stores.queue().complete(c, task.lease(), null);
            return stores.jobs().setStatus(c, jobId, JobStatus.SUCCEEDED, null);
        });
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
