package dev.glora.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.Sql;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.Stores;
import dev.glora.worker.Await;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue against a real PostgreSQL; time moves by an injected clock. */
class TaskQueueTest {

    private static final Set<TaskKind> EVALUATE = Set.of(TaskKind.EVALUATE);
    private static final QueueSettings SETTINGS =
            new QueueSettings(Duration.ofSeconds(30), Duration.ofSeconds(4), 3);

    private HikariDataSource database;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private Stores stores;
    private long job;

    @BeforeEach
    void open() {
        database = TestDatabase.pool(TestDatabase.createDatabase(true), 12);
        stores = Stores.openWithLeaseClock(database, clock, SETTINGS);
        job =
                stores.jobs()
                        .submit(
                                new JobRequest("queue test", "b", "d", null, null, 1L)
                                        .withDefaults());
    }

    @AfterEach
    void close() {
        database.close();
    }

    private List<Long> enqueue(int n) {
        return Sql.inTransaction(
                database,
                "enqueue",
                c -> {
                    List<Long> ids = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        ids.add(
                                stores.queue()
                                        .enqueue(c, job, TaskKind.EVALUATE, "{\"i\": " + i + "}"));
                    }
                    return ids;
                });
    }

    @Test
    void aCancelThatADeadlockWithAWorkerAbortsRunsAgainAndCancels() throws Exception {
        List<Long> ids = enqueue(2);
        // the cancel locks the job, then its tasks
        assertTrue(
                losesADeadlockWithAWorker(ids.get(0), () -> stores.jobs().cancel(job)),
                "cancelled by its second run");
        assertEquals(JobStatus.CANCELLED, stores.jobs().find(job).orElseThrow().status());
        Map<Long, TaskQueue.TaskState> states = stores.queue().states(ids);
        for (long id : ids) {
            assertEquals(TaskStatus.CANCELLED, states.get(id).status());
        }
    }

    @Test
    void aTaskFailureThatADeadlockWithAnotherWorkerAbortsRunsAgainAndFailsItsJob()
            throws Exception {
        List<Long> ids = enqueue(2);
        Task failing = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        Task other = stores.queue().claim("b", EVALUATE, null).orElseThrow();
        assertEquals(ids, List.of(failing.id(), other.id()));
        // a task that dies locks itself, fails the job, then cancels the job's other tasks
        assertTrue(
                losesADeadlockWithAWorker(
                        other.id(),
                        () -> stores.queue().fail(failing.lease(), "label 7 of 5", false)),
                "dead by its second run");
        // the real error, not a lapsed lease's, reaches the job
        assertEquals(JobStatus.FAILED, stores.jobs().find(job).orElseThrow().status());
        assertEquals("label 7 of 5", stores.jobs().find(job).orElseThrow().error());
        Map<Long, TaskQueue.TaskState> states = stores.queue().states(ids);
        assertEquals(TaskStatus.DEAD, states.get(failing.id()).status());
        assertEquals(TaskStatus.CANCELLED, states.get(other.id()).status());
    }

    /**
     * Deadlocks {@code work}, which must lock the job and then wait for {@code heldTask}, with a
     * worker's transaction that holds that task and then wants the job, and makes the work the
     * victim PostgreSQL aborts.
     *
     * @return what the work returned in the end
     */
    private <T> T losesADeadlockWithAWorker(long heldTask, Callable<T> work) throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (Connection worker = database.getConnection();
                Statement sql = worker.createStatement()) {
            worker.setAutoCommit(false);
            // PostgreSQL aborts the transaction whose deadlock check runs first: the work's (the
            // default 1 s after it began to wait), not this one's
            sql.execute("SET deadlock_timeout = '10s'");
            // a worker's transaction holds the task, as recording a result or a failure does ...
            sql.executeQuery("SELECT id FROM task WHERE id = " + heldTask + " FOR UPDATE").close();
            Future<T> result = other.submit(work);
            // ... the work locks the job, then waits for that task ...
            Await.until(
                    Duration.ofSeconds(20),
                    Duration.ofMillis(5),
                    "the work waiting for the worker's task",
                    this::waiting,
                    waiting -> waiting > 0);
            // ... and the worker then wants the job: a deadlock, which aborts the work's first run
            sql.executeUpdate("UPDATE job SET updated_at = updated_at WHERE id = " + job);
            worker.commit();
            return result.get(30, TimeUnit.SECONDS);
        } finally {
            other.shutdownNow();
        }
    }

    /** Sessions of this test's database that wait for a lock. */
    private long waiting() {
        return Sql.inTransaction(
                database,
                "locks",
                c -> {
                    try (Statement s = c.createStatement();
                            ResultSet row =
                                    s.executeQuery(
                                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                                    + " AND wait_event_type = 'Lock'")) {
                        row.next();
                        return row.getLong(1);
                    }
                });
    }

    @Test
    void severalWorkersCompleteEveryTaskExactlyOnceAndLoseNone() throws Exception {
        List<Long> ids = enqueue(150);
        Map<Long, String> claimedBy = new ConcurrentHashMap<>();
        AtomicInteger doubleClaims = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(6);
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
            String owner = "worker-" + w;
            running.add(
                    workers.submit(
                            () -> {
                                for (Optional<Task> task =
                                                stores.queue().claim(owner, EVALUATE, null);
                                        task.isPresent();
                                        task = stores.queue().claim(owner, EVALUATE, null)) {
                                    if (claimedBy.putIfAbsent(task.get().id(), owner) != null) {
                                        doubleClaims.incrementAndGet();
                                    }
                                    stores.queue()
                                            .complete(
                                                    task.get().lease(),
                                                    "{\"by\": \"" + owner + "\"}");
                                }
                            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        workers.shutdown();
        assertEquals(0, doubleClaims.get());
        assertEquals(Set.copyOf(ids), claimedBy.keySet());
        Map<Long, TaskQueue.TaskState> states = stores.queue().states(ids);
        for (long id : ids) {
            assertEquals(TaskStatus.DONE, states.get(id).status());
            assertEquals(1, states.get(id).attempt());
            assertTrue(
                    states.get(id).result().contains(claimedBy.get(id)), states.get(id).result());
        }
        assertTrue(claimedBy.values().stream().distinct().count() > 1, "the work was shared");
    }

    /**
     * Issue 31: each task expires by the lease its claimant holds it under, not by the caller's.
     */
    @Test
    void aWorkerWithAShortLeaseRequeuesNoOtherWorkersHealthyTask() {
        long id = enqueue(1).get(0);
        assertTrue(stores.queue().claim("patient", EVALUATE, null).isPresent());
        Stores hasty =
                Stores.openWithLeaseClock(
                        database,
                        clock,
                        new QueueSettings(Duration.ofSeconds(2), Duration.ofSeconds(4), 3));
        clock.advance(Duration.ofSeconds(5));
        assertTrue(
                hasty.queue().requeueExpired().isEmpty(),
                "the claimant's lease is 30 s; 5 s have passed");
        clock.advance(Duration.ofSeconds(26));
        assertEquals(
                List.of(id),
                hasty.queue().requeueExpired(),
                "past the claimant's own lease it is requeued");
        long short_ = enqueue(1).get(0);
        assertTrue(hasty.queue().claim("hasty", EVALUATE, null).isPresent());
        clock.advance(Duration.ofSeconds(3));
        assertEquals(
                List.of(short_),
                stores.queue().requeueExpired(),
                "a short lease lapses for everyone");
    }

    @Test
    void aResultWrittenUnderAStaleLeaseChangesNothing() {
        long id = enqueue(1).get(0);
        Task first = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        clock.advance(Duration.ofSeconds(31));
        assertEquals(List.of(id), stores.queue().requeueExpired());
        assertTrue(
                stores.queue().claim("b", EVALUATE, null).isEmpty(),
                "back-off holds the task back");
        clock.advance(Duration.ofSeconds(4));
        Task second = stores.queue().claim("b", EVALUATE, null).orElseThrow();
        assertEquals(first.lease().version() + 1, second.lease().version());
        assertThrows(
                LeaseLostException.class,
                () -> stores.queue().complete(first.lease(), "{\"by\": \"a\"}"));
        assertFalse(stores.queue().heartbeat(first.lease()));
        assertFalse(stores.queue().fail(first.lease(), "late failure", true));
        assertEquals(TaskStatus.RUNNING, stores.queue().states(List.of(id)).get(id).status());
        stores.queue().complete(second.lease(), "{\"by\": \"b\"}");
        TaskQueue.TaskState state = stores.queue().states(List.of(id)).get(id);
        assertEquals(TaskStatus.DONE, state.status());
        assertEquals("{\"by\": \"b\"}", state.result());
        assertEquals(2, state.attempt());
    }

    @Test
    void heartbeatsKeepALeaseAndBackOffDoublesPerAttempt() {
        long id = enqueue(1).get(0);
        Task task = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(20));
            assertTrue(stores.queue().heartbeat(task.lease()));
            assertTrue(stores.queue().requeueExpired().isEmpty(), "a beating lease never expires");
        }
        assertFalse(stores.queue().fail(task.lease(), "transient", true));
        clock.advance(Duration.ofSeconds(3));
        assertTrue(stores.queue().claim("a", EVALUATE, null).isEmpty(), "first back-off is 4 s");
        clock.advance(Duration.ofSeconds(1));
        Task again = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        assertFalse(stores.queue().fail(again.lease(), "transient", true));
        clock.advance(Duration.ofSeconds(7));
        assertTrue(stores.queue().claim("a", EVALUATE, null).isEmpty(), "second back-off is 8 s");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(id, stores.queue().claim("a", EVALUATE, null).orElseThrow().id());
    }

    @Test
    void onlyATasksOwnFailuresSpendItsAttemptsAndTheLastOneFailsItsJob() {
        long id = enqueue(1).get(0);
        for (int lapse = 1; lapse <= 4; lapse++) {
            assertTrue(
                    stores.queue().claim("killed" + lapse, EVALUATE, null).isPresent(),
                    "lapse " + lapse);
            clock.advance(Duration.ofSeconds(31));
            assertEquals(List.of(id), stores.queue().requeueExpired());
            clock.advance(Duration.ofMinutes(5));
        }
        Task cut = stores.queue().claim("cut-off", EVALUATE, null).orElseThrow();
        assertTrue(stores.queue().release(cut.lease(), "the database went away"));
        assertEquals(
                TaskStatus.READY,
                stores.queue().states(List.of(id)).get(id).status(),
                "four killed workers and a database error spend none of the 3 attempts");
        assertFalse(stores.queue().release(cut.lease(), "twice"), "a released lease is stale");
        for (int attempt = 1; attempt <= 3; attempt++) {
            clock.advance(Duration.ofHours(1));
            Task task = stores.queue().claim("w" + attempt, EVALUATE, null).orElseThrow();
            assertEquals(
                    attempt == 3, stores.queue().fail(task.lease(), "failure " + attempt, true));
        }
        assertEquals(TaskStatus.DEAD, stores.queue().states(List.of(id)).get(id).status());
        clock.advance(Duration.ofHours(1));
        assertTrue(stores.queue().claim("w4", EVALUATE, null).isEmpty());
        var failed = stores.jobs().find(job).orElseThrow();
        assertEquals(JobStatus.FAILED, failed.status());
        assertEquals("failure 3", failed.error());
        assertTrue(
                stores.queue().claim("w", Set.of(TaskKind.TRAIN), null).isEmpty(),
                "the job's other tasks stop");
    }

    @Test
    void aTaskWhoseWorkerDiesEveryTimeIsDeadAfterTenClaimsPerAttempt() {
        long id = enqueue(1).get(0);
        for (int lapse = 1; lapse <= 30; lapse++) {
            assertTrue(
                    stores.queue().claim("killed" + lapse, EVALUATE, null).isPresent(),
                    "lapse " + lapse);
            clock.advance(Duration.ofSeconds(31));
            stores.queue().requeueExpired();
            clock.advance(Duration.ofHours(2)); // past the longest back-off, 4 s doubled 10 times
        }
        assertEquals(TaskStatus.DEAD, stores.queue().states(List.of(id)).get(id).status());
        String error = stores.jobs().find(job).orElseThrow().error();
        assertTrue(
                error.contains("lease of killed30 expired") && error.contains("claimed 30 times"),
                error);
        assertEquals(JobStatus.FAILED, stores.jobs().find(job).orElseThrow().status());
        assertTrue(
                stores.queue().claim("w", Set.of(TaskKind.TRAIN), null).isEmpty(),
                "the job's other tasks stop");
    }

    @Test
    void leasesFollowTheDatabasesClockSoAWorkerWhoseClockRunsAheadTakesNoLiveTask() {
        Stores honest = Stores.open(database, Clock.systemUTC(), SETTINGS);
        Stores ahead =
                Stores.open(
                        database, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(2)), SETTINGS);
        long id = enqueue(1).get(0);
        Task task = honest.queue().claim("honest", EVALUATE, null).orElseThrow();
        assertTrue(honest.queue().heartbeat(task.lease()));
        assertTrue(
                ahead.queue().requeueExpired().isEmpty(),
                "the lease is 30 s long and beat just now");
        assertEquals(TaskStatus.RUNNING, honest.queue().states(List.of(id)).get(id).status());
        assertTrue(ahead.queue().claim("ahead", EVALUATE, null).isEmpty());
        honest.queue().complete(task.lease(), null);
        assertEquals(TaskStatus.DONE, honest.queue().states(List.of(id)).get(id).status());
    }

    @Test
    void anErrorNotWorthRetryingKillsTheTaskAtOnce() {
        long id = enqueue(1).get(0);
        Task task = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        assertTrue(
                stores.queue()
                        .fail(task.lease(), "images/val200/3.png: label 7 is outside 0..4", false));
        assertEquals(TaskStatus.DEAD, stores.queue().states(List.of(id)).get(id).status());
        assertEquals(
                "images/val200/3.png: label 7 is outside 0..4",
                stores.jobs().find(job).orElseThrow().error());
    }

    @Test
    void aCancelledJobsTasksAreNotClaimedAndTheirLeasesLapse() {
        enqueue(2);
        Task held = stores.queue().claim("a", EVALUATE, null).orElseThrow();
        long other =
                stores.jobs()
                        .submit(new JobRequest("other", "b", "d", null, null, 2L).withDefaults());
        assertTrue(stores.jobs().cancel(job));
        assertFalse(stores.queue().heartbeat(held.lease()));
        assertTrue(stores.queue().claim("a", EVALUATE, null).isEmpty());
        assertEquals(
                other,
                stores.queue().claim("a", Set.of(TaskKind.TRAIN), null).orElseThrow().jobId(),
                "another job is untouched");
        assertEquals(JobStatus.CANCELLED, stores.jobs().find(job).orElseThrow().status());
        assertFalse(stores.jobs().cancel(job), "a cancelled job stays cancelled");
    }
}
