package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.jobs.ResultStore;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.worker.Await;
import dev.glora.worker.TinyJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The REST API over real HTTP, on the embedded PostgreSQL with in-process workers, on tiny jobs.
 */
class JobApiTest extends ServiceTest {

    @Autowired private MeterRegistry metrics;

    @Test
    void aJobIsSubmittedStreamsItsEventsAndItsResultsDownload() throws Exception {
        JsonNode job = submit(3, 3);
        long id = job.get("id").asLong();
        assertEquals(7, job.get("spec").get("seed").asLong());
        assertEquals(
                0.2,
                job.get("spec").get("search").get("mutationProbability").asDouble(),
                "defaults filled in");
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<HttpResponse<Stream<String>>> stream =
                http.sendAsync(
                        request("/api/v1/jobs/" + id + "/events")
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
        CompletableFuture<Void> reading =
                stream.thenAccept(
                        response ->
                                response.body()
                                        .takeWhile(
                                                line ->
                                                        lines.stream()
                                                                .noneMatch(
                                                                        l ->
                                                                                l.startsWith(
                                                                                                "data:")
                                                                                        && l
                                                                                                .contains(
                                                                                                        "SUCCEEDED")))
                                        .forEach(lines::add));
        JsonNode done = awaitStatus(id, "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", done.get("status").asText(), done.toString());
        reading.get(30, TimeUnit.SECONDS);
        assertEquals(
                List.of("QUEUED", "TRAINING", "SEARCHING", "EXPORTING", "SUCCEEDED"),
                lines.stream()
                        .filter(l -> l.startsWith("data:{\"status\""))
                        .map(l -> l.replaceAll(".*\"status\": ?\"(\\w+)\".*", "$1"))
                        .toList());
        assertEquals(3, lines.stream().filter("event:epoch"::equals).count());
        assertEquals(3, lines.stream().filter("event:generation"::equals).count());

        JsonNode generations = JSON.readTree(get("/api/v1/jobs/" + id + "/generations").body());
        assertEquals(3, generations.size());
        JsonNode top = JSON.readTree(get("/api/v1/jobs/" + id + "/candidates?top=3").body());
        assertEquals(3, top.size());
        assertTrue(top.get(0).get("accuracy").asDouble() >= top.get(2).get("accuracy").asDouble());
        assertEquals(
                done.get("bestValidationAccuracy").asDouble(),
                top.get(0).get("accuracy").asDouble());
        JsonNode pareto = JSON.readTree(get("/api/v1/jobs/" + id + "/pareto").body());
        assertTrue(pareto.get("front").size() >= 1);
        assertTrue(pareto.get("final").asBoolean(), "the exported front once the job is done");
        assertEquals(2, pareto.get("objectives").size());
        assertTrue(pareto.get("front").get(0).get("config").isObject());
        assertTrue(pareto.get("front").get(0).get("trainable_parameters").asLong() > 0);
        JsonNode best = JSON.readTree(get("/api/v1/jobs/" + id + "/best-config").body());
        assertEquals("glora-config/1", best.get("format").asText());
        assertEquals(done.get("testAccuracy").asDouble(), best.get("test_accuracy").asDouble());
        HttpResponse<byte[]> model =
                http.send(
                        request("/api/v1/jobs/" + id + "/model").build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, model.statusCode());
        assertEquals(
                "\"" + ResultStore.sha256(model.body()) + "\"",
                model.headers().firstValue("ETag").orElseThrow());
        Path file = Files.createTempFile(ServiceTestEnvironment.DIR, "model", ".safetensors");
        Files.write(file, model.body());
        Checkpoint merged = Safetensors.read(file);
        assertFalse(
                merged.tensors().keySet().stream().anyMatch(name -> name.endsWith(".Ad")),
                "merged: no adapters");
        HttpResponse<byte[]> supernet =
                http.send(
                        request("/api/v1/jobs/" + id + "/supernet").build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, supernet.statusCode());
        Path supernetFile =
                Files.createTempFile(ServiceTestEnvironment.DIR, "supernet", ".safetensors");
        Files.write(supernetFile, supernet.body());
        assertTrue(
                Safetensors.read(supernetFile).tensors().containsKey("blocks.0.attn.qkv.Ad"),
                "supernet: adapters");
        // it asked for no baseline: none is linked, and asking for one says why there is none
        assertFalse(done.get("links").has("baseline-model"), done.toString());
        assertTrue(done.get("baselineTestAccuracy").isNull(), done.toString());
        HttpResponse<String> noBaseline = get("/api/v1/jobs/" + id + "/baseline-model");
        assertEquals(404, noBaseline.statusCode());
        assertTrue(noBaseline.body().contains("trains no baseline"), noBaseline.body());
    }

    @Test
    void invalidSpecsNameEveryFieldAtFault() throws Exception {
        Path outside = Files.createTempDirectory(ServiceTestEnvironment.DIR, "outside");
        Files.createSymbolicLink(ServiceTestEnvironment.ROOTS.data().resolve("escape"), outside);
        HttpResponse<String> response =
                post(
                        "/api/v1/jobs",
                        """
                {"backbone": "../../etc/passwd", "data": "escape",
                 "search": {"population": 0}, "retrain": {"epochs": -1}}""",
                        ServiceTestEnvironment.TOKEN);
        assertEquals(400, response.statusCode());
        assertEquals(
                "application/problem+json",
                response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode problem = JSON.readTree(response.body());
        assertEquals("/problems/invalid-spec", problem.get("type").asText());
        List<String> fields =
                StreamSupport.stream(problem.get("errors").spliterator(), false)
                        .map(e -> e.get("field").asText())
                        .toList();
        assertTrue(
                fields.containsAll(
                        List.of("backbone", "data", "search.population", "retrain.epochs")),
                fields.toString());
        assertTrue(problem.get("detail").asText().contains("symbolic link"), problem.toString());
        assertTrue(problem.get("detail").asText().contains("'..'"), problem.toString());

        JsonNode absolute =
                JSON.readTree(
                        post(
                                        "/api/v1/jobs",
                                        "{\"backbone\": \"/etc/passwd\", \"data\": \"x\"}",
                                        ServiceTestEnvironment.TOKEN)
                                .body());
        assertTrue(
                absolute.get("detail").asText().contains("must be relative to the model root"),
                absolute.toString());
        JsonNode unknown =
                JSON.readTree(
                        post(
                                        "/api/v1/jobs",
                                        "{\"backbone\": \"b\", \"supernet\": {\"rnk\": 4}}",
                                        ServiceTestEnvironment.TOKEN)
                                .body());
        assertEquals(
                "supernet.rnk",
                unknown.get("errors").get(0).get("field").asText(),
                unknown.toString());
        JsonNode wrongType =
                JSON.readTree(
                        post(
                                        "/api/v1/jobs",
                                        "{\"supernet\": {\"epochs\": \"many\"}}",
                                        ServiceTestEnvironment.TOKEN)
                                .body());
        assertEquals(
                "supernet.epochs",
                wrongType.get("errors").get(0).get("field").asText(),
                wrongType.toString());
        JsonNode garbage =
                JSON.readTree(
                        post("/api/v1/jobs", "{not json", ServiceTestEnvironment.TOKEN).body());
        assertEquals(
                "body", garbage.get("errors").get(0).get("field").asText(), garbage.toString());
    }

    @Test
    void specsThatWouldFailLaterAreRefusedAtSubmit() throws Exception {
        String base =
                "{\"backbone\": \"" + TinyJob.BACKBONE + "\", \"data\": \"" + TinyJob.TASK + "\", ";
        for (String[] bad :
                new String[][] {
                    {"\"supernet\": {\"ranks\": [null]}}", "supernet.ranks", "positive ranks"},
                    {"\"supernet\": {\"ranks\": [4, 4]}}", "supernet.ranks", "must not repeat"},
                    {"\"supernet\": {\"threads\": 0}}", "supernet.threads", "must be in [1, 1024]"},
                    {
                        "\"search\": {\"init\": \"greedy\"}}",
                        "search.init",
                        "must be one of repair, budget"
                    },
                    {
                        "\"search\": {\"minParams\": 1000000000}}",
                        "search.minParams",
                        "no configuration of this backbone"
                    },
                    {
                        "\"search\": {\"rerankList\": \"val2000\"}}",
                        "search.rerankList",
                        "has no list val2000 (val2000.txt)"
                    },
                    {
                        "\"search\": {\"rerankList\": \"../val200\"}}",
                        "search.rerankList",
                        "must be the name of a list"
                    },
                    {
                        "\"supernet\": {\"sampling\": \"greedy\"}}",
                        "supernet.sampling",
                        "must be one of uniform, sandwich, limited, got greedy"
                    },
                    {
                        "\"supernet\": {\"sampling\": \"limited\"}}",
                        "supernet.sampling",
                        "within search.maxParams: set it"
                    },
                    {
                        "\"baseline\": {\"lora\": true, \"rank\": 300}}",
                        "baseline.rank",
                        "must be in [1, 256], or 0"
                    },
                    {
                        "\"baseline\": {\"lora\": true, \"epochs\": -1}}",
                        "baseline.epochs",
                        "must be at least 1, or 0 for the pipeline's own budget"
                    },
                    {
                        "\"search\": {\"seeds\": \"lora\"}}",
                        "search.seeds",
                        "must be one of none, known, got lora"
                    },
                    {
                        "\"search\": {\"finalists\": 3, \"finalistEpochs\": 2, \"rerankList\": \"val200\"}}",
                        "search.rerankList",
                        "exclude each other"
                    },
                    {"\"baseline\": {\"lora\": \"yes\"}}", "baseline.lora", "has the wrong type"},
                }) {
            HttpResponse<String> response =
                    post("/api/v1/jobs", base + bad[0], ServiceTestEnvironment.TOKEN);
            assertEquals(400, response.statusCode(), bad[0] + ": " + response.body());
            JsonNode problem = JSON.readTree(response.body());
            assertEquals(
                    bad[1], problem.get("errors").get(0).get("field").asText(), problem.toString());
            assertTrue(problem.get("detail").asText().contains(bad[2]), problem.toString());
        }
    }

    @Test
    void aLimitWithoutRanksGetsTheRanksThatFollowItOnTheBackboneNamed() throws Exception {
        Path backbone = ServiceTestEnvironment.ROOTS.models().resolve(TinyJob.BACKBONE);
        VitArchitecture arch =
                VitArchitecture.fromMetadata(
                        Safetensors.header(backbone).metadata(), backbone.toString());
        long limit = 16 * Supernet.loraParameterCount(arch, 1);
        // TINY without its ranks, as a user who sets only the limit sends it
        String request =
                TINY.formatted(1, 1)
                        .replace("\"rank\": 4, \"ranks\": [4, 2], ", "")
                        .replace(
                                "\"crossovers\": 3}",
                                "\"crossovers\": 3, \"maxParams\": " + limit + "}");
        JsonNode job = submit(request);
        JsonNode supernet = job.get("spec").get("supernet");
        assertEquals("[16,8]", supernet.get("ranks").toString(), job.toString());
        assertEquals(16, supernet.get("rank").asInt());
        post(
                "/api/v1/jobs/" + job.get("id").asLong() + "/cancel",
                "",
                ServiceTestEnvironment.TOKEN);
    }

    @Test
    void aTaskFolderMissingAListTheJobWouldReadIsRefusedAtSubmit() throws Exception {
        // a folder with train800 and val200 only: the test split is read after the whole search,
        // and the default retraining reads train800val200
        Path partial = ServiceTestEnvironment.ROOTS.data().resolve("partial-task");
        TinyJob.writeTask(partial, 2, 24, 12);
        Files.delete(partial.resolve("test.txt"));
        Files.delete(partial.resolve("train800val200.txt"));
        String base = "{\"backbone\": \"" + TinyJob.BACKBONE + "\", \"data\": \"partial-task\"";
        JsonNode noTest =
                JSON.readTree(
                        post(
                                        "/api/v1/jobs",
                                        base + ", \"retrain\": {\"epochs\": 0}}",
                                        ServiceTestEnvironment.TOKEN)
                                .body());
        assertEquals(1, noTest.get("errors").size(), noTest.toString());
        assertEquals("data", noTest.get("errors").get(0).get("field").asText(), noTest.toString());
        assertTrue(
                noTest.get("detail")
                        .asText()
                        .contains("the task 'partial-task' has no list test (test.txt)"),
                noTest.toString());
        Files.writeString(
                partial.resolve("test.txt"), Files.readString(partial.resolve("val200.txt")));
        JsonNode retrained =
                JSON.readTree(
                        post("/api/v1/jobs", base + "}", ServiceTestEnvironment.TOKEN).body());
        assertEquals(
                "retrain.trainList",
                retrained.get("errors").get(0).get("field").asText(),
                "a job retrains by default: " + retrained);
        assertTrue(
                retrained
                        .get("detail")
                        .asText()
                        .contains(
                                "has no list train800val200 (train800val200.txt): give one,"
                                        + " or retrain on train800"),
                retrained.toString());
        // retrained on train800, the list it has: accepted, and its val figure is held out
        String tiny = TINY.formatted(1, 1).replace(TinyJob.TASK, "partial-task").strip();
        HttpResponse<String> onTrain800 =
                post(
                        "/api/v1/jobs",
                        tiny.substring(0, tiny.length() - 1)
                                + ", \"retrain\": {\"epochs\": 1, \"trainList\": \"train800\"}}",
                        ServiceTestEnvironment.TOKEN);
        assertEquals(201, onTrain800.statusCode(), onTrain800.body());
        long id = JSON.readTree(onTrain800.body()).get("id").asLong();
        JsonNode done = awaitStatus(id, "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", done.get("status").asText(), done.toString());
        JsonNode retrainedConfig =
                JSON.readTree(get("/api/v1/jobs/" + id + "/best-config").body()).get("retrained");
        assertEquals(
                "train800", retrainedConfig.get("train_list").asText(), retrainedConfig.toString());
        assertTrue(retrainedConfig.has("validation_accuracy"), retrainedConfig.toString());
    }

    @Test
    void unknownJobsMissingResultsAndUnguardedWritesGetProblemDocuments() throws Exception {
        for (String path :
                List.of(
                        "/api/v1/jobs/424242",
                        "/api/v1/jobs/424242/model",
                        "/api/v1/jobs/424242/events",
                        "/api/v1/nothing-here")) {
            HttpResponse<String> response = get(path);
            assertEquals(404, response.statusCode(), path);
            assertEquals(
                    "application/problem+json",
                    response.headers().firstValue("Content-Type").orElseThrow(),
                    path);
            assertEquals(404, JSON.readTree(response.body()).get("status").asInt(), path);
        }
        HttpResponse<String> noToken = post("/api/v1/jobs", TINY.formatted(1, 1), null);
        assertEquals(401, noToken.statusCode());
        assertEquals("Unauthorized", JSON.readTree(noToken.body()).get("title").asText());
        HttpResponse<String> huge =
                post(
                        "/api/v1/jobs",
                        "{\"name\": \"" + "x".repeat(5000) + "\"}",
                        ServiceTestEnvironment.TOKEN);
        assertEquals(413, huge.statusCode());
        assertTrue(JSON.readTree(huge.body()).get("detail").asText().contains("4096 bytes"));
    }

    /** Trainings the in-process workers stopped because their lease was gone. */
    private double trainingsStopped() {
        return metrics
                .find("glora.worker.tasks")
                .tag("kind", "train")
                .tag("outcome", "lease_lost")
                .counters()
                .stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    @Test
    void cancelStopsTheWorkAndResultsAskedForEarlyAreConflicts() throws Exception {
        long id = submit(2000, 3).get("id").asLong();
        HttpResponse<String> early = get("/api/v1/jobs/" + id + "/best-config");
        assertEquals(409, early.statusCode());
        assertTrue(
                JSON.readTree(early.body())
                        .get("detail")
                        .asText()
                        .contains("exists once it has SUCCEEDED"));
        Await.until(
                Duration.ofMinutes(2),
                Duration.ofMillis(50),
                "two epochs trained",
                () ->
                        JSON.readTree(get("/api/v1/jobs/" + id).body())
                                .get("epochs")
                                .get("done")
                                .asInt(),
                done -> done >= 2);
        double stoppedBefore = trainingsStopped();
        HttpResponse<String> cancelled =
                post("/api/v1/jobs/" + id + "/cancel", "", ServiceTestEnvironment.TOKEN);
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertEquals("CANCELLED", JSON.readTree(cancelled.body()).get("status").asText());
        // the worker finds its training's lease gone and stops it (counted as lease_lost)
        Await.until(
                Duration.ofSeconds(60),
                Duration.ofMillis(50),
                "the worker stops the cancelled training",
                this::trainingsStopped,
                stopped -> stopped > stoppedBefore);
        int epochs =
                JSON.readTree(get("/api/v1/jobs/" + id).body()).get("epochs").get("done").asInt();
        Thread.sleep(Duration.ofSeconds(2).toMillis());
        JsonNode after = JSON.readTree(get("/api/v1/jobs/" + id).body());
        assertEquals(
                epochs,
                after.get("epochs").get("done").asInt(),
                "no epoch is recorded after the cancel");
        assertEquals("CANCELLED", after.get("status").asText());
        assertTrue(epochs < 2000);
    }

    @Test
    void theServiceDocumentsItselfAndReportsMetricsAndHealth() throws Exception {
        HttpResponse<String> openapi = get("/v3/api-docs");
        assertEquals(200, openapi.statusCode());
        assertTrue(openapi.body().contains("/api/v1/jobs/{id}/best-config"), openapi.body());
        // the submit's body is documented as a job spec, although JobSpec.parse reads it from text
        JsonNode submit =
                JSON.readTree(openapi.body()).at("/paths/~1api~1v1~1jobs/post/requestBody/content");
        assertTrue(
                submit.at("/application~1json/schema/$ref").asText().endsWith("/JobSpec"),
                submit.toString());
        assertEquals(200, get("/swagger-ui/index.html").statusCode());
        JsonNode health = JSON.readTree(get("/actuator/health").body());
        assertEquals("UP", health.get("status").asText());
        assertEquals("UP", health.get("components").get("db").get("status").asText());
        String metrics = get("/actuator/prometheus").body();
        for (String name :
                List.of(
                        "glora_jobs{",
                        "glora_queue_depth{",
                        "glora_leases_held",
                        "glora_evaluation_seconds",
                        "glora_training_step_seconds",
                        "glora_candidates_evaluated_total")) {
            assertTrue(
                    metrics.contains(name),
                    name
                            + " in "
                            + metrics.lines()
                                    .filter(l -> l.startsWith("glora"))
                                    .collect(Collectors.joining("\n")));
        }
    }

    @Test
    void aFinishedJobIsDeletedWithEverythingItProducedAndARunningOneIsRefused() throws Exception {
        long running = submit(200, 5).get("id").asLong();
        HttpResponse<String> early = delete("/api/v1/jobs/" + running);
        assertEquals(409, early.statusCode(), early.body());
        assertTrue(early.body().contains("cancel it first"), early.body());
        assertEquals(
                200,
                post("/api/v1/jobs/" + running + "/cancel", "{}", ServiceTestEnvironment.TOKEN)
                        .statusCode());
        assertEquals(204, delete("/api/v1/jobs/" + running).statusCode());
        assertEquals(404, get("/api/v1/jobs/" + running).statusCode());
        assertEquals(404, delete("/api/v1/jobs/" + running).statusCode());

        long done = submit(1, 1).get("id").asLong();
        awaitStatus(done, "SUCCEEDED");
        assertEquals(200, get("/api/v1/jobs/" + done + "/model").statusCode());
        assertEquals(204, delete("/api/v1/jobs/" + done).statusCode());
        assertEquals(404, get("/api/v1/jobs/" + done + "/model").statusCode());
        for (JsonNode job : JSON.readTree(get("/api/v1/jobs").body())) {
            assertTrue(
                    job.get("id").asLong() != done && job.get("id").asLong() != running,
                    "gone from the list");
        }
    }

    private HttpResponse<String> delete(String path) throws Exception {
        return http.send(
                request(path).header("X-Glora-Request", "1").DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Issue 31: a refusal names the file as the client named it, not by the server's absolute path.
     */
    @Test
    void aRefusalNamesFilesRelativeToTheirRootAndNoJavaClass() throws Exception {
        Path corrupt = ServiceTestEnvironment.ROOTS.models().resolve("corrupt-api.safetensors");
        Files.writeString(corrupt, "not a checkpoint");
        try {
            HttpResponse<String> refused =
                    post(
                            "/api/v1/jobs",
                            "{\"backbone\": \"corrupt-api.safetensors\","
                                    + " \"data\": \""
                                    + TinyJob.TASK
                                    + "\"}",
                            ServiceTestEnvironment.TOKEN);
            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("corrupt-api.safetensors"), refused.body());
            for (Path root :
                    new Path[] {
                        ServiceTestEnvironment.ROOTS.models(),
                        ServiceTestEnvironment.ROOTS.models().toRealPath()
                    }) {
                assertTrue(
                        !refused.body().contains(root.toAbsolutePath().toString()),
                        "no server path: " + refused.body());
            }
            assertTrue(
                    !refused.body().matches("(?s).*\\bjava\\.[a-z]+\\..*"),
                    "no Java class: " + refused.body());
        } finally {
            Files.deleteIfExists(corrupt);
        }
    }
}
