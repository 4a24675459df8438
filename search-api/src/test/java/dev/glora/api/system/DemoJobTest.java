package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.JobView;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.DefaultApplicationArguments;

/** {@code --demo} submits one demo job, and not another while an earlier start's is unfinished. */
class DemoJobTest {

    /** The demo on the repository's models and the given data folder. */
    private static DemoJob demo(JobStore jobs, Path data) {
        Path models = Path.of("..", "models").toAbsolutePath().normalize();
        GloraProperties properties =
                new GloraProperties(
                        models, data, null, null, null, null, null, null, null, null, null, null,
                        null, null, null, null, null, null);
        return new DemoJob(jobs, properties, new Roots(models, data));
    }

    @Test
    void aRestartWithDemoResumesTheUnfinishedDemoJobAndSubmitsANewOneOnlyAfterItEnded(
            @TempDir Path data) throws Exception {
        // the task as an earlier start wrote it: its lists, which the submit checks look for
        Files.createDirectories(data.resolve(DemoJob.TASK));
        for (String list : List.of("train800", "val200", "train800val200", "test")) {
            Files.writeString(data.resolve(DemoJob.TASK).resolve(list + ".txt"), "");
        }
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(true), 2)) {
            JobStore jobs = Stores.open(database, Clock.systemUTC(), QueueSettings.DEFAULTS).jobs();
            DemoJob demo = demo(jobs, data);
            demo.run(new DefaultApplicationArguments("--server.port=0"));
            assertEquals(List.of(), jobs.list(), "without --demo, nothing");

            demo.run(new DefaultApplicationArguments("--demo"));
            List<JobView> first = jobs.list();
            assertEquals(1, first.size());
            assertEquals(DemoJob.NAME, first.get(0).name());
            demo.run(new DefaultApplicationArguments("--demo"));
            assertEquals(1, jobs.list().size(), "the unfinished demo job is resumed, not doubled");

            assertTrue(jobs.cancel(first.get(0).id()));
            demo.run(new DefaultApplicationArguments("--demo"));
            List<JobView> after = jobs.list();
            assertEquals(2, after.size(), "the earlier one ended: a new demo");
            assertEquals(1, after.stream().filter(j -> j.status() == JobStatus.QUEUED).count());
        }
    }

    @Test
    void aDemoTaskMissingAListIsRefusedAtSubmitNamingItAndNothingIsStored(@TempDir Path data)
            throws Exception {
        Files.createDirectories(data.resolve(DemoJob.TASK));
        Files.writeString(data.resolve(DemoJob.TASK).resolve("test.txt"), "");
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(true), 2)) {
            JobStore jobs = Stores.open(database, Clock.systemUTC(), QueueSettings.DEFAULTS).jobs();
            DemoJob demo = demo(jobs, data);
            IllegalStateException refused =
                    assertThrows(
                            IllegalStateException.class,
                            () -> demo.run(new DefaultApplicationArguments("--demo")));
            assertTrue(refused.getMessage().contains("train800val200"), refused.getMessage());
            assertEquals(List.of(), jobs.list());
        }
    }
}
