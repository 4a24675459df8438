package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.jobs.Roots;
import dev.glora.worker.Await;
import dev.glora.worker.TinyJob;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The service itself, with its in-process workers and its embedded PostgreSQL, killed with SIGKILL
 * three times during one job (twice while the supernet trains, once while it searches) and started
 * again each time on the same data folder: the job still finishes, every epoch and every generation
 * recorded once. The database a killed service leaves running is taken over by the next start.
 */
class ApiCrashTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir Path dir;

    private Process service;

    /** The token the service made on its first start (and reads on every later one). */
    private static String token;

    @AfterEach
    void stop() throws InterruptedException {
        if (service != null) {
            service.destroy(); // SIGTERM: Spring shuts down and stops its database
            service.waitFor();
        }
    }

    @Test
    void aJobSurvivesItsServiceKilledThreeTimes() throws Exception {
        Files.setPosixFilePermissions(
                dir, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody, as root
        Roots roots = TinyJob.write(dir);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        int epochs = 30;
        int generations = 12;
        String spec =
                """
                {"name": "crash", "backbone": "%s", "data": "%s",
                 "supernet": {"ranks": [4, 2], "epochs": %d, "batchSize": 8, "lr": 0.01, "warmupEpochs": 0},
                 "search": {"population": 9, "generations": %d, "topK": 4, "mutations": 3, "crossovers": 3},
                 "seed": 3}"""
                        .formatted(TinyJob.BACKBONE, TinyJob.TASK, epochs, generations);

        service = start(roots, port, 0);
        // started as a user starts it, with no token configured: it made one, readable by its owner
        // alone
        Path tokenFile = dir.resolve("api-token");
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        token = Files.readString(tokenFile).trim();
        String console = Files.readString(dir.resolve("service0.log"));
        assertTrue(
                console.contains("dashboard: http://localhost:" + port + "/?token=" + token),
                "the console names" + " the dashboard's address with its token once");
        HttpResponse<String> anonymous =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/v1/jobs"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(spec))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(
                401,
                anonymous.statusCode(),
                "another local user, or a web page, cannot submit: " + anonymous.body());
        HttpResponse<String> created =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/v1/jobs"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(spec))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        long id = JSON.readTree(created.body()).get("id").asLong();

        List<String> killedIn = new ArrayList<>();
        for (int kill = 1; kill <= 3; kill++) {
            // twice while it trains, then once while it searches; each life makes some progress
            JsonNode job = JSON.readTree(get(base, "/api/v1/jobs/" + id));
            JsonNode at = progressAfter(base, id, progress(job) + 2, kill == 3);
            killedIn.add(at.get("status").asText());
            service.destroyForcibly()
                    .waitFor(); // SIGKILL: no shutdown hook, the database keeps running
            service = start(roots, port, kill);
        }
        JsonNode done = awaitEnd(base, id);
        assertEquals("SUCCEEDED", done.get("status").asText(), done.toString());
        assertEquals(List.of("TRAINING", "TRAINING", "SEARCHING"), killedIn);
        assertEquals(
                epochs,
                JSON.readTree(get(base, "/api/v1/jobs/" + id + "/epochs")).size(),
                "every epoch recorded once");
        assertEquals(
                generations,
                JSON.readTree(get(base, "/api/v1/jobs/" + id + "/generations")).size(),
                "every generation recorded once");
        assertTrue(done.get("testAccuracy").isNumber(), done.toString());
    }

    /** Starts the service on the data folder and port, and waits until it answers. */
    private Process start(Roots roots, int port, int life) throws Exception {
        Process process =
                new ProcessBuilder(
                                List.of(
                                        Path.of(System.getProperty("java.home"), "bin", "java")
                                                .toString(),
                                        "-Dai.djl.offline=true",
                                        "-Xmx1g",
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        SearchApiApplication.class.getName(),
                                        "--server.port=" + port,
                                        "--glora.embedded-data-dir=" + dir.resolve("postgres"),
                                        "--glora.models=" + roots.models(),
                                        "--glora.data=" + roots.data(),
                                        "--glora.cache-dir=" + dir.resolve("cache"),
                                        "--glora.workers=2",
                                        "--glora.lease-seconds=3",
                                        "--glora.api-token-file=" + dir.resolve("api-token")))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("service" + life + ".log").toFile())
                        .start();
        Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(200),
                "the service's health (see service" + life + ".log in " + dir + ")",
                () -> {
                    assertTrue(
                            process.isAlive(),
                            "the service stopped; see service" + life + ".log in " + dir);
                    try {
                        return HTTP.send(
                                        HttpRequest.newBuilder(
                                                        URI.create(
                                                                "http://127.0.0.1:"
                                                                        + port
                                                                        + "/actuator/health"))
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode();
                    } catch (ConnectException | HttpTimeoutException e) {
                        return -1; // not listening yet
                    }
                },
                status -> status == 200);
        return process;
    }

    private static int progress(JsonNode job) {
        return job.get("epochs").get("done").asInt() + job.get("generations").get("done").asInt();
    }

    /**
     * Waits until the job has made {@code target} units of progress (epochs plus generations), and,
     * when {@code searching}, is searching.
     */
    private static JsonNode progressAfter(String base, long id, int target, boolean searching)
            throws Exception {
        return Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(20),
                "progress " + target + (searching ? " while searching" : ""),
                () -> JSON.readTree(get(base, "/api/v1/jobs/" + id)),
                job -> {
                    String status = job.get("status").asText();
                    assertTrue(
                            !List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(status),
                            "the job ended before the kill: " + job);
                    return progress(job) >= target && (!searching || status.equals("SEARCHING"));
                });
    }

    private static JsonNode awaitEnd(String base, long id) throws Exception {
        return Await.until(
                Duration.ofMinutes(4),
                Duration.ofMillis(100),
                "the job's end",
                () -> JSON.readTree(get(base, "/api/v1/jobs/" + id)),
                job ->
                        List.of("SUCCEEDED", "FAILED", "CANCELLED")
                                .contains(job.get("status").asText()));
    }

    private static String get(String base, String path) throws IOException, InterruptedException {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + path))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return response.body();
    }
}
