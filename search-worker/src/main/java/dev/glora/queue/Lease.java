package dev.glora.queue;

/**
 * A worker's claim on a task. The version is bumped by every claim, so a write that names an old
 * version (from a worker whose lease expired and was given to another) changes nothing.
 *
 * @param taskId the task
 * @param version the task's version when claimed
 * @param owner the worker that holds it
 */
public record Lease(long taskId, long version, String owner) {}
