package dev.glora.jobs;

/**
 * A file a job produced.
 *
 * @param kind {@code supernet}, {@code supernet-resume}, {@code best-config}, {@code pareto} or {@code model}
 * @param size bytes
 * @param sha256 hex digest of the content
 * @param content the bytes
 */
public record Artefact(String kind, long size, String sha256, byte[] content) {}
