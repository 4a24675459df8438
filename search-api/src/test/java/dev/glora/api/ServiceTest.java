package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glora.worker.Await;
import dev.glora.worker.TinyJob;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The one running service every web test shares (one Spring context, one embedded PostgreSQL): tiny
 * model and task roots, in-process workers, an API token; and real HTTP calls to it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
public abstract class ServiceTest {

    protected static final ObjectMapper JSON = new ObjectMapper();

    /** A tiny job's spec: format with the epochs and the generations. */
    protected static final String TINY =
            """
            {"name": "tiny", "backbone": "%s", "data": "%s", "seed": 7,
             "supernet": {"rank": 4, "ranks": [4, 2], "epochs": %%d, "batchSize": 8, "lr": 0.01, "warmupEpochs": 0},
             "search": {"population": 9, "generations": %%d, "topK": 4, "mutations": 3, "crossovers": 3}}
            """
                    .formatted(TinyJob.BACKBONE, TinyJob.TASK);

    @LocalServerPort protected int port;

    protected final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        ServiceTestEnvironment.register(registry);
    }

    /**
     * @param name a file of the supernet module's import fixtures (written by real timm)
     * @return its bytes
     */
    protected static byte[] fixture(String name) throws IOException {
        try (InputStream in = ServiceTest.class.getResourceAsStream("/importer/" + name)) {
            return in.readAllBytes();
        }
    }

    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A request that shows the API token, as every read needs while the service has one. */
    protected HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN);
    }

    protected HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> post(String path, String body, String token) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Submits a tiny job and checks the 201 and its Location. */
    protected JsonNode submit(int epochs, int generations) throws Exception {
        return submit(TINY.formatted(epochs, generations));
    }

    /** Submits a job, as {@link #submit(int, int)}, from its whole request. */
    protected JsonNode submit(String request) throws Exception {
        HttpResponse<String> created = post("/api/v1/jobs", request, ServiceTestEnvironment.TOKEN);
        assertEquals(201, created.statusCode(), created.body());
        JsonNode job = JSON.readTree(created.body());
        assertEquals(
                "/api/v1/jobs/" + job.get("id").asLong(),
                created.headers().firstValue("Location").orElseThrow());
        // resolved at submit, so the supernet does not depend on the worker that trains it
        assertEquals(
                Runtime.getRuntime().availableProcessors(),
                job.get("spec").get("supernet").get("threads").asInt(),
                job.toString());
        return job;
    }

    protected JsonNode awaitStatus(long id, String... statuses) throws Exception {
        List<String> wanted = List.of(statuses);
        return Await.until(
                Duration.ofMinutes(3),
                Duration.ofMillis(100),
                "job " + id + " reaching " + wanted,
                () -> JSON.readTree(get("/api/v1/jobs/" + id).body()),
                job -> wanted.contains(job.get("status").asText()));
    }
}
