package dev.glora.jobs;

/**
 * A file a job produced.
 *
 * @param kind which file
 * @param size bytes
 * @param sha256 hex digest of the content
 * @param content the bytes, or null when read without them ({@code ResultStore.artefactInfo})
 */
public record Artefact(ArtefactKind kind, long size, String sha256, byte[] content) {}
