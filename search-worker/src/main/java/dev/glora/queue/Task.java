package dev.glora.queue;

/**
 * A claimed task.
 *
 * @param id the task
 * @param jobId the job it belongs to
 * @param kind what it does
 * @param payload its input, JSON
 * @param lease the claim: every write about the task names it
 * @param attempt 1-based claim count
 * @param maxAttempts claims allowed before it is dead
 */
public record Task(
        long id,
        long jobId,
        TaskKind kind,
        String payload,
        Lease lease,
        int attempt,
        int maxAttempts) {}
