package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.ResultStore;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.search.GenerationStats;
import dev.glora.search.SearchSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed with SIGKILL in the middle of a search: its lease expires, another worker
 * takes the search over from the last persisted generation, and the search ends exactly as {@code
 * glora search} of the job's supernet with the same seed. Killed workers spend none of a task's
 * attempts: a training killed three times (its task allows 3 attempts) still finishes.
 */
class WorkerCrashTest {

    @TempDir Path dir;

    @Test
    void aKilledWorkersSearchIsFinishedByAnotherWithTheSameResult() throws Exception {
        JobView killedAt =
                crashAndRescue(TinyJob.spec(11, 40, 12), view -> view.generationsDone() >= 3, true);
        assertEquals(JobStatus.SEARCHING, killedAt.status(), "killed in the middle of the search");
        assertTrue(killedAt.generationsDone() < 40);
    }

    @Test
    void aTrainingWhoseWorkerIsKilledThreeTimesStillFinishes() throws Exception {
        JobSpec base = TinyJob.spec(5, 3, 9);
        JobSpec spec =
                new JobSpec(
                        base.name(),
                        base.backbone(),
                        base.data(),
                        new JobSpec.Supernet(
                                4, List.of(4, 2), 60, 8, 1e-2, 1e-4, 0, base.supernet().threads()),
                        base.search(),
                        base.retrain(),
                        base.seed());
        // three SIGKILLs of the one training task: its leases lapse, which spends none of its 3
        // attempts
        JobView killedAt =
                crashAndRescue(
                        spec,
                        List.of(
                                view -> view.epochsDone() >= 2,
                                view -> view.epochsDone() >= 4,
                                view -> view.epochsDone() >= 6),
                        false);
        assertEquals(
                JobStatus.TRAINING,
                killedAt.status(),
                "the last kill was in the middle of the training");
    }

    @Test
    void aKilledWorkersTrainingResumesFromItsLastEpochWithTheSameResult() throws Exception {
        JobSpec base = TinyJob.spec(5, 3, 9);
        JobSpec spec =
                new JobSpec(
                        base.name(),
                        base.backbone(),
                        base.data(),
                        new JobSpec.Supernet(
                                4, List.of(4, 2), 60, 8, 1e-2, 1e-4, 0, base.supernet().threads()),
                        base.search(),
                        base.retrain(),
                        base.seed());
        // a training in another process is not bit-identical to an undisturbed one (in one process
        // it
        // is, see TrainerTest), so only the epochs before the crash are compared, within 5 %
        JobView killedAt = crashAndRescue(spec, view -> view.epochsDone() >= 3, false);
        assertEquals(JobStatus.TRAINING, killedAt.status(), "killed in the middle of the training");
        assertTrue(killedAt.epochsDone() < 60);
    }

    /**
     * The tables of the running {@link #crashAndRescue}, for conditions that look beyond the job's
     * row.
     */
    private Stores current;

    @Test
    void aWorkerKilledAmongTheFinalistsIsRescuedWithoutTrainingAFinalistTwice() throws Exception {
        JobSpec tiny = ServiceFinalistsTest.spec();
        JobSpec.Search h = tiny.search();
        // more finalists, longer: the kill lands between the first stored finalist and the last
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
                                null,
                                h.rerankTop(),
                                SearchSettings.Seeds.KNOWN,
                                4,
                                12),
                        tiny.retrain(),
                        JobSpec.Baseline.NONE,
                        tiny.seed());
        afterRescue =
                job -> {
                    List<ResultStore.StoredFinalist> finalists = current.results().finalists(job);
                    assertEquals(
                            IntStream.range(0, finalists.size()).boxed().toList(),
                            finalists.stream().map(ResultStore.StoredFinalist::ordinal).toList(),
                            "each once");
                    assertEquals(
                            finalists.size(),
                            current.jobs().events(job, 0).stream()
                                    .filter(e -> e.type().equals("finalist"))
                                    .count(),
                            "no finalist trained and recorded twice");
                    assertTrue(finalists.size() > 4, "the seeds and the 4 others");
                    assertEquals(
                            finalists.stream().map(ResultStore.StoredFinalist::accuracy).toList(),
                            current.results().finalists(job + 1).stream()
                                    .map(ResultStore.StoredFinalist::accuracy)
                                    .toList(),
                            "the rescued finalists score as an undisturbed job's");
                };
        JobView killedAt =
                crashAndRescue(
                        spec, view -> current.results().finalists(view.id()).size() >= 1, false);
        assertEquals(JobStatus.EXPORTING, killedAt.status(), "killed among the finalists");
    }

    /** What the next rescue checks with the crashed job's id, its database still open. */
    private LongConsumer afterRescue = job -> {};

    /**
     * Runs a job on a worker process, kills it with SIGKILL when {@code killWhen} holds, lets an
     * in-process worker finish it, and checks it ends as the same job run undisturbed.
     *
     * @param exact whether the search must equal {@code glora search} of the job's supernet exactly
     *     (else: every epoch once, none retrained, losses close to an undisturbed job's)
     * @return the job as it stood when the process was killed
     */
    private JobView crashAndRescue(JobSpec spec, Predicate<JobView> killWhen, boolean exact)
            throws Exception {
        return crashAndRescue(spec, List.of(killWhen), exact);
    }

    /** As above, with one worker process started and killed per condition, one after another. */
    private JobView crashAndRescue(JobSpec spec, List<Predicate<JobView>> killWhens, boolean exact)
            throws Exception {
        String url = TestDatabase.createDatabase(true);
        Roots roots = TinyJob.write(dir);
        try (HikariDataSource database = TestDatabase.pool(url, 10)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(Duration.ofSeconds(2), Duration.ofMillis(100), 3));
            current = stores;
            long crashed = stores.jobs().submit(spec);
            JobView before = null;
            for (int kill = 0; kill < killWhens.size(); kill++) {
                ProcessBuilder launch =
                        new ProcessBuilder(
                                        List.of(
                                                Path.of(
                                                                System.getProperty("java.home"),
                                                                "bin",
                                                                "java")
                                                        .toString(),
                                                "-Dai.djl.offline=true",
                                                "-Xmx1g",
                                                "-cp",
                                                System.getProperty("java.class.path"),
                                                "dev.glora.cli.Glora",
                                                "worker",
                                                "--db",
                                                TestDatabase.withoutPassword(url),
                                                "--threads",
                                                "1",
                                                "--lease",
                                                "2",
                                                "--heartbeat",
                                                "1",
                                                "--model-root",
                                                roots.models().toString(),
                                                "--data-root",
                                                roots.data().toString(),
                                                "--cache",
                                                dir.resolve("victim-cache").toString(),
                                                "--name",
                                                "victim" + kill))
                                .redirectErrorStream(true)
                                .redirectOutput(dir.resolve("victim" + kill + ".log").toFile());
                // the password travels in the environment, never in a process list
                launch.environment().put("GLORA_DB_PASSWORD", TestDatabase.server().password());
                // the container health check's file: touched while the worker reaches its database
                Path alive = dir.resolve("victim" + kill + ".alive");
                launch.environment().put("GLORA_WORKER_ALIVE_FILE", alive.toString());
                Process victim = launch.start();
                before = await(stores, crashed, killWhens.get(kill), victim);
                assertTrue(Files.exists(alive), "a running worker marks itself alive");
                victim.destroyForcibly().waitFor();
            }

            SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            try (Worker rescuer =
                    new Worker(
                            stores,
                            TinyJob.settings("rescuer", roots, dir.resolve("cache")),
                            metrics)) {
                rescuer.start();
                JobView finished = ServiceJobTest.awaitEnd(stores, crashed);
                assertEquals(JobStatus.SUCCEEDED, finished.status(), finished.error());
                int stepsPerEpoch = 24 / spec.supernet().batchSize();
                assertTrue(
                        metrics.timer("glora.training.step").count()
                                <= (long) (spec.supernet().epochs() - before.epochsDone())
                                        * stepsPerEpoch,
                        "the rescuer trained only the epochs after the last one stored");
                if (exact) {
                    // the search resumed from the last stored generation equals an undisturbed
                    // search
                    // of the same supernet with the same seed, generation for generation
                    List<GenerationStats> cli =
                            TinyJob.cliSearch(stores, crashed, spec, roots, dir);
                    assertEquals(
                            cli,
                            stores.results().generations(crashed).stream()
                                    .map(ServiceJobTest::timeless)
                                    .toList());
                    assertEquals(cli.get(cli.size() - 1).bestSoFar(), finished.bestAccuracy());
                    return before;
                }
                long undisturbed = stores.jobs().submit(spec);
                JobView reference = ServiceJobTest.awaitEnd(stores, undisturbed);
                assertEquals(JobStatus.SUCCEEDED, reference.status(), reference.error());
                List<Double> expected =
                        stores.results().epochs(undisturbed).stream().map(e -> e.loss()).toList();
                List<Double> actual =
                        stores.results().epochs(crashed).stream().map(e -> e.loss()).toList();
                assertEquals(expected.size(), actual.size(), "every epoch recorded once");
                // both train on the spec's thread count: the crashed worker's epochs are the
                // undisturbed
                // job's, bit for bit (README, "Reproducibility")
                assertEquals(
                        expected.subList(0, before.epochsDone()),
                        actual.subList(0, before.epochsDone()),
                        "the losses of the epochs before the crash");
                assertEquals(spec.search().generations(), finished.generationsDone());
                afterRescue.accept(crashed);
            }
            return before;
        }
    }

    private static JobView await(
            Stores stores, long job, Predicate<JobView> condition, Process victim)
            throws Exception {
        return Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(20),
                "the worker process getting far enough (its output is victim.log in the test's folder)",
                () -> stores.jobs().find(job).orElseThrow(),
                view -> condition.test(view) || view.status().terminal() || !victim.isAlive());
    }
}
