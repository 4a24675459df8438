package dev.glora.queue;

import dev.glora.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** The {@code task} table as a queue; see the package description for the protocol. */
public final class TaskQueue {

    /**
     * What happens to a job whose task died; runs in the transaction that marked it dead. When it
     * answers that the job failed, the queue cancels the job's other tasks in that transaction.
     */
    @FunctionalInterface
    public interface DeadTaskHandler {
        /**
         * @param connection the transaction
         * @param jobId the task's job
         * @param error the task's last error
         * @return whether the job failed now (false: it had already ended)
         * @throws SQLException to roll the transaction back
         */
        boolean onDead(Connection connection, long jobId, String error) throws SQLException;
    }

    private static final int MAX_DOUBLINGS = 10;

    /**
     * Claims after which a task that never finishes (its worker killed every time) is dead, per
     * attempt.
     */
    private static final int CLAIMS_PER_ATTEMPT = 10;

    /**
     * The queue's time: the lease clock's instant, or the database's own when the parameter is
     * null.
     */
    private static final String NOW = "COALESCE(?::timestamptz, now())";

    /** When a failed attempt may run again: now + back-off doubled per claim (3 parameters). */
    private static final String BACK_OFF =
            NOW + " + make_interval(secs => ? * power(2, least(attempt - 1, ?)))";

    private final DataSource database;
    private final Clock clock;
    private final Clock leaseClock;
    private final QueueSettings settings;
    private final DeadTaskHandler deadTasks;

    /**
     * @param database the database
     * @param clock the time source of the application's timestamps (jobs, events)
     * @param leaseClock the time source of leases and back-off, or null for the database's clock
     *     (production: no worker's clock can then expire another's lease); tests that move time
     *     pass theirs
     * @param settings lease, back-off and attempts
     * @param deadTasks fails the job of a dead task
     */
    public TaskQueue(
            DataSource database,
            Clock clock,
            Clock leaseClock,
            QueueSettings settings,
            DeadTaskHandler deadTasks) {
        this.database = database;
        this.clock = clock;
        this.leaseClock = leaseClock;
        this.settings = settings;
        this.deadTasks = deadTasks;
    }

    /**
     * @return the time source of the application's timestamps
     */
    public Clock clock() {
        return clock;
    }

    /**
     * Adds a task inside the caller's transaction (a trigger notifies {@code glora_task}).
     *
     * @param connection the transaction
     * @param jobId its job
     * @param kind what it does
     * @param payload its input, JSON
     * @return its id
     * @throws SQLException from the driver
     */
    public long enqueue(Connection connection, long jobId, TaskKind kind, String payload)
            throws SQLException {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO task (job_id, kind, priority,"
                                + " payload, max_attempts, run_after, created_at) VALUES (?, ?, ?, ?::jsonb, ?, "
                                + NOW
                                + ", ?)"
                                + " RETURNING id")) {
            insert.setLong(1, jobId);
            insert.setString(2, kind.name());
            insert.setInt(3, kind.priority());
            insert.setString(4, payload);
            insert.setInt(5, settings.maxAttempts());
            insert.setTimestamp(6, leaseNow());
            insert.setTimestamp(7, Timestamp.from(clock.instant()));
            try (ResultSet id = insert.executeQuery()) {
                id.next();
                return id.getLong(1);
            }
        }
    }

    /**
     * Claims the first ready task of the given kinds in one statement; concurrent claims skip each
     * other's rows, so no task is handed out twice.
     *
     * @param owner the worker's name
     * @param kinds the kinds it takes
     * @param jobId only this job's tasks, or null for any job
     * @return the task, or empty when none is ready
     */
    public Optional<Task> claim(String owner, Collection<TaskKind> kinds, Long jobId) {
        return Sql.inTransaction(
                database,
                "claiming a task",
                connection -> {
                    try (PreparedStatement claim =
                            connection.prepareStatement(
                                    "UPDATE task SET status = 'RUNNING',"
                                            + " lease_seconds = "
                                            + settings.leaseTimeout().toMillis() / 1000.0
                                            + ","
                                            + " picked_by = ?, attempt = attempt + 1, version = version + 1, last_heartbeat = "
                                            + NOW
                                            + " WHERE id = (SELECT id FROM task WHERE status = 'READY' AND run_after <= "
                                            + NOW
                                            + " AND kind = ANY (?) AND (?::bigint IS NULL OR job_id = ?) ORDER BY"
                                            + " priority, id LIMIT 1"
                                            + " FOR UPDATE SKIP LOCKED) RETURNING id, job_id, kind, payload::text,"
                                            + " version, attempt,"
                                            + " max_attempts")) {
                        Timestamp now = leaseNow();
                        claim.setString(1, owner);
                        claim.setTimestamp(2, now);
                        claim.setTimestamp(3, now);
                        claim.setArray(
                                4,
                                connection.createArrayOf(
                                        "text", kinds.stream().map(Enum::name).toArray()));
                        if (jobId == null) {
                            claim.setNull(5, Types.BIGINT);
                            claim.setNull(6, Types.BIGINT);
                        } else {
                            claim.setLong(5, jobId);
                            claim.setLong(6, jobId);
                        }
                        try (ResultSet row = claim.executeQuery()) {
                            if (!row.next()) {
                                return Optional.empty();
                            }
                            return Optional.of(
                                    new Task(
                                            row.getLong(1),
                                            row.getLong(2),
                                            TaskKind.valueOf(row.getString(3)),
                                            row.getString(4),
                                            new Lease(row.getLong(1), row.getLong(5), owner),
                                            row.getInt(6),
                                            row.getInt(7)));
                        }
                    }
                });
    }

    /**
     * @param lease a claim
     * @return whether it still holds (false: stop the work, another worker has or will get it)
     */
    public boolean heartbeat(Lease lease) {
        return Sql.inTransaction(
                database,
                "heartbeat of task " + lease.taskId(),
                connection -> {
                    try (PreparedStatement beat =
                            connection.prepareStatement(
                                    "UPDATE task SET last_heartbeat = "
                                            + NOW
                                            + " WHERE id = ? AND version = ? AND status = 'RUNNING'")) {
                        beat.setTimestamp(1, leaseNow());
                        beat.setLong(2, lease.taskId());
                        beat.setLong(3, lease.version());
                        return beat.executeUpdate() == 1;
                    }
                });
    }

    /**
     * Runs writes about a task in one transaction that first locks the task row and checks the
     * lease: if the lease no longer holds, nothing is written.
     *
     * @param lease the claim
     * @param what the work, for error messages
     * @param work the writes
     * @return what the work returned
     * @throws LeaseLostException if the lease no longer holds
     */
    public <T> T fenced(Lease lease, String what, Sql.Work<T> work) {
        return Sql.inTransaction(
                database,
                what,
                connection -> {
                    lock(connection, lease);
                    return work.run(connection);
                });
    }

    /**
     * Locks the task row inside the caller's transaction if the lease holds.
     *
     * @param connection the transaction
     * @param lease the claim
     * @throws LeaseLostException if it no longer holds
     * @throws SQLException from the driver
     */
    public void lock(Connection connection, Lease lease) throws SQLException {
        try (PreparedStatement lock =
                connection.prepareStatement(
                        "SELECT 1 FROM task WHERE id = ? AND version = ?"
                                + " AND status = 'RUNNING' FOR UPDATE")) {
            lock.setLong(1, lease.taskId());
            lock.setLong(2, lease.version());
            try (ResultSet row = lock.executeQuery()) {
                if (!row.next()) {
                    throw new LeaseLostException(lease);
                }
            }
        }
    }

    /**
     * Marks the task done with its result, inside the caller's fenced transaction.
     *
     * @param connection a transaction that holds the task's lock ({@link #fenced})
     * @param lease the claim
     * @param result the result, JSON, or null
     * @throws SQLException from the driver
     */
    public void complete(Connection connection, Lease lease, String result) throws SQLException {
        try (PreparedStatement done =
                connection.prepareStatement(
                        "UPDATE task SET status = 'DONE', result = ?::jsonb,"
                                + " finished_at = ?, error = NULL WHERE id = ? AND version = ? AND status = 'RUNNING'")) {
            done.setString(1, result);
            done.setTimestamp(2, Timestamp.from(clock.instant()));
            done.setLong(3, lease.taskId());
            done.setLong(4, lease.version());
            if (done.executeUpdate() != 1) {
                throw new LeaseLostException(lease);
            }
        }
    }

    /**
     * @param lease the claim
     * @param result the result, JSON, or null
     * @throws LeaseLostException if the lease no longer holds
     */
    public void complete(Lease lease, String result) {
        fenced(
                lease,
                "completing task " + lease.taskId(),
                connection -> {
                    complete(connection, lease, result);
                    return null;
                });
    }

    /**
     * Records a failed attempt: the task waits its back-off and runs again, or, out of attempts or
     * not worth retrying, is dead and its job fails with this error. A stale lease changes nothing.
     *
     * @param lease the claim
     * @param error what went wrong
     * @param retry whether another attempt could succeed
     * @return whether the task is now dead
     */
    public boolean fail(Lease lease, String error, boolean retry) {
        // a task that dies fails its job and cancels the job's other tasks (task, job, tasks): a
        // worker
        // recording a result holds its task and then wants the job, a deadlock PostgreSQL breaks by
        // aborting one; a failure that loses runs again, or the real error would be lost to a
        // lapsed lease
        String what = "recording the failure of task " + lease.taskId();
        return Sql.inTransactionRetryingConflicts(
                database,
                what,
                connection -> {
                    try (PreparedStatement fail =
                            connection.prepareStatement(
                                    "UPDATE task SET failures = failures + 1,"
                                            + " status = CASE WHEN ? AND failures + 1 < max_attempts THEN 'READY' ELSE"
                                            + " 'DEAD' END,"
                                            + " picked_by = NULL, error = ?, run_after = "
                                            + BACK_OFF
                                            + ", finished_at = CASE WHEN ?"
                                            + " AND failures + 1 < max_attempts THEN NULL ELSE ?::timestamptz END"
                                            + " WHERE id = ? AND version = ? AND status = 'RUNNING' RETURNING status, job_id")) {
                        fail.setBoolean(1, retry);
                        fail.setString(2, error);
                        bindBackOff(fail, 3);
                        fail.setBoolean(6, retry);
                        fail.setTimestamp(7, Timestamp.from(clock.instant()));
                        fail.setLong(8, lease.taskId());
                        fail.setLong(9, lease.version());
                        try (ResultSet row = fail.executeQuery()) {
                            if (!row.next()) {
                                return false;
                            }
                            boolean dead = TaskStatus.valueOf(row.getString(1)) == TaskStatus.DEAD;
                            if (dead && deadTasks.onDead(connection, row.getLong(2), error)) {
                                cancel(connection, row.getLong(2), null);
                            }
                            return dead;
                        }
                    }
                });
    }

    /**
     * Hands a task back after an infrastructure error (the database went away mid-task): it waits
     * its back-off and runs again, without spending an attempt. A stale lease changes nothing.
     *
     * @param lease the claim
     * @param error what went wrong, kept as the task's last error
     * @return whether the task was handed back
     */
    public boolean release(Lease lease, String error) {
        return Sql.inTransaction(
                database,
                "handing back task " + lease.taskId(),
                connection -> {
                    try (PreparedStatement release =
                            connection.prepareStatement(
                                    "UPDATE task SET status = 'READY',"
                                            + " picked_by = NULL, error = ?, run_after = "
                                            + BACK_OFF
                                            + " WHERE id = ? AND version = ? AND status = 'RUNNING'")) {
                        release.setString(1, error);
                        bindBackOff(release, 2);
                        release.setLong(5, lease.taskId());
                        release.setLong(6, lease.version());
                        return release.executeUpdate() == 1;
                    }
                });
    }

    /**
     * Requeues every running task whose last heartbeat is older than the lease timeout, with
     * back-off and without spending an attempt (its worker died or lost the database, the task did
     * not fail); a task claimed {@value #CLAIMS_PER_ATTEMPT} × its attempts without ever finishing
     * is dead and its job fails.
     *
     * @return the ids of the tasks requeued or dead
     */
    public List<Long> requeueExpired() {
        // a task that dies here locks its job and cancels its other tasks, as fail does
        return Sql.inTransactionRetryingConflicts(
                database,
                "requeueing expired tasks",
                connection -> {
                    List<Long> ids = new ArrayList<>();
                    List<Long> dead = new ArrayList<>();
                    try (PreparedStatement expire =
                            connection.prepareStatement(
                                    "UPDATE task SET status = CASE WHEN"
                                            + " attempt >= max_attempts * "
                                            + CLAIMS_PER_ATTEMPT
                                            + " THEN 'DEAD' ELSE 'READY' END,"
                                            + " error = 'the lease of ' || picked_by || ' expired: no heartbeat since"
                                            + " ' || last_heartbeat"
                                            + " || CASE WHEN attempt >= max_attempts * "
                                            + CLAIMS_PER_ATTEMPT
                                            + " THEN ' (claimed '"
                                            + " || attempt || ' times without finishing)' ELSE '' END,"
                                            + " picked_by = NULL, run_after = "
                                            + BACK_OFF
                                            + ","
                                            + " finished_at = CASE WHEN attempt >= max_attempts * "
                                            + CLAIMS_PER_ATTEMPT
                                            + " THEN ?::timestamptz END"
                                            + " WHERE id IN (SELECT id FROM task WHERE status = 'RUNNING' AND last_heartbeat < "
                                            + NOW
                                            // each task by the lease its claimant holds it under
                                            // (issue 31: a worker with a
                                            // short lease must not requeue others' healthy tasks);
                                            // a claim from before V6, by ours
                                            + " - make_interval(secs => COALESCE(lease_seconds, ?)) FOR UPDATE SKIP LOCKED)"
                                            + " RETURNING id, job_id, status, error")) {
                        bindBackOff(expire, 1);
                        expire.setTimestamp(4, Timestamp.from(clock.instant()));
                        expire.setTimestamp(5, leaseNow());
                        expire.setDouble(6, settings.leaseTimeout().toMillis() / 1000.0);
                        try (ResultSet rows = expire.executeQuery()) {
                            while (rows.next()) {
                                ids.add(rows.getLong(1));
                                if (TaskStatus.valueOf(rows.getString(3)) == TaskStatus.DEAD
                                        && deadTasks.onDead(
                                                connection, rows.getLong(2), rows.getString(4))) {
                                    dead.add(rows.getLong(2));
                                }
                            }
                        }
                    }
                    for (long job : dead) {
                        cancel(connection, job, null);
                    }
                    return ids;
                });
    }

    /**
     * Cancels a job's unfinished tasks inside the caller's transaction; their workers lose their
     * leases at the next heartbeat.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param kind only tasks of this kind, or null for all
     * @return how many were cancelled
     * @throws SQLException from the driver
     */
    public int cancel(Connection connection, long jobId, TaskKind kind) throws SQLException {
        try (PreparedStatement cancel =
                connection.prepareStatement(
                        "UPDATE task SET status = 'CANCELLED',"
                                + " finished_at = ? WHERE job_id = ? AND status IN ('READY', 'RUNNING')"
                                + " AND (?::text IS NULL OR kind = ?)")) {
            cancel.setTimestamp(1, Timestamp.from(clock.instant()));
            cancel.setLong(2, jobId);
            cancel.setString(3, kind == null ? null : kind.name());
            cancel.setString(4, kind == null ? null : kind.name());
            return cancel.executeUpdate();
        }
    }

    /**
     * Where a task stands, for the one that waits on it.
     *
     * @param status where it stands
     * @param result its result, JSON, once DONE
     * @param error its last error, or null
     * @param attempt claims so far
     */
    public record TaskState(TaskStatus status, String result, String error, int attempt) {}

    /**
     * @param ids tasks
     * @return where each stands, by id
     */
    public Map<Long, TaskState> states(List<Long> ids) {
        return Sql.inTransaction(
                database,
                "reading task states",
                connection -> {
                    try (PreparedStatement select =
                            connection.prepareStatement(
                                    "SELECT id, status, result::text, error,"
                                            + " attempt FROM task WHERE id = ANY (?)")) {
                        select.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
                        Map<Long, TaskState> states = new HashMap<>();
                        try (ResultSet rows = select.executeQuery()) {
                            while (rows.next()) {
                                states.put(
                                        rows.getLong(1),
                                        new TaskState(
                                                TaskStatus.valueOf(rows.getString(2)),
                                                rows.getString(3),
                                                rows.getString(4),
                                                rows.getInt(5)));
                            }
                        }
                        return states;
                    }
                });
    }

    private void bindBackOff(PreparedStatement statement, int first) throws SQLException {
        statement.setTimestamp(first, leaseNow());
        statement.setDouble(first + 1, settings.backoff().toMillis() / 1000.0);
        statement.setInt(first + 2, MAX_DOUBLINGS);
    }

    /**
     * @return the lease clock's time, or null: the database's {@code now()} ({@link #NOW})
     */
    private Timestamp leaseNow() {
        return leaseClock == null ? null : Timestamp.from(leaseClock.instant());
    }
}
