package dev.glora.worker;

import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.Stores;
import dev.glora.queue.LeaseLostException;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.queue.TaskQueue;
import dev.glora.queue.TaskStatus;
import dev.glora.search.Candidate;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.Finalists;
import dev.glora.search.LocalEvaluator;
import dev.glora.search.Reranking;
import dev.glora.search.SearchException;
import dev.glora.search.SearchExport;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.SupernetSetup;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import dev.glora.supernet.vit.VitModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code COORDINATE} task: runs a job's evolutionary search (the same engine and seed as {@code
 * glora search}), persisting every generation with its candidates in one fenced transaction; a
 * coordinator that takes over resumes after the last persisted generation. At the end it scores the
 * chosen subnet once on test and stores the best-config JSON, the Pareto front and the merged
 * model; when the job asks for it, the chosen subnet is first retrained from the supernet's
 * weights, and the model stored is the retrained one; and a LoRA baseline is trained beside it and
 * reported in the best-config JSON.
 */
final class SearchCoordination {

    private final Stores stores;
    private final QueueEvaluator.LocalWork localWork;
    private final JobInputs inputs;
    private final WorkerSettings settings;

    SearchCoordination(
            Stores stores,
            QueueEvaluator.LocalWork localWork,
            JobInputs inputs,
            WorkerSettings settings) {
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
        stores.queue()
                .fenced(
                        task.lease(),
                        "starting the search of job " + jobId,
                        c -> {
                            stores.queue().cancel(c, jobId, TaskKind.EVALUATE);
                            return stores.jobs().setStatus(c, jobId, JobStatus.SEARCHING, null);
                        });
        EvolutionarySearch.State state = stores.results().searchState(jobId);
        QueueEvaluator evaluator =
                new QueueEvaluator(
                        stores, localWork, held, job.encoding, settings.candidatesPerTask());
        EvolutionarySearch.Result result =
                new EvolutionarySearch(job.encoding, spec.searchSettings())
                        .run(
                                evaluator,
                                state,
                                (stats, population, after) -> {
                                    Candidate best =
                                            after.evaluated().stream()
                                                    .min(Candidate::compareBest)
                                                    .orElseThrow();
                                    stores.queue()
                                            .fenced(
                                                    task.lease(),
                                                    "recording generation "
                                                            + stats.generation()
                                                            + " of job "
                                                            + jobId,
                                                    c -> {
                                                        stores.results()
                                                                .recordGeneration(
                                                                        c,
                                                                        jobId,
                                                                        stats,
                                                                        population,
                                                                        best);
                                                        return null;
                                                    });
                                });
        stores.queue()
                .fenced(
                        task.lease(),
                        "exporting job " + jobId,
                        c -> stores.jobs().setStatus(c, jobId, JobStatus.EXPORTING, null));
        ImageDataset test = Vtab1k.read(settings.roots().data(), job.task, JobSpec.TEST_LIST);
        Finalists finalists = spec.search().hasFinalists() ? finalists(held, job, result) : null;
        Reranking reranking = null;
        if (spec.search().rerankList() != null) {
            // scored here, on this worker's slots: a score does not depend on who computes it
            try (LocalEvaluator larger =
                    new LocalEvaluator(
                            job.supernet,
                            Vtab1k.read(
                                    settings.roots().data(), job.task, spec.search().rerankList()),
                            settings.slots(),
                            settings.imageBatch(),
                            job.source(),
                            Racing.OFF)) {
                reranking =
                        Reranking.of(
                                result,
                                spec.search().rerankTop(),
                                spec.search().rerankList(),
                                larger,
                                job.encoding);
            }
        }
        SearchExport searched =
                SearchExport.of(
                        result,
                        reranking,
                        finalists,
                        job.supernet,
                        job.sha256,
                        job.encoding,
                        spec.searchSettings(),
                        test,
                        settings.imageBatch(),
                        job.source());
        SearchExport delivered =
                spec.retrain() != null && spec.retrain().epochs() > 0
                        ? retrain(held, job, searched, test)
                        : searched;
        int finalistCount = finalists == null ? 0 : finalists.ranked().size();
        SearchExport export =
                spec.baseline().lora()
                        ? baseline(held, job, delivered, test, finalistCount)
                        : delivered;
        inputs.store(
                task.lease(),
                jobId,
                ArtefactKind.MODEL,
                export.model(),
                c -> {
                    stores.results()
                            .putArtefact(
                                    c,
                                    jobId,
                                    ArtefactKind.BEST_CONFIG,
                                    bytes(export.bestConfigJson()));
                    stores.results()
                            .putArtefact(c, jobId, ArtefactKind.PARETO, bytes(export.paretoJson()));
                    Map<String, Object> tested = new LinkedHashMap<>();
                    tested.put("test_accuracy", export.deliveredTestAccuracy());
                    if (export.baselineTestAccuracy() != null) {
                        tested.put("baseline_test_accuracy", export.baselineTestAccuracy());
                    }
                    stores.jobs().progress(c, jobId, tested);
                    stores.queue().complete(c, task.lease(), null);
                    return stores.jobs().setStatus(c, jobId, JobStatus.SUCCEEDED, null);
                });
    }

    /**
     * Trains the finalists ({@link Finalists#pick}), as {@code glora search --finalists} does: one
     * {@code FINALIST} task per finalist not yet stored, which any slot of any worker trains
     * ({@link FinalistTraining}), this coordinator among them while it waits. A coordinator that
     * takes over cancels the tasks its predecessor queued and queues only the finalists without a
     * row: none stored is trained again.
     */
    private Finalists finalists(
            HeldTask held, JobInputs.Entry job, EvolutionarySearch.Result result) {
        long jobId = held.task().jobId();
        JobSpec spec = job.spec;
        List<Candidate> picked =
                Finalists.pick(result.state().evaluated(), spec.search().finalists());
        Set<String> stored = new HashSet<>();
        stores.results().finalists(jobId).forEach(f -> stored.add(f.key()));
        List<Long> ids =
                stores.queue()
                        .fenced(
                                held.task().lease(),
                                "queueing the finalists of job " + jobId,
                                c -> {
                                    stores.queue().cancel(c, jobId, TaskKind.FINALIST);
                                    List<Long> queued = new ArrayList<>();
                                    for (int i = 0; i < picked.size(); i++) {
                                        if (!stored.contains(picked.get(i).key())) {
                                            queued.add(
                                                    stores.queue()
                                                            .enqueue(
                                                                    c,
                                                                    jobId,
                                                                    TaskKind.FINALIST,
                                                                    new FinalistTraining.Payload(
                                                                                    i,
                                                                                    picked.size(),
                                                                                    picked.get(i))
                                                                            .json()));
                                        }
                                    }
                                    return queued;
                                });
        while (true) {
            held.check();
            Map<Long, TaskQueue.TaskState> states = stores.queue().states(ids);
            if (ids.stream().allMatch(id -> states.get(id).status() == TaskStatus.DONE)) {
                break;
            }
            for (long id : ids) {
                TaskQueue.TaskState state = states.get(id);
                if (state.status() == TaskStatus.DEAD) {
                    throw new SearchException(
                            "finalist task "
                                    + id
                                    + " of job "
                                    + jobId
                                    + " failed after "
                                    + state.attempt()
                                    + " attempt(s): "
                                    + state.error());
                }
                if (state.status() == TaskStatus.CANCELLED) {
                    throw new LeaseLostException(held.task().lease());
                }
            }
            if (!localWork.runOne(jobId, TaskKind.FINALIST)) {
                localWork.awaitWork(settings.poll());
            }
        }
        Map<String, Double> trained = new HashMap<>();
        stores.results().finalists(jobId).forEach(f -> trained.put(f.key(), f.accuracy()));
        List<Finalists.Finalist> ranked = new ArrayList<>();
        for (Candidate c : picked) {
            ranked.add(new Finalists.Finalist(c, trained.get(c.key())));
        }
        return new Finalists(
                spec.finalistSettings().epochs(), JobSpec.TRAIN_LIST, List.copyOf(ranked));
    }

    /**
     * Trains the chosen subnet's adapters and head further, from the supernet's weights (the modes
     * fixed, as {@code glora finetune --method glora --supernet} does), checking the lease every
     * step; scores the result on test, and on val unless it was retrained on val's images.
     */
    private SearchExport retrain(
            HeldTask held, JobInputs.Entry job, SearchExport searched, ImageDataset test) {
        long jobId = held.task().jobId();
        TrainSettings train = job.spec.retrainSettings();
        SubnetConfig config = job.encoding.decode(searched.best().alleles());
        // the pipeline's retraining stage, as glora finetune --method glora runs it: from the
        // supernet's
        // adapters and head (--supernet), or from fresh adapters and a new head on the backbone
        Checkpoint start = job.supernet;
        String identity = "retraining of job " + jobId + " " + job.sha256;
        if (job.spec.retrain().fresh()) {
            Path backboneFile = settings.roots().backbone(job.spec.backbone());
            Checkpoint plain = Safetensors.read(settings.roots().models(), backboneFile);
            VitArchitecture arch = VitModel.architectureOf(plain, null, backboneFile.toString());
            VitArchitecture target =
                    VitArchitecture.fromMetadata(job.supernet.metadata(), job.source());
            start =
                    Supernet.fresh(
                            VitInit.withNewHead(plain, arch, target.numClasses(), train.seed()),
                            target,
                            config.maxRank(),
                            train.seed());
            identity = identity + " fresh";
        }
        // the trained checkpoint describes its own adapters (fresh ones have the configuration's
        // largest rank)
        Checkpoint retrained =
                trainFixed(
                        held,
                        job,
                        "retrain",
                        start,
                        config,
                        train,
                        job.spec.retrainList(),
                        identity,
                        job.source(),
                        start.metadata());
        String source = "retrained subnet of job " + jobId;
        Scores scores = score(job, retrained, config, job.spec.retrainList(), test, source);
        return searched.retrained(
                retrained,
                config,
                train,
                job.spec.retrainList(),
                job.spec.retrain().fresh() ? JobSpec.Retrain.Start.FRESH.label() : null,
                scores.val(),
                scores.test(),
                source);
    }

    /**
     * Trains the job's LoRA baseline ({@link JobSpec.Baseline}) from the backbone, exactly as
     * {@code glora finetune --method lora} does with the settings it records, stores it merged
     * ({@link ArtefactKind#BASELINE_MODEL}), and adds it to the best-config JSON beside the
     * delivered adapter.
     */
    private SearchExport baseline(
            HeldTask held,
            JobInputs.Entry job,
            SearchExport delivered,
            ImageDataset test,
            int finalists) {
        long jobId = held.task().jobId();
        JobSpec spec = job.spec;
        Path backboneFile = settings.roots().backbone(spec.backbone());
        Checkpoint plain = Safetensors.read(settings.roots().models(), backboneFile);
        VitArchitecture arch = VitModel.architectureOf(plain, null, backboneFile.toString());
        VitArchitecture target =
                VitArchitecture.fromMetadata(job.supernet.metadata(), job.source());
        long adapter = delivered.best().parameters();
        int rank =
                spec.baseline().rank() > 0
                        ? spec.baseline().rank()
                        : Supernet.loraRankWithin(target, adapter);
        SubnetConfig lora = SubnetConfig.lora(Supernet.layerNames(target), rank);
        TrainSettings train = spec.baselineSettings(finalists);
        String source = "LoRA baseline of job " + jobId;
        Checkpoint start =
                Supernet.fresh(
                        VitInit.withNewHead(plain, arch, target.numClasses(), train.seed()),
                        target,
                        rank,
                        train.seed());
        Checkpoint trained =
                trainFixed(
                        held,
                        job,
                        "baseline",
                        start,
                        lora,
                        train,
                        spec.baselineList(),
                        "LoRA baseline of job "
                                + jobId
                                + " "
                                + spec.backbone()
                                + " "
                                + train.fingerprint(),
                        source,
                        Map.of());
        Scores scores = score(job, trained, lora, spec.baselineList(), test, source);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora worker " + Provenance.codeVersion() + ", job " + jobId);
        provenance.put("method", "lora");
        provenance.put(VitArchitecture.NAME_KEY, VitArchitecture.nameOf(plain.metadata()));
        SupernetSetup.putClassNames(provenance, job.task);
        provenance.put("train_list", spec.baselineList());
        provenance.put("train_settings", train.fingerprint());
        long size = Supernet.loraParameterCount(target, rank);
        provenance.put("trainable_parameters", Long.toString(size + delivered.headParameters()));
        provenance.put("glora_config", ConfigJson.format(lora, Map.of()).replaceAll("\\s+", ""));
        provenance.put("test_accuracy", Double.toString(scores.test()));
        // stored first, in a transaction of its own: a coordinator that takes over stores it again
        inputs.store(
                held.task().lease(),
                jobId,
                ArtefactKind.BASELINE_MODEL,
                Reparameterizer.merge(trained, lora, provenance, source),
                c -> null);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("method", "lora");
        summary.put("layers", "attn.qkv");
        summary.put("rank", rank);
        summary.put("trainable_parameters", size);
        summary.put("searched_trainable_parameters", adapter);
        summary.put("epochs", train.epochs());
        summary.put("lr", train.lr());
        summary.put("warmup_epochs", train.warmupEpochs());
        summary.put("train_list", spec.baselineList());
        if (scores.val() != null) {
            summary.put("validation_accuracy", scores.val());
        }
        summary.put("test_accuracy", scores.test());
        summary.put("delivered_test_accuracy", delivered.deliveredTestAccuracy());
        summary.put(
                "command",
                finetuneCommand(spec, rank, train, spec.trainingThreads(settings.slots())));
        return delivered.withBaseline(summary, scores.test());
    }

    /**
     * @return the command line that trains the same LoRA as the job, paths relative to the
     *     service's roots
     */
    private static String finetuneCommand(
            JobSpec spec, int rank, TrainSettings train, int threads) {
        return String.join(
                " ",
                "glora finetune --method lora --rank",
                String.valueOf(rank),
                "--backbone",
                spec.backbone(),
                "--task",
                spec.data(),
                "--train-list",
                spec.baselineList(),
                "--epochs",
                String.valueOf(train.epochs()),
                "--batch",
                String.valueOf(train.batchSize()),
                "--lr",
                String.valueOf(train.lr()),
                "--weight-decay",
                String.valueOf(train.weightDecay()),
                "--warmup",
                String.valueOf(train.warmupEpochs()),
                "--min-lr",
                String.valueOf(train.minLr()),
                "--seed",
                String.valueOf(train.seed()),
                "--threads",
                String.valueOf(threads),
                "--out",
                "lora.safetensors");
    }

    /**
     * A trained model's accuracy on test, and on val when it did not train on val's images (else
     * null).
     */
    private record Scores(Double val, double test) {}

    private Scores score(
            JobInputs.Entry job,
            Checkpoint trained,
            SubnetConfig config,
            String trainList,
            ImageDataset test,
            String source) {
        Double val = null;
        if (!Vtab1k.shareImages(job.task, trainList, JobSpec.VAL_LIST)) {
            try (SubnetScorer scorer =
                    new SubnetScorer(trained, job.val, settings.imageBatch(), source)) {
                val = scorer.score(config).value();
            }
        }
        try (SubnetScorer scorer = new SubnetScorer(trained, test, settings.imageBatch(), source)) {
            return new Scores(val, scorer.score(config).value());
        }
    }

    /**
     * Trains a configuration with its modes fixed ({@link Retraining}) on the spec's threads,
     * checking the lease every step, from a resume point in this worker's cache that is removed
     * before and after (a coordinator that takes over trains again from the start).
     *
     * @param metadata what the trained checkpoint's metadata adds to the architecture and rank
     */
    private Checkpoint trainFixed(
            HeldTask held,
            JobInputs.Entry job,
            String stage,
            Checkpoint start,
            SubnetConfig config,
            TrainSettings train,
            String trainList,
            String identity,
            String source,
            Map<String, String> metadata) {
        return FixedTraining.run(
                        settings,
                        held,
                        job,
                        stage,
                        start,
                        config,
                        train,
                        Vtab1k.read(settings.roots().data(), job.task, trainList),
                        identity,
                        source,
                        metadata)
                .trained();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
