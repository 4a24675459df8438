package dev.glora.api.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's settings ({@code glora.*}).
 *
 * @param models the model root: job backbones resolve under it
 * @param data the data root: job task folders resolve under it
 * @param embeddedPort the embedded PostgreSQL's port on localhost; 0 picks a free one
 * @param embeddedDataDir the embedded PostgreSQL's data folder (used when no {@code
 *     spring.datasource.url} is set); it survives restarts
 * @param workers in-process worker slots; 0 leaves all work to {@code search-worker} processes
 * @param apiToken when set, every endpoint but the dashboard's static files and the bare health
 *     status needs {@code Authorization: Bearer <token>} (reads also take the dashboard's {@code
 *     glora-token} cookie)
 * @param openReads with a token, leaves reading requests (GET, HEAD) open to anyone who can reach
 *     the service; writes still need the token
 * @param maxRequestBytes largest request body accepted
 * @param leaseSeconds how long a task is held without a heartbeat
 * @param cacheDir the in-process workers' cache of supernets
 * @param maxUploadBytes largest checkpoint accepted by {@code POST /api/v1/models}
 * @param requireToken without {@code apiToken}: make a token in {@code apiTokenFile} (the default),
 *     or, false, run without one (loopback only)
 * @param apiTokenFile where the made token is kept (default {@code glora-data/api-token})
 * @param allowedHosts host names (without port) a request's {@code Host} may carry besides the
 *     loopback names ({@code localhost}, {@code 127.0.0.1}, {@code ::1}); {@code *} allows any.
 *     Against DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches the service with
 *     its own name in {@code Host}
 */
@ConfigurationProperties("glora")
public record GloraProperties(
        Path models,
        Path data,
        Path embeddedDataDir,
        Integer embeddedPort,
        Integer workers,
        String apiToken,
        Long maxRequestBytes,
        Integer leaseSeconds,
        Path cacheDir,
        Long maxUploadBytes,
        Boolean openReads,
        Integer maxStreams,
        Duration streamTimeout,
        Duration streamKeepAlive,
        Duration retention,
        List<String> allowedHosts,
        Boolean requireToken,
        Path apiTokenFile) {

    /** Fills the defaults. */
    public GloraProperties {
        models = models != null ? models : Path.of("models");
        data = data != null ? data : Path.of("data");
        embeddedDataDir =
                embeddedDataDir != null ? embeddedDataDir : Path.of("glora-data", "postgres");
        embeddedPort = embeddedPort != null ? embeddedPort : 0;
        workers = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        maxRequestBytes = maxRequestBytes != null ? maxRequestBytes : 64 * 1024L;
        leaseSeconds = leaseSeconds != null ? leaseSeconds : 60;
        cacheDir = cacheDir != null ? cacheDir : Path.of("glora-data", "worker-cache");
        maxUploadBytes = maxUploadBytes != null ? maxUploadBytes : 2L << 30;
        apiToken = apiToken == null || apiToken.isBlank() ? null : apiToken;
        openReads = openReads != null && openReads;
        requireToken = requireToken == null || requireToken;
        apiTokenFile = apiTokenFile != null ? apiTokenFile : Path.of("glora-data", "api-token");
        allowedHosts =
                allowedHosts == null
                        ? List.of()
                        : allowedHosts.stream()
                                .map(String::trim)
                                .filter(h -> !h.isEmpty())
                                .map(h -> h.toLowerCase(Locale.ROOT))
                                .toList();
        maxStreams = maxStreams != null ? maxStreams : 64;
        streamTimeout = streamTimeout != null ? streamTimeout : Duration.ofMinutes(30);
        streamKeepAlive = streamKeepAlive != null ? streamKeepAlive : Duration.ofSeconds(15);
        if (retention != null && (retention.isNegative() || retention.isZero())) {
            throw new IllegalArgumentException(
                    "glora.retention must be positive (e.g. 30d), got " + retention);
        }
        if (maxStreams < 1
                || streamTimeout.isNegative()
                || streamTimeout.isZero()
                || streamKeepAlive.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "glora.max-streams must be at least 1, glora.stream-timeout and"
                            + " glora.stream-keep-alive positive, got "
                            + maxStreams
                            + ", "
                            + streamTimeout
                            + ", "
                            + streamKeepAlive);
        }
    }
}
