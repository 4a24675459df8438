package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.zaxxer.hikari.HikariDataSource;
import dev.glora.cli.Glora;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobEvent;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.search.GenerationStats;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.vit.VitArchitecture;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs run by in-process workers against a real PostgreSQL, from submission to the merged model.
 */
class ServiceJobTest {

    @TempDir Path dir;

    private HikariDataSource database;
    private Stores stores;
    private Roots roots;
    private Worker worker;
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    @BeforeEach
    void start() throws IOException {
        database = TestDatabase.pool(TestDatabase.createDatabase(true), 10);
        stores =
                Stores.open(
                        database,
                        Clock.systemUTC(),
                        new QueueSettings(Duration.ofSeconds(10), Duration.ofMillis(100), 3));
        roots = TinyJob.write(dir);
        worker =
                new Worker(
                        stores,
                        TinyJob.settings("in-process", roots, dir.resolve("cache")),
                        metrics);
        worker.start();
    }

    @AfterEach
    void stop() {
        worker.close();
        database.close();
    }

    /**
     * @param stores the tables
     * @param job a job
     * @return it once it ended
     */
    static JobView awaitEnd(Stores stores, long job) throws Exception {
        return Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(100),
                "job " + job + " ending",
                () -> stores.jobs().find(job).orElseThrow(),
                view -> view.status().terminal());
    }

    /**
     * @return how many tasks of a kind the worker counted with an outcome
     */
    private double tasks(String kind, String outcome) {
        Counter counter =
                metrics.find("glora.worker.tasks")
                        .tag("kind", kind)
                        .tag("outcome", outcome)
                        .counter();
        return counter == null ? 0 : counter.count();
    }

    /** A generation without its wall time, which differs from run to run. */
    static GenerationStats timeless(GenerationStats s) {
        return new GenerationStats(
                s.generation(),
                s.best(),
                s.mean(),
                s.worst(),
                s.bestParameters(),
                s.bestSoFar(),
                s.evaluated(),
                0,
                s.raced());
    }

    @Test
    void aJobRunsToAMergedModelAndSearchesExactlyAsTheCommandLineDoes() throws Exception {
        JobSpec tiny = TinyJob.spec(7, 4, 9);
        JobSpec.Search h = tiny.search();
        // its best 3 scored again on train800 (a list every tiny task has), as glora search
        // --rerank-list
        JobSpec spec =
                new JobSpec(
                        tiny.name(),
                        tiny.backbone(),
                        tiny.data(),
                        tiny.supernet(),
                        new JobSpec.Search(
                                h.population(),
                                h.generations(),
                                h.topK(),
                                h.mutations(),
                                h.crossovers(),
                                h.mutationProbability(),
                                h.maxParams(),
                                h.minParams(),
                                h.objective(),
                                h.init(),
                                "train800",
                                3),
                        tiny.retrain(),
                        tiny.seed());
        long job = stores.jobs().submit(spec);
        JobView done = awaitEnd(stores, job);
        assertEquals(JobStatus.SUCCEEDED, done.status(), done.error());
        assertEquals(4, done.epochsDone());
        assertEquals(4, done.generationsDone());
        assertEquals(1.0, done.progress());
        assertEquals(4, stores.results().epochs(job).size());
        List<GenerationStats> generations = stores.results().generations(job);
        assertEquals(4, generations.size());
        assertEquals(
                done.candidatesEvaluated(),
                stores.results().candidates(job, "ordinal", 1000).size());
        assertTrue(
                stores.results().artefact(job, ArtefactKind.SUPERNET_RESUME).isEmpty(),
                "the resume point is gone");
        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        stores.results()
                                                .artefact(job, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow()
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        assertEquals("glora-config/1", best.get("format").getAsString());
        assertEquals(done.bestAccuracy(), best.get("validation_accuracy").getAsDouble());
        assertEquals(done.testAccuracy(), best.get("test_accuracy").getAsDouble());
        assertTrue(stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().size() > 0);
        List<String> statuses =
                stores.jobs().events(job, 0).stream()
                        .filter(e -> e.type().equals("status"))
                        .map(
                                e ->
                                        JsonParser.parseString(e.data())
                                                .getAsJsonObject()
                                                .get("status")
                                                .getAsString())
                        .toList();
        assertEquals(
                List.of("QUEUED", "TRAINING", "SEARCHING", "EXPORTING", "SUCCEEDED"), statuses);
        assertEquals(
                4,
                stores.jobs().events(job, 0).stream()
                        .map(JobEvent::type)
                        .filter("epoch"::equals)
                        .count());
        // issue 34: what the worker reports (glora worker --metrics-port serves these to
        // Prometheus)
        assertEquals(1.0, tasks("train", "finished"), "one supernet training");
        assertEquals(1.0, tasks("coordinate", "finished"), "one search");
        assertEquals(
                tasks("evaluate", "claimed"),
                tasks("evaluate", "finished"),
                "every evaluation it claimed ended");
        assertTrue(tasks("evaluate", "finished") >= 1);
        assertEquals(
                0.0,
                tasks("train", "failed")
                        + tasks("evaluate", "failed")
                        + tasks("evaluate", "lease_lost"));
        assertTrue(
                metrics.get("glora.training.images.per.second").gauge().value() > 0,
                "a training step was timed");
        assertEquals(
                0.0,
                metrics.get("glora.worker.slots.busy").gauge().value(),
                "nothing runs once the job ended");
        assertEquals(
                (double) done.candidatesEvaluated(),
                metrics.get("glora.candidates.evaluated").counter().count());

        Path supernet = dir.resolve("supernet.safetensors");
        Files.write(
                supernet,
                stores.results().artefact(job, ArtefactKind.SUPERNET).orElseThrow().content());
        Path out = dir.resolve("cli-search");
        StringWriter err = new StringWriter();
        int status =
                Glora.run(
                        new String[] {
                            "search",
                            "--supernet",
                            supernet.toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--out",
                            out.toString(),
                            "--population",
                            "9",
                            "--generations",
                            "4",
                            "--top-k",
                            "4",
                            "--mutations",
                            "3",
                            "--crossovers",
                            "3",
                            "--seed",
                            "7",
                            "--rerank-list",
                            "train800",
                            "--rerank-top",
                            "3",
                            "--seeds",
                            "none"
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err));
        assertEquals(0, status, err.toString());
        List<GenerationStats> cli =
                Files.readAllLines(out.resolve("generations.jsonl")).stream()
                        .map(line -> new Gson().fromJson(line, GenerationStats.class))
                        .toList();
        assertEquals(
                cli.stream().map(ServiceJobTest::timeless).toList(),
                generations.stream().map(ServiceJobTest::timeless).toList());
        JsonObject cliBest =
                JsonParser.parseString(Files.readString(out.resolve("best-config.json")))
                        .getAsJsonObject();
        assertEquals(cliBest.get("layers"), best.get("layers"));
        assertEquals(cliBest.get("test_accuracy"), best.get("test_accuracy"));
        assertEquals(3, best.getAsJsonObject("reranked").getAsJsonArray("candidates").size());
        assertEquals(cliBest.get("reranked"), best.get("reranked"));

        // and its supernet is, tensor for tensor, the one glora train-supernet trains with the same
        // settings on the spec's thread count, whatever the worker's slot count
        Path cliSupernet = dir.resolve("cli.supernet.safetensors");
        JobSpec.Supernet trained = spec.supernet();
        status =
                Glora.run(
                        new String[] {
                            "train-supernet",
                            "--backbone",
                            roots.models().resolve(TinyJob.BACKBONE).toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--out",
                            cliSupernet.toString(),
                            "--ranks",
                            "4,2",
                            "--epochs",
                            String.valueOf(trained.epochs()),
                            "--batch",
                            String.valueOf(trained.batchSize()),
                            "--lr",
                            String.valueOf(trained.lr()),
                            "--weight-decay",
                            String.valueOf(trained.weightDecay()),
                            "--warmup",
                            String.valueOf(trained.warmupEpochs()),
                            "--threads",
                            String.valueOf(trained.threads()),
                            "--seed",
                            "7"
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err));
        assertEquals(0, status, err.toString());
        Checkpoint cliTrained = Safetensors.read(cliSupernet);
        Checkpoint jobTrained = Safetensors.read(supernet);
        assertSameTensors(cliTrained, jobTrained);
    }

    @Test
    void aRetrainedJobOnALimitedSupernetDeliversTheRetrainedModelAtTheTestAccuracyItReports()
            throws Exception {
        JobSpec tiny = TinyJob.spec(7, 2, 9);
        // its supernet trains only paths within the search's limit (supernet.sampling limited)
        JobSpec.Supernet n = tiny.supernet();
        JobSpec.Search h = tiny.search();
        JobSpec spec =
                new JobSpec(
                        tiny.name(),
                        tiny.backbone(),
                        tiny.data(),
                        new JobSpec.Supernet(
                                n.rank(),
                                n.ranks(),
                                n.epochs(),
                                n.batchSize(),
                                n.lr(),
                                n.weightDecay(),
                                n.warmupEpochs(),
                                n.threads(),
                                Trainees.Sampling.LIMITED),
                        new JobSpec.Search(
                                h.population(),
                                h.generations(),
                                h.topK(),
                                h.mutations(),
                                h.crossovers(),
                                h.mutationProbability(),
                                600,
                                h.minParams(),
                                h.objective(),
                                h.init(),
                                h.rerankList(),
                                h.rerankTop()),
                        new JobSpec.Retrain(3, 1e-2, 0, JobSpec.Retrain.TRAIN800VAL200),
                        tiny.seed());
        long job = stores.jobs().submit(spec);
        JobView done = awaitEnd(stores, job);
        assertEquals(JobStatus.SUCCEEDED, done.status(), done.error());
        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        stores.results()
                                                .artefact(job, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow()
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JsonObject retrained = best.getAsJsonObject("retrained");
        assertEquals(3, retrained.get("epochs").getAsInt(), best.toString());
        assertEquals("train800val200", retrained.get("train_list").getAsString());
        assertFalse(
                retrained.has("validation_accuracy"),
                "val200 was trained on: no held-out val figure " + retrained);
        assertEquals(
                done.testAccuracy(),
                retrained.get("test_accuracy").getAsDouble(),
                "the job reports the delivered model's test accuracy");
        assertEquals(
                4,
                stores.results().epochs(job).size(),
                "retraining epochs are not recorded as supernet epochs");

        Path model = dir.resolve("retrained.safetensors");
        Files.write(
                model, stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().content());
        Checkpoint delivered = Safetensors.read(model);
        Path supernetFile = dir.resolve("job-supernet.safetensors");
        Files.write(
                supernetFile,
                stores.results().artefact(job, ArtefactKind.SUPERNET).orElseThrow().content());
        Checkpoint supernet = Safetensors.read(supernetFile);
        assertEquals("limited max_params 600", supernet.metadata().get("sampling"));
        Checkpoint unretrained =
                Reparameterizer.merge(
                        supernet,
                        ConfigJson.parse(best.toString(), "best-config"),
                        Map.of(),
                        "supernet");
        assertFalse(
                Arrays.equals(
                        unretrained.tensors().get("blocks.0.attn.qkv.weight").data(),
                        delivered.tensors().get("blocks.0.attn.qkv.weight").data()),
                "the delivered model is the retrained one");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(
                0,
                Glora.run(
                        new String[] {
                            "evaluate",
                            "--model",
                            model.toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--split",
                            "test",
                            "--json"
                        },
                        new PrintWriter(out),
                        new PrintWriter(err)),
                err.toString());
        assertEquals(
                done.testAccuracy(),
                JsonParser.parseString(out.toString())
                        .getAsJsonObject()
                        .get("accuracy")
                        .getAsDouble(),
                1e-9);

        // the same retraining from the command line (on all labelled images, as the job asked)
        // gives
        // the same model, tensor for tensor
        Path config = dir.resolve("best-config.json");
        Files.writeString(config, best.toString());
        Path cliModel = dir.resolve("cli-retrained.safetensors");
        JobSpec.Retrain r = spec.retrain();
        assertEquals(
                0,
                Glora.run(
                        new String[] {
                            "finetune",
                            "--method",
                            "glora",
                            "--config",
                            config.toString(),
                            "--supernet",
                            supernetFile.toString(),
                            "--backbone",
                            roots.models().resolve(TinyJob.BACKBONE).toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--out",
                            cliModel.toString(),
                            "--epochs",
                            String.valueOf(r.epochs()),
                            "--lr",
                            String.valueOf(r.lr()),
                            "--warmup",
                            String.valueOf(r.warmupEpochs()),
                            "--batch",
                            String.valueOf(spec.supernet().batchSize()),
                            "--weight-decay",
                            String.valueOf(spec.supernet().weightDecay()),
                            "--threads",
                            String.valueOf(spec.supernet().threads()),
                            "--seed",
                            String.valueOf(spec.seed()),
                            "--train-list",
                            r.trainList()
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err)),
                err.toString());
        Checkpoint cli = Safetensors.read(cliModel);
        assertSameTensors(cli, delivered);
    }

    @Test
    void aJobRetrainedFromFreshAdaptersDeliversWhatFinetuneWithoutASupernetGives()
            throws Exception {
        // issue 30: retrain.start fresh: the chosen modes trained from fresh adapters and a new
        // head
        JobSpec tiny = TinyJob.spec(7, 2, 9);
        JobSpec spec =
                new JobSpec(
                        tiny.name(),
                        tiny.backbone(),
                        tiny.data(),
                        tiny.supernet(),
                        tiny.search(),
                        new JobSpec.Retrain(
                                3,
                                1e-2,
                                0,
                                JobSpec.Retrain.TRAIN800VAL200,
                                JobSpec.Retrain.Start.FRESH),
                        tiny.seed());
        long job = stores.jobs().submit(spec);
        JobView done = awaitEnd(stores, job);
        assertEquals(JobStatus.SUCCEEDED, done.status(), done.error());
        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        stores.results()
                                                .artefact(job, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow()
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        assertEquals(
                "fresh",
                best.getAsJsonObject("retrained").get("start").getAsString(),
                best.toString());
        Path model = dir.resolve("fresh-retrained.safetensors");
        Files.write(
                model, stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().content());
        Path config = dir.resolve("fresh-best-config.json");
        Files.writeString(config, best.toString());
        Path cliModel = dir.resolve("cli-fresh.safetensors");
        JobSpec.Retrain r = spec.retrain();
        StringWriter err = new StringWriter();
        assertEquals(
                0,
                Glora.run(
                        new String[] {
                            "finetune",
                            "--method",
                            "glora",
                            "--config",
                            config.toString(),
                            "--backbone",
                            roots.models().resolve(TinyJob.BACKBONE).toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--out",
                            cliModel.toString(),
                            "--epochs",
                            String.valueOf(r.epochs()),
                            "--lr",
                            String.valueOf(r.lr()),
                            "--warmup",
                            String.valueOf(r.warmupEpochs()),
                            "--batch",
                            String.valueOf(spec.supernet().batchSize()),
                            "--weight-decay",
                            String.valueOf(spec.supernet().weightDecay()),
                            "--threads",
                            String.valueOf(spec.supernet().threads()),
                            "--seed",
                            String.valueOf(spec.seed()),
                            "--train-list",
                            r.trainList()
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err)),
                err.toString());
        assertSameTensors(Safetensors.read(cliModel), Safetensors.read(model));
    }

    @Test
    void aJobsLoraBaselineIsTheLoraOfTheSearchedSizeAndBudgetThatTheCommandItRecordsTrains()
            throws Exception {
        JobSpec spec =
                new JobRequest(
                                "with baseline",
                                TinyJob.BACKBONE,
                                TinyJob.TASK,
                                new JobRequest.Supernet(4, List.of(4, 2), 4, 8, 1e-2, 1e-4, 0),
                                new JobRequest.Search(
                                        9,
                                        2,
                                        4,
                                        3,
                                        3,
                                        0.2,
                                        600L,
                                        0L,
                                        SearchSettings.Objective.ACCURACY,
                                        null,
                                        null,
                                        null,
                                        SearchSettings.Seeds.NONE,
                                        0,
                                        null),
                                new JobRequest.Retrain(2, 1e-2, 0),
                                new JobRequest.Baseline(true, null, null),
                                5L)
                        .withDefaults();
        assertEquals(
                6,
                spec.baselineEpochs(0),
                "the pipeline's budget: 4 supernet epochs and 2 of retraining");
        long job = stores.jobs().submit(spec);
        JobView done = awaitEnd(stores, job);
        assertEquals(JobStatus.SUCCEEDED, done.status(), done.error());
        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        stores.results()
                                                .artefact(job, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow()
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JsonObject baseline = best.getAsJsonObject("baseline");
        assertEquals(
                best.getAsJsonObject("retrained").get("test_accuracy").getAsDouble(),
                done.testAccuracy(),
                "the delivered model stays the searched one");
        assertEquals(
                done.testAccuracy(),
                baseline.get("delivered_test_accuracy").getAsDouble(),
                baseline.toString());
        assertEquals(
                baseline.get("test_accuracy").getAsDouble(),
                done.baselineTestAccuracy(),
                "stored beside the job's");
        assertEquals(6, baseline.get("epochs").getAsInt());
        assertEquals(
                "train800val200",
                baseline.get("train_list").getAsString(),
                "what the delivered model trained on");
        assertFalse(
                baseline.has("validation_accuracy"),
                "val200 was trained on: no held-out val figure");

        // the largest LoRA no larger than the searched adapter
        long searched = best.get("trainable_parameters").getAsLong();
        assertEquals(searched, baseline.get("searched_trainable_parameters").getAsLong());
        int rank = baseline.get("rank").getAsInt();
        VitArchitecture arch = TinyModels.tinyArch().withNumClasses(2);
        List<String> layers = Supernet.layerNames(arch);
        long size = Supernet.parameterCount(arch, SubnetConfig.lora(layers, rank));
        assertEquals(size, baseline.get("trainable_parameters").getAsLong());
        assertTrue(size <= searched || rank == 1, size + " > " + searched);
        assertTrue(
                Supernet.parameterCount(arch, SubnetConfig.lora(layers, rank + 1)) > searched,
                "rank " + (rank + 1) + " fits");

        // the command it records trains the same LoRA from the command line: the same test accuracy
        String[] command = baseline.get("command").getAsString().split(" ");
        assertEquals("glora", command[0]);
        String[] args = Arrays.copyOfRange(command, 1, command.length);
        Path cliModel = dir.resolve("cli-lora.safetensors");
        for (int i = 0; i < args.length - 1; i++) {
            switch (args[i]) {
                case "--backbone" -> args[i + 1] = roots.models().resolve(args[i + 1]).toString();
                case "--task" -> args[i + 1] = roots.data().resolve(args[i + 1]).toString();
                case "--out" -> args[i + 1] = cliModel.toString();
                default -> {}
            }
        }
        StringWriter err = new StringWriter();
        assertEquals(
                0,
                Glora.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err)),
                err.toString());
        StringWriter out = new StringWriter();
        assertEquals(
                0,
                Glora.run(
                        new String[] {
                            "evaluate",
                            "--model",
                            cliModel.toString(),
                            "--task",
                            roots.data().resolve(TinyJob.TASK).toString(),
                            "--split",
                            "test",
                            "--json"
                        },
                        new PrintWriter(out),
                        new PrintWriter(err)),
                err.toString());
        assertEquals(
                baseline.get("test_accuracy").getAsDouble(),
                JsonParser.parseString(out.toString())
                        .getAsJsonObject()
                        .get("accuracy")
                        .getAsDouble(),
                1e-12,
                String.join(" ", args));
        Checkpoint cli = Safetensors.read(cliModel);
        assertEquals("lora", cli.metadata().get("method"));
        Path stored = dir.resolve("job-lora.safetensors");
        Files.write(
                stored,
                stores.results()
                        .artefact(job, ArtefactKind.BASELINE_MODEL)
                        .orElseThrow()
                        .content());
        Checkpoint jobs = Safetensors.read(stored);
        assertSameTensors(cli, jobs);
        assertEquals("lora", jobs.metadata().get("method"));
        assertEquals(
                cli.metadata().get("trainable_parameters"),
                jobs.metadata().get("trainable_parameters"));
        assertEquals(cli.metadata().get("train_settings"), jobs.metadata().get("train_settings"));
    }

    /**
     * The same tensors, bit for bit (README, "Reproducibility": a worker's training used to drift
     * from the command line's under CPU load, through a use-after-free in the backward pass).
     */
    private static void assertSameTensors(Checkpoint expected, Checkpoint actual) {
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet());
        expected.tensors()
                .forEach(
                        (name, tensor) ->
                                assertArrayEquals(
                                        tensor.data(), actual.tensors().get(name).data(), name));
    }

    @Test
    void aCorruptCheckpointFailsItsJobWithWhereAndWhyAndLeavesOtherJobsAlone() throws Exception {
        Files.writeString(
                roots.models().resolve("corrupt.safetensors"), "this is not a checkpoint");
        JobSpec good = TinyJob.spec(3, 2, 6);
        JobSpec corrupt =
                new JobSpec(
                        "corrupt",
                        "corrupt.safetensors",
                        good.data(),
                        good.supernet(),
                        good.search(),
                        good.retrain(),
                        3L);
        long bad = stores.jobs().submit(corrupt);
        long fine = stores.jobs().submit(good);
        JobView failed = awaitEnd(stores, bad);
        assertEquals(JobStatus.FAILED, failed.status());
        assertTrue(failed.error().contains("corrupt.safetensors"), failed.error());
        assertTrue(failed.error().startsWith("supernet training"), failed.error());
        assertEquals(JobStatus.SUCCEEDED, awaitEnd(stores, fine).status());
        assertFalse(stores.results().artefact(bad, ArtefactKind.MODEL).isPresent());
    }
}
