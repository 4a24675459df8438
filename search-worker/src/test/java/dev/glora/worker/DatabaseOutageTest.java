package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.DatabaseException;
import dev.glora.db.EmbeddedPostgres;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.search.GenerationStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped and started again under a running job, once while the supernet trains and once
 * while the search runs: the worker hands its tasks back without spending attempts, picks them up
 * again when the database returns: every epoch and generation is recorded once, and the search ends
 * exactly as {@code glora search} of the job's supernet with the same seed.
 */
class DatabaseOutageTest {

    @TempDir Path dir;

    private EmbeddedPostgres postgres;

    @Test
    void aJobSurvivesTheDatabaseRestartingMidTrainingAndMidSearch() throws Exception {
        Files.setPosixFilePermissions(
                dir, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody, as root
        Path data = dir.resolve("pg");
        postgres = EmbeddedPostgres.start(data, 0);
        int port = postgres.port();
        Flyway.configure()
                .dataSource(postgres.jdbcUrl(), "postgres", postgres.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl());
        config.setPassword(postgres.password());
        config.setMaximumPoolSize(10);
        config.setConnectionTimeout(1_000);
        config.setInitializationFailTimeout(-1);
        Roots roots = TinyJob.write(dir);
        JobSpec base = TinyJob.spec(13, 12, 9);
        JobSpec spec =
                new JobSpec(
                        base.name(),
                        base.backbone(),
                        base.data(),
                        new JobSpec.Supernet(
                                4, List.of(4, 2), 12, 8, 1e-2, 1e-4, 0, base.supernet().threads()),
                        base.search(),
                        base.retrain(),
                        base.seed());
        try (HikariDataSource database = new HikariDataSource(config)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(Duration.ofSeconds(2), Duration.ofMillis(100), 3));
            try (Worker worker =
                    new Worker(
                            stores,
                            TinyJob.settings("survivor", roots, dir.resolve("cache")),
                            new SimpleMeterRegistry())) {
                worker.start();
                long disturbed = stores.jobs().submit(spec);
                restartWhen(stores, disturbed, view -> view.epochsDone() >= 3, data, port);
                restartWhen(stores, disturbed, view -> view.generationsDone() >= 3, data, port);
                JobView finished = awaitEnd(stores, disturbed);
                assertEquals(JobStatus.SUCCEEDED, finished.status(), finished.error());

                long undisturbed = stores.jobs().submit(spec);
                JobView reference = ServiceJobTest.awaitEnd(stores, undisturbed);
                assertEquals(JobStatus.SUCCEEDED, reference.status(), reference.error());
                List<Double> expected =
                        stores.results().epochs(undisturbed).stream().map(e -> e.loss()).toList();
                List<Double> actual =
                        stores.results().epochs(disturbed).stream().map(e -> e.loss()).toList();
                assertEquals(12, actual.size(), "every epoch recorded once");
                // a training interrupted by the outage resumes to the undisturbed one's losses, bit
                // for bit
                assertEquals(expected, actual);
                List<GenerationStats> generations =
                        stores.results().generations(disturbed).stream()
                                .map(ServiceJobTest::timeless)
                                .toList();
                assertEquals(12, generations.size(), "every generation recorded once");
                // the search, interrupted and resumed, equals an undisturbed search of the same
                // supernet
                List<GenerationStats> cli = TinyJob.cliSearch(stores, disturbed, spec, roots, dir);
                assertEquals(cli, generations);
                assertEquals(cli.get(cli.size() - 1).bestSoFar(), finished.bestAccuracy());
            }
        } finally {
            postgres.close();
        }
    }

    /** The job as it stands, asked again while the database is coming back. */
    private static JobView view(Stores stores, long job) throws InterruptedException {
        for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); ; ) {
            try {
                return stores.jobs().find(job).orElseThrow();
            } catch (DatabaseException e) {
                assertTrue(
                        System.nanoTime() < deadline,
                        "the database did not come back: " + e.getMessage());
                Thread.sleep(200);
            }
        }
    }

    private static JobView awaitEnd(Stores stores, long job) throws Exception {
        return Await.until(
                Duration.ofMinutes(4),
                Duration.ofMillis(100),
                "job " + job + "'s end",
                () -> view(stores, job),
                view -> view.status().terminal());
    }

    /**
     * Waits for the condition, then stops PostgreSQL for 3 s (longer than a lease) and starts it
     * again.
     */
    private void restartWhen(
            Stores stores, long job, Predicate<JobView> condition, Path data, int port)
            throws Exception {
        Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(20),
                "the state before the outage",
                () -> view(stores, job),
                view -> {
                    assertTrue(
                            !view.status().terminal(),
                            "the job ended before the outage: " + view.status());
                    return condition.test(view);
                });
        postgres.close();
        Thread.sleep(3_000);
        postgres = EmbeddedPostgres.start(data, port);
    }
}
