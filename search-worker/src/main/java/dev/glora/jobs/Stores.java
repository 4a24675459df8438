package dev.glora.jobs;

import dev.glora.queue.QueueSettings;
import dev.glora.queue.TaskQueue;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * The service's tables, wired: a task that dies fails its job in the same transaction.
 *
 * @param database the database
 * @param queue the work queue
 * @param jobs jobs, status and events
 * @param results what jobs produce
 */
public record Stores(DataSource database, TaskQueue queue, JobStore jobs, ResultStore results) {

    /**
     * @param database a database holding the current schema
     * @param clock the time source of leases, back-off and every timestamp
     * @param settings the queue's lease and retry settings
     * @return the stores
     */
    public static Stores open(DataSource database, Clock clock, QueueSettings settings) {
        AtomicReference<JobStore> jobs = new AtomicReference<>();
        TaskQueue queue = new TaskQueue(database, clock, settings,
                (connection, jobId, error) -> jobs.get().fail(connection, jobId, error));
        jobs.set(new JobStore(database, queue));
        return new Stores(database, queue, jobs.get(), new ResultStore(database, jobs.get(), clock));
    }
}
