package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.queue.QueueSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 31: a catalog delete's "is it in use?" and its delete are one step to every submission: a
 * job submitted while a delete runs waits for it, then finds its file gone.
 */
@Timeout(60)
class CatalogLockTest {

    private HikariDataSource database;
    private JobStore jobs;

    @BeforeEach
    void open() {
        database = TestDatabase.pool(TestDatabase.createDatabase(true), 4);
        jobs = Stores.open(database, Clock.systemUTC(), QueueSettings.DEFAULTS).jobs();
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void aSubmissionDuringADeleteWaitsForItAndThenFindsTheFileGone() throws Exception {
        AtomicBoolean gone = new AtomicBoolean();
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<JobStore.CatalogDeletion> delete =
                CompletableFuture.supplyAsync(
                        () ->
                                jobs.deleteUnlessUsed(
                                        "backbone",
                                        "vit.safetensors"::equals,
                                        () -> {
                                            deleting.countDown();
                                            await(release);
                                            gone.set(true);
                                            return true;
                                        }));
        assertTrue(deleting.await(20, TimeUnit.SECONDS));
        CompletableFuture<Long> submit =
                CompletableFuture.supplyAsync(
                        () ->
                                jobs.submit(
                                        new JobRequest(
                                                        "late",
                                                        "vit.safetensors",
                                                        "d",
                                                        null,
                                                        null,
                                                        1L)
                                                .withDefaults(),
                                        null,
                                        () -> {
                                            if (gone.get()) {
                                                throw new IllegalStateException(
                                                        "vit.safetensors was deleted");
                                            }
                                        }));
        try {
            submit.get(1, TimeUnit.SECONDS);
            throw new AssertionError("the submission did not wait for the delete");
        } catch (TimeoutException expected) {
            // it waits on the catalog lock
        }
        release.countDown();
        assertEquals(
                new JobStore.CatalogDeletion(List.of(), true), delete.get(20, TimeUnit.SECONDS));
        ExecutionException refused =
                Assertions.assertThrows(
                        ExecutionException.class, () -> submit.get(20, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, refused.getCause());
        assertTrue(jobs.list().isEmpty(), "no job was stored with a deleted backbone");
    }

    @Test
    void aFileAJobUsesIsNotDeletedAndTheJobIsNamed() {
        long id =
                jobs.submit(
                        new JobRequest("uses", "./vit.safetensors", "d", null, null, 1L)
                                .withDefaults());
        AtomicBoolean called = new AtomicBoolean();
        JobStore.CatalogDeletion deletion =
                jobs.deleteUnlessUsed(
                        "backbone",
                        value -> Path.of(value).normalize().toString().equals("vit.safetensors"),
                        () -> {
                            called.set(true);
                            return true;
                        });
        assertEquals(List.of(id), deletion.using());
        assertFalse(deletion.deleted());
        assertFalse(called.get(), "the deleter never ran");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
