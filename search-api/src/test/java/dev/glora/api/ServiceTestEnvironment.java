package dev.glora.api;

import dev.glora.jobs.Roots;
import dev.glora.worker.TinyJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * One service for the API tests: embedded PostgreSQL in a temporary folder, tiny model and task
 * roots.
 */
public final class ServiceTestEnvironment {

    public static final String TOKEN = "test-token";

    /** Larger than the import fixtures (at most 400 kB), small enough to overrun in a test. */
    public static final long UPLOAD_LIMIT = 500_000;

    /** Event streams the test service serves at once. */
    public static final int MAX_STREAMS = 10;

    public static final Path DIR;
    public static final Roots ROOTS;

    static {
        try {
            DIR = Files.createTempDirectory("glora-api-test-");
            Files.setPosixFilePermissions(DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
            ROOTS = TinyJob.write(DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ServiceTestEnvironment() {}

    static void register(DynamicPropertyRegistry registry) {
        registry.add("glora.embedded-data-dir", () -> DIR.resolve("postgres").toString());
        registry.add("glora.models", () -> ROOTS.models().toString());
        registry.add("glora.data", () -> ROOTS.data().toString());
        registry.add("glora.cache-dir", () -> DIR.resolve("cache").toString());
        registry.add("glora.workers", () -> "2");
        registry.add("glora.lease-seconds", () -> "6");
        registry.add("glora.api-token", () -> TOKEN);
        registry.add("glora.max-request-bytes", () -> "4096");
        registry.add("glora.max-upload-bytes", () -> Long.toString(UPLOAD_LIMIT));
        registry.add("glora.max-streams", () -> Integer.toString(MAX_STREAMS));
        registry.add("glora.stream-keep-alive", () -> "500ms");
    }
}
