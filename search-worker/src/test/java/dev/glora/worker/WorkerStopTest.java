package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
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
 * A worker asked to stop stops its running training at the next step and waits for its slots to
 * leave native code: a JVM that exits while a slot is inside libtorch crashes (it did, stopping
 * {@code bin/serve --demo} mid-training). The task is not failed; it is requeued.
 */
class WorkerStopTest {

    @TempDir Path dir;

    @Test
    void closingAWorkerStopsItsTrainingAtTheNextStepAndWaitsForIt() throws Exception {
        String url = TestDatabase.createDatabase(true);
        Roots roots = TinyJob.write(dir);
        try (HikariDataSource database = TestDatabase.pool(url, 10)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(Duration.ofSeconds(2), Duration.ofMillis(100), 3));
            JobSpec base = TinyJob.spec(5, 3, 9);
            long job =
                    stores.jobs()
                            .submit(
                                    new JobSpec(
                                            base.name(),
                                            base.backbone(),
                                            base.data(),
                                            new JobSpec.Supernet(
                                                    4,
                                                    List.of(4, 2),
                                                    100_000,
                                                    8,
                                                    1e-2,
                                                    1e-4,
                                                    0,
                                                    base.supernet().threads()),
                                            base.search(),
                                            base.retrain(),
                                            base.seed()));
            Worker worker =
                    new Worker(
                            stores,
                            TinyJob.settings("stopping", roots, dir.resolve("cache")),
                            new SimpleMeterRegistry());
            worker.start();
            Await.until(
                    Duration.ofMinutes(2),
                    Duration.ofMillis(20),
                    "the training starting",
                    () -> stores.jobs().find(job).orElseThrow(),
                    view -> view.epochsDone() >= 1);
            long start = System.nanoTime();
            worker.close();
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            assertTrue(seconds < 30, "close() took " + seconds + " s");
            assertTrue(
                    Thread.getAllStackTraces().keySet().stream()
                            .filter(Thread::isAlive)
                            .noneMatch(t -> t.getName().startsWith("glora-worker-slot")),
                    "a slot is still running");
            assertEquals(
                    JobStatus.TRAINING,
                    stores.jobs().find(job).orElseThrow().status(),
                    "not failed");
        }
    }
}
