package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed with SIGKILL in the middle of a search: its lease expires, another
 * worker takes the search over from the last persisted generation, and the job ends exactly as an
 * undisturbed run with the same seed.
 */
class WorkerCrashTest {

    @TempDir
    Path dir;

    @Test
    void aKilledWorkersSearchIsFinishedByAnotherWithTheSameResult() throws Exception {
        String url = TestDatabase.createDatabase(true);
        Roots roots = TinyJob.write(dir);
        JobSpec spec = TinyJob.spec(11, 40, 12);
        try (HikariDataSource database = TestDatabase.pool(url, 10)) {
            Stores stores = Stores.open(database, Clock.systemUTC(), new QueueSettings(Duration.ofSeconds(2),
                    Duration.ofMillis(100), 5));
            long crashed = stores.jobs().submit(spec);
            Process victim = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Dai.djl.offline=true", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    "dev.glora.cli.Glora", "worker", "--db", url, "--threads", "1", "--lease", "2", "--heartbeat", "1",
                    "--model-root", roots.models().toString(), "--data-root", roots.data().toString(), "--cache",
                    dir.resolve("victim-cache").toString(), "--name", "victim"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("victim.log").toFile()).start();
            JobView before = awaitGenerations(stores, crashed, 3, victim);
            victim.destroyForcibly().waitFor();
            assertEquals(JobStatus.SEARCHING, before.status(), "killed in the middle of the search");
            assertTrue(before.generationsDone() < spec.search().generations());

            try (Worker rescuer = new Worker(stores, TinyJob.settings("rescuer", roots, dir.resolve("cache")),
                    new SimpleMeterRegistry())) {
                rescuer.start();
                JobView finished = ServiceJobTest.awaitEnd(stores, crashed);
                assertEquals(JobStatus.SUCCEEDED, finished.status(), finished.error());
                long undisturbed = stores.jobs().submit(spec);
                JobView reference = ServiceJobTest.awaitEnd(stores, undisturbed);
                assertEquals(JobStatus.SUCCEEDED, reference.status(), reference.error());
                assertEquals(stores.results().generations(undisturbed).stream().map(ServiceJobTest::timeless)
                        .toList(), stores.results().generations(crashed).stream().map(ServiceJobTest::timeless)
                        .toList());
                assertEquals(reference.bestAccuracy(), finished.bestAccuracy());
                assertEquals(reference.bestParameters(), finished.bestParameters());
                assertEquals(reference.testAccuracy(), finished.testAccuracy());
                assertEquals(stores.results().candidates(undisturbed, "best", 1).get(0).key(),
                        stores.results().candidates(crashed, "best", 1).get(0).key());
            }
        }
    }

    private static JobView awaitGenerations(Stores stores, long job, int generations, Process victim)
            throws Exception {
        for (long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos(); System.nanoTime() < deadline; ) {
            JobView view = stores.jobs().find(job).orElseThrow();
            if (view.generationsDone() >= generations || view.status().terminal() || !victim.isAlive()) {
                return view;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the worker process did not reach generation " + generations + " (its output is"
                + " victim.log in the test's folder)");
    }
}
