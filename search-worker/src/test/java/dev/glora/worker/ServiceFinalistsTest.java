package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.zaxxer.hikari.HikariDataSource;
import dev.glora.cli.Glora;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.ResultStore;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.search.Candidate;
import dev.glora.search.SearchSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 30 in the service: a job with seeds and finalists seeds its first generation, trains its
 * finalists, chooses as {@code glora search --seeds known --finalists} does on the job's supernet,
 * states its budget, and trains its LoRA baseline for that whole budget.
 */
class ServiceFinalistsTest {

    @TempDir Path dir;

    private HikariDataSource database;
    private Stores stores;
    private Roots roots;
    private Worker worker;

    @BeforeEach
    void start() throws Exception {
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
                        new SimpleMeterRegistry());
        worker.start();
    }

    @AfterEach
    void stop() {
        worker.close();
        database.close();
    }

    /** A tiny job with seeds, 2 finalists of 2 epochs, a retraining of 1 epoch and a baseline. */
    static JobSpec spec() {
        return new JobRequest(
                        "finalists",
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
                                SearchSettings.Seeds.KNOWN,
                                2,
                                2),
                        new JobRequest.Retrain(1, 1e-2, 0),
                        new JobRequest.Baseline(true, null, null),
                        5L)
                .withDefaults();
    }

    @Test
    void theJobsSeedsFinalistsAndChoiceEqualTheCommandLinesAndTheBaselineTrainsTheWholeBudget()
            throws Exception {
        JobSpec spec = spec();
        assertTrue(spec.validate().isEmpty(), spec.validate().toString());
        long job = stores.jobs().submit(spec);
        JobView done = ServiceJobTest.awaitEnd(stores, job);
        assertEquals(JobStatus.SUCCEEDED, done.status(), done.error());

        List<Candidate> seeded =
                stores.results().candidates(job, "ordinal", 1000).stream()
                        .filter(c -> c.seed() != null)
                        .toList();
        assertEquals(
                "lora_qkv_r4",
                seeded.get(0).seed(),
                "the largest LoRA on qkv that fits 600 opens the search");
        assertTrue(
                seeded.stream().allMatch(c -> c.generation() == 0 && c.parameters() <= 600),
                seeded.toString());
        List<ResultStore.StoredFinalist> finalists = stores.results().finalists(job);
        assertEquals(seeded.size() + 2, finalists.size(), "every seed and the best 2 others");

        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        stores.results()
                                                .artefact(job, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow()
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JsonObject summary = best.getAsJsonObject("finalists");
        JsonArray rows = summary.getAsJsonArray("candidates");
        assertEquals(finalists.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(
                    finalists.get(i).accuracy(),
                    rows.get(i).getAsJsonObject().get("validation_accuracy").getAsDouble(),
                    "finalist " + i + " as stored");
        }
        JsonObject budget = best.getAsJsonObject("budget");
        int total = 4 + finalists.size() * 2 + 1;
        assertEquals(total, budget.get("total_epochs").getAsInt(), budget.toString());
        assertEquals(1, budget.get("retrain_epochs").getAsInt());
        assertEquals(
                total,
                best.getAsJsonObject("baseline").get("epochs").getAsInt(),
                "the baseline trains for the pipeline's whole budget, finalists included");
        assertEquals(
                1,
                stores.jobs().events(job, 0).stream()
                        .filter(e -> e.type().equals("status") && e.data().contains("SUCCEEDED"))
                        .count());
        assertEquals(
                finalists.size(),
                stores.jobs().events(job, 0).stream()
                        .filter(e -> e.type().equals("finalist"))
                        .count(),
                "one event per finalist");
        try (Connection c = database.getConnection();
                PreparedStatement tasks =
                        c.prepareStatement(
                                "SELECT count(*) FROM task WHERE job_id = ? AND kind = 'FINALIST' AND status = 'DONE'")) {
            tasks.setLong(1, job);
            try (ResultSet r = tasks.executeQuery()) {
                r.next();
                assertEquals(
                        finalists.size(),
                        r.getInt(1),
                        "one FINALIST task per finalist, for any worker's slot");
            }
        }

        // the command line on the job's supernet: the same seeds, finalists and choice
        Path supernet = dir.resolve("supernet.safetensors");
        Files.write(
                supernet,
                stores.results().artefact(job, ArtefactKind.SUPERNET).orElseThrow().content());
        Path out = dir.resolve("cli-search");
        JobSpec.Search h = spec.search();
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
                            String.valueOf(h.population()),
                            "--generations",
                            String.valueOf(h.generations()),
                            "--top-k",
                            String.valueOf(h.topK()),
                            "--mutations",
                            String.valueOf(h.mutations()),
                            "--crossovers",
                            String.valueOf(h.crossovers()),
                            "--max-params",
                            "600",
                            "--seed",
                            "5",
                            "--seeds",
                            "known",
                            "--finalists",
                            "2",
                            "--finalist-epochs",
                            "2",
                            "--finalist-lr",
                            String.valueOf(spec.retrain().lr()),
                            "--threads",
                            String.valueOf(spec.supernet().threads())
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err));
        assertEquals(0, status, err.toString());
        JsonObject cliBest =
                JsonParser.parseString(Files.readString(out.resolve("best-config.json")))
                        .getAsJsonObject();
        assertEquals(
                cliBest.get("finalists"),
                summary,
                "the same finalists, short-trained accuracies and winner");
        assertEquals(cliBest.get("layers"), best.get("layers"), "the same choice");
        assertEquals(cliBest.get("seed"), best.get("seed"));
        String generations = Files.readString(out.resolve("generations.jsonl"));
        assertTrue(
                generations.lines().findFirst().orElseThrow().contains("\"seed\":\"lora_qkv_r4\""),
                generations);
        assertEquals(finalists.size(), Files.readAllLines(out.resolve("finalists.jsonl")).size());

        // run again, the command trains no finalist twice: every one is read from finalists.jsonl
        StringWriter again = new StringWriter();
        Files.delete(out.resolve("best-config.json"));
        assertEquals(
                0,
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
                            String.valueOf(h.population()),
                            "--generations",
                            String.valueOf(h.generations()),
                            "--top-k",
                            String.valueOf(h.topK()),
                            "--mutations",
                            String.valueOf(h.mutations()),
                            "--crossovers",
                            String.valueOf(h.crossovers()),
                            "--max-params",
                            "600",
                            "--seed",
                            "5",
                            "--seeds",
                            "known",
                            "--finalists",
                            "2",
                            "--finalist-epochs",
                            "2",
                            "--finalist-lr",
                            String.valueOf(spec.retrain().lr()),
                            "--threads",
                            String.valueOf(spec.supernet().threads())
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(again)),
                again.toString());
        assertTrue(
                again.toString().contains(finalists.size() + " trained before"), again.toString());
        assertEquals(finalists.size(), Files.readAllLines(out.resolve("finalists.jsonl")).size());
        assertEquals(
                cliBest.get("finalists"),
                JsonParser.parseString(Files.readString(out.resolve("best-config.json")))
                        .getAsJsonObject()
                        .get("finalists"));
    }
}
