package dev.glora.jobs;

/**
 * Something that happened to a job, as the API streams it.
 *
 * @param id increasing over all jobs
 * @param jobId the job
 * @param type {@code status}, {@code epoch} or {@code generation}
 * @param data what happened, JSON
 */
public record JobEvent(long id, long jobId, String type, String data) {}
