package dev.glora.jobs;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.glora.db.Sql;
import dev.glora.queue.TaskKind;
import dev.glora.queue.TaskQueue;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/** Jobs, their status and their events. */
public final class JobStore {

    private static final Gson GSON =
            new GsonBuilder()
                    .serializeSpecialFloatingPointValues()
                    .registerTypeAdapterFactory(new ChoiceAdapters())
                    .create();
    private static final String COLUMNS =
            "id, name, spec::text AS spec, seed, status, error, epochs_done, epochs_total,"
                    + " generations_done, generations_total, candidates_evaluated, best_accuracy, best_parameters,"
                    + " test_accuracy, created_at, started_at, finished_at, updated_at, backbone_arch, baseline_test_accuracy";

    private static final Set<String> PROGRESS =
            Set.of(
                    "epochs_done",
                    "generations_done",
                    "candidates_evaluated",
                    "best_accuracy",
                    "best_parameters",
                    "test_accuracy",
                    "baseline_test_accuracy");

    private final DataSource database;
    private final TaskQueue queue;

    /**
     * @param database the database
     * @param queue the work queue, whose clock times every change
     */
    public JobStore(DataSource database, TaskQueue queue) {
        this.database = database;
        this.queue = queue;
    }

    /**
     * @return the JSON form the store writes specs and events in
     */
    public static Gson gson() {
        return GSON;
    }

    /**
     * Stores a job and queues its supernet training.
     *
     * @param spec a valid spec with defaults filled in
     * @return the job's id
     */
    public long submit(JobSpec spec) {
        return submit(spec, null);
    }

    /**
     * Stores a job and queues its supernet training.
     *
     * @param spec a valid spec with defaults filled in
     * @param backboneArchitecture the backbone's architecture name, or null when not known
     * @return the job's id
     */
    public long submit(JobSpec spec, String backboneArchitecture) {
        return submit(spec, backboneArchitecture, () -> {});
    }

    /**
     * The advisory lock a submission and a catalog delete each hold in their transaction, so that a
     * delete's "is it in use?" and its delete are one step to every submission, in every process
     * sharing the database.
     */
    private static final long CATALOG_LOCK = 0x676c6f7261L; // "glora"

    /**
     * Stores a job and queues its supernet training, once no catalog delete is under way.
     *
     * @param spec a valid spec with defaults filled in
     * @param backboneArchitecture the backbone's architecture name, or null when not known
     * @param inputsThere run under the catalog lock, before the job is stored: throws when a file
     *     the spec names has gone (deleted since it was checked)
     * @return the job's id
     */
    public long submit(JobSpec spec, String backboneArchitecture, Runnable inputsThere) {
        return Sql.inTransaction(
                database,
                "submitting a job",
                connection -> {
                    catalogLock(connection);
                    inputsThere.run();
                    long id;
                    try (PreparedStatement insert =
                            connection.prepareStatement(
                                    "INSERT INTO job (name, spec, seed,"
                                            + " epochs_total, generations_total, created_at, updated_at,"
                                            + " backbone_arch) VALUES (?, ?::jsonb, ?, ?, ?,"
                                            + " ?, ?, ?)"
                                            + " RETURNING id")) {
                        Timestamp now = now();
                        insert.setString(1, spec.name());
                        insert.setString(2, StoredSpec.write(spec));
                        insert.setLong(3, spec.seed());
                        insert.setInt(4, spec.supernet().epochs());
                        insert.setInt(5, spec.search().generations());
                        insert.setTimestamp(6, now);
                        insert.setTimestamp(7, now);
                        insert.setString(8, backboneArchitecture);
                        try (ResultSet row = insert.executeQuery()) {
                            row.next();
                            id = row.getLong(1);
                        }
                    }
                    queue.enqueue(connection, id, TaskKind.TRAIN, "{}");
                    event(connection, id, "status", Map.of("status", JobStatus.QUEUED.name()));
                    return id;
                });
    }

    /**
     * @param id a job
     * @return it, if it exists
     */
    public Optional<JobView> find(long id) {
        List<JobView> found =
                query("reading job " + id, "SELECT " + COLUMNS + " FROM job WHERE id = ?", id);
        return found.stream().findFirst();
    }

    /**
     * @param field the spec's field: {@code backbone} or {@code data}
     * @param name a model or task folder name
     * @return the unfinished jobs whose spec names it there, oldest first
     */
    public List<Long> unfinishedUsing(String field, String name) {
        Path wanted = Path.of(name).normalize();
        return unfinishedUsing(field, value -> Path.of(value).normalize().equals(wanted));
    }

    /**
     * @param field {@code backbone} or {@code data}
     * @param names whether a spec's value names the file (issue 31: {@code ./vit.safetensors} and
     *     {@code vit.safetensors}, or a link to it, are the same file)
     * @return the unfinished jobs whose spec names it, by id
     */
    public List<Long> unfinishedUsing(String field, Predicate<String> names) {
        return Sql.inTransaction(
                database,
                "listing the jobs using a " + field,
                connection -> unfinishedUsing(connection, field, names));
    }

    /**
     * What a catalog delete found: the unfinished jobs that use the file (then nothing was
     * deleted), or whether the deleter found it.
     *
     * @param using the unfinished jobs whose spec names it, by id
     * @param deleted whether it was deleted
     */
    public record CatalogDeletion(List<Long> using, boolean deleted) {}

    /**
     * Deletes a file of the catalog unless an unfinished job uses it, as one step: no job can be
     * submitted between the check and the delete (both hold the catalog lock, {@link #submit}).
     *
     * @param field {@code backbone} or {@code data}
     * @param names whether a spec's value names the file
     * @param deleter deletes it; false when there was none
     * @return what happened
     */
    public CatalogDeletion deleteUnlessUsed(
            String field, Predicate<String> names, BooleanSupplier deleter) {
        return Sql.inTransaction(
                database,
                "deleting a " + field,
                connection -> {
                    catalogLock(connection);
                    List<Long> using = unfinishedUsing(connection, field, names);
                    return new CatalogDeletion(using, using.isEmpty() && deleter.getAsBoolean());
                });
    }

    private static void catalogLock(Connection connection) throws SQLException {
        try (PreparedStatement lock =
                connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, CATALOG_LOCK);
            lock.execute();
        }
    }

    private static List<Long> unfinishedUsing(
            Connection connection, String field, Predicate<String> names) throws SQLException {
        if (!field.equals("backbone") && !field.equals("data")) {
            throw new IllegalArgumentException("not a spec field naming a file: " + field);
        }
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT id, spec ->> ? FROM job WHERE status"
                                + " NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED') ORDER BY id")) {
            select.setString(1, field);
            List<Long> ids = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    String value = row.getString(2);
                    try {
                        if (value != null && names.test(value)) {
                            ids.add(row.getLong(1));
                        }
                    } catch (InvalidPathException e) {
                        // a value no file has: it names nothing
                    }
                }
            }
            return ids;
        }
    }

    /**
     * @return every job, newest first
     */
    public List<JobView> list() {
        return query("listing jobs", "SELECT " + COLUMNS + " FROM job ORDER BY id DESC");
    }

    /**
     * @param id a job
     * @return its spec
     * @throws JobException if there is no such job
     */
    public JobSpec spec(long id) {
        return StoredSpec.read(
                find(id).orElseThrow(() -> new JobException(null, "no job " + id)).spec());
    }

    /**
     * Moves a job to a status unless it already ended (a cancelled job stays cancelled), and
     * records the change as an event.
     *
     * @param connection the transaction
     * @param id the job
     * @param status the new status
     * @param error why it failed, or null
     * @return whether the job changed
     * @throws SQLException from the driver
     */
    public boolean setStatus(Connection connection, long id, JobStatus status, String error)
            throws SQLException {
        return setStatus(connection, queue.clock(), id, status, error);
    }

    static boolean setStatus(
            Connection connection, Clock clock, long id, JobStatus status, String error)
            throws SQLException {
        try (PreparedStatement update =
                connection.prepareStatement(
                        "UPDATE job SET status = ?, error = ?,"
                                + " updated_at = ?, started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END,"
                                + " finished_at = CASE WHEN ? THEN ? ELSE finished_at END"
                                + " WHERE id = ? AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND status <> ?")) {
            Timestamp now = Timestamp.from(clock.instant());
            update.setString(1, status.name());
            update.setString(2, error);
            update.setTimestamp(3, now);
            update.setBoolean(4, status != JobStatus.QUEUED);
            update.setTimestamp(5, now);
            update.setBoolean(6, status.terminal());
            update.setTimestamp(7, now);
            update.setLong(8, id);
            update.setString(9, status.name());
            if (update.executeUpdate() == 0) {
                return false;
            }
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("status", status.name());
        if (error != null) {
            data.put("error", error);
        }
        event(connection, clock, id, "status", data);
        return true;
    }

    /**
     * Fails a job whose task died, in the transaction that marked the task dead; the queue then
     * cancels the job's other tasks ({@link TaskQueue.DeadTaskHandler}). Static, so that the queue
     * can be built before this store: neither holds the other through the death of a task.
     *
     * @param connection the transaction
     * @param clock the time source of the status change and its event
     * @param id the job
     * @param error why
     * @return whether the job was failed (false: it had already ended)
     * @throws SQLException from the driver
     */
    public static boolean failed(Connection connection, Clock clock, long id, String error)
            throws SQLException {
        return setStatus(connection, clock, id, JobStatus.FAILED, error);
    }

    /**
     * Cancels a job that has not ended, and its tasks.
     *
     * @param id the job
     * @return whether it was cancelled (false: it had already ended)
     * @throws JobException if there is no such job
     */
    public boolean cancel(long id) {
        // it locks the job, then its tasks; a worker finishing or failing a task locks the task,
        // then
        // the job: a deadlock PostgreSQL breaks by aborting one, and a cancel that loses runs again
        return Sql.inTransactionRetryingConflicts(
                database,
                "cancelling job " + id,
                connection -> {
                    if (find(id).isEmpty()) {
                        throw new JobException(null, "no job " + id);
                    }
                    if (!setStatus(connection, id, JobStatus.CANCELLED, null)) {
                        return false;
                    }
                    queue.cancel(connection, id, null);
                    return true;
                });
    }

    /** What {@link #delete} did. */
    public enum Deletion {
        /** The job and everything it produced are gone. */
        DELETED,
        /** There is no such job. */
        NOT_FOUND,
        /** The job has not ended: cancel it first. */
        NOT_FINISHED
    }

    /**
     * Deletes a finished job with everything it produced (artefacts, candidates, generations,
     * epochs, events, tasks), in one transaction.
     *
     * @param id the job
     * @return what happened
     */
    public Deletion delete(long id) {
        // it locks the job, then deletes its tasks (as cancel does): it runs again if that
        // deadlocks
        return Sql.inTransactionRetryingConflicts(
                database,
                "deleting job " + id,
                connection -> {
                    try (PreparedStatement lock =
                            connection.prepareStatement(
                                    "SELECT status FROM job WHERE id = ? FOR UPDATE")) {
                        lock.setLong(1, id);
                        try (ResultSet row = lock.executeQuery()) {
                            if (!row.next()) {
                                return Deletion.NOT_FOUND;
                            }
                            if (!JobStatus.valueOf(row.getString(1)).terminal()) {
                                return Deletion.NOT_FINISHED;
                            }
                        }
                    }
                    try (PreparedStatement delete =
                            connection.prepareStatement("DELETE FROM job WHERE id = ?")) {
                        delete.setLong(1, id);
                        delete.executeUpdate();
                    }
                    return Deletion.DELETED;
                });
    }

    /**
     * @param before jobs that ended before this instant
     * @return the ids of finished jobs that ended before it, oldest first
     */
    public List<Long> finishedBefore(Instant before) {
        return Sql.list(
                database,
                "listing old jobs",
                "SELECT id FROM job WHERE finished_at < ?"
                        + " AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') ORDER BY finished_at, id",
                r -> r.getLong(1),
                Timestamp.from(before));
    }

    /**
     * Records an event; listeners are woken when the transaction commits.
     *
     * @param connection the transaction
     * @param id the job
     * @param type the event's type
     * @param data what happened, turned into JSON
     * @throws SQLException from the driver
     */
    public void event(Connection connection, long id, String type, Object data)
            throws SQLException {
        event(connection, queue.clock(), id, type, data);
    }

    private static void event(Connection connection, Clock clock, long id, String type, Object data)
            throws SQLException {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO job_event (job_id, type, data,"
                                + " created_at) VALUES (?, ?, ?::jsonb, ?)")) {
            insert.setLong(1, id);
            insert.setString(2, type);
            insert.setString(3, GSON.toJson(data));
            insert.setTimestamp(4, Timestamp.from(clock.instant()));
            insert.executeUpdate();
        }
    }

    /**
     * @param jobId a job, or null for every job
     * @param afterId only events with a larger id
     * @return the first 1,000 such events in id order ({@link #events(Long, long, int)})
     */
    public List<JobEvent> events(Long jobId, long afterId) {
        return events(jobId, afterId, 1_000);
    }

    /**
     * One page of events; read on from the last one's id for the next.
     *
     * @param jobId a job, or null for every job
     * @param afterId only events with a larger id
     * @param limit at most this many
     * @return the events in id order
     */
    public List<JobEvent> events(Long jobId, long afterId, int limit) {
        return Sql.inTransaction(
                database,
                "reading events",
                connection -> {
                    try (PreparedStatement select =
                            connection.prepareStatement(
                                    "SELECT id, job_id, type, data::text FROM"
                                            + " job_event WHERE id > ? AND (?::bigint IS NULL OR job_id = ?) ORDER BY"
                                            + " id LIMIT ?")) {
                        select.setLong(1, afterId);
                        select.setObject(2, jobId);
                        select.setObject(3, jobId);
                        select.setInt(4, limit);
                        return eventRows(select);
                    }
                });
    }

    /**
     * @param ids event ids
     * @return those of them that exist (committed), in id order
     */
    public List<JobEvent> eventsWithIds(Collection<Long> ids) {
        return Sql.inTransaction(
                database,
                "reading events",
                connection -> {
                    try (PreparedStatement select =
                            connection.prepareStatement(
                                    "SELECT id, job_id, type, data::text FROM"
                                            + " job_event WHERE id = ANY (?) ORDER BY id")) {
                        select.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
                        return eventRows(select);
                    }
                });
    }

    private static List<JobEvent> eventRows(PreparedStatement select) throws SQLException {
        List<JobEvent> events = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                events.add(
                        new JobEvent(
                                rows.getLong(1),
                                rows.getLong(2),
                                rows.getString(3),
                                rows.getString(4)));
            }
        }
        return events;
    }

    /**
     * @return the id of the newest event, 0 when there is none
     */
    public long lastEventId() {
        return Sql.inTransaction(
                database,
                "reading events",
                connection -> {
                    try (PreparedStatement select =
                                    connection.prepareStatement(
                                            "SELECT coalesce(max(id), 0) FROM job_event");
                            ResultSet row = select.executeQuery()) {
                        row.next();
                        return row.getLong(1);
                    }
                });
    }

    /**
     * Updates a job's progress columns in one statement.
     *
     * @param connection the transaction
     * @param id the job
     * @param values new values by column: {@code epochs_done}, {@code generations_done}, {@code
     *     candidates_evaluated}, {@code best_accuracy}, {@code best_parameters}, {@code
     *     test_accuracy} or {@code baseline_test_accuracy}
     * @throws SQLException from the driver
     */
    public void progress(Connection connection, long id, Map<String, ?> values)
            throws SQLException {
        for (String column : values.keySet()) {
            if (!PROGRESS.contains(column)) {
                throw new IllegalArgumentException("not a progress column: " + column);
            }
        }
        String set = values.keySet().stream().map(c -> c + " = ?, ").collect(Collectors.joining());
        try (PreparedStatement update =
                connection.prepareStatement(
                        "UPDATE job SET " + set + "updated_at = ?" + " WHERE id = ?")) {
            int i = 1;
            for (Object value : values.values()) {
                update.setObject(i++, value);
            }
            update.setTimestamp(i++, now());
            update.setLong(i, id);
            update.executeUpdate();
        }
    }

    private List<JobView> query(String what, String sql, Object... args) {
        return Sql.list(database, what, sql, JobStore::view, args);
    }

    /**
     * The one row mapper of {@link #COLUMNS}: every field by its column's name, none by position.
     */
    private static JobView view(ResultSet r) throws SQLException {
        return new JobView(
                r.getLong("id"),
                r.getString("name"),
                r.getString("spec"),
                r.getLong("seed"),
                JobStatus.valueOf(r.getString("status")),
                r.getString("error"),
                r.getInt("epochs_done"),
                r.getInt("epochs_total"),
                r.getInt("generations_done"),
                r.getInt("generations_total"),
                r.getInt("candidates_evaluated"),
                r.getObject("best_accuracy", Double.class),
                r.getObject("best_parameters", Long.class),
                r.getObject("test_accuracy", Double.class),
                instant(r, "created_at"),
                instant(r, "started_at"),
                instant(r, "finished_at"),
                instant(r, "updated_at"),
                r.getString("backbone_arch"),
                r.getObject("baseline_test_accuracy", Double.class));
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp time = row.getTimestamp(column);
        return time == null ? null : time.toInstant();
    }

    private Timestamp now() {
        return Timestamp.from(queue.clock().instant());
    }
}
