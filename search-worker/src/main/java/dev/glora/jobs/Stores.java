package dev.glora.jobs;

import dev.glora.queue.QueueSettings;
import dev.glora.queue.TaskQueue;
import java.time.Clock;
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
     * @param clock the time source of the application's timestamps; leases and back-off use the
     *     database's clock, so no worker's clock can expire another's lease
     * @param settings the queue's lease and retry settings
     * @return the stores
     */
    public static Stores open(DataSource database, Clock clock, QueueSettings settings) {
        return open(database, clock, null, settings);
    }

    /**
     * For tests that move time: leases and back-off too follow {@code clock}.
     *
     * @param database a database holding the current schema
     * @param clock the time source of every timestamp, leases included
     * @param settings the queue's lease and retry settings
     * @return the stores
     */
    public static Stores openWithLeaseClock(
            DataSource database, Clock clock, QueueSettings settings) {
        return open(database, clock, clock, settings);
    }

    private static Stores open(
            DataSource database, Clock clock, Clock leaseClock, QueueSettings settings) {
        // a dead task fails its job (JobStore.failed) and the queue cancels the job's other tasks:
        // the queue is built first and the job store on it, neither holding the other back
        TaskQueue queue =
                new TaskQueue(
                        database,
                        clock,
                        leaseClock,
                        settings,
                        (connection, jobId, error) ->
                                JobStore.failed(connection, clock, jobId, error));
        JobStore jobs = new JobStore(database, queue);
        return new Stores(database, queue, jobs, new ResultStore(database, jobs, clock));
    }
}
