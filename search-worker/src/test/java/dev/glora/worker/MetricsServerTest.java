package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 34: the worker's metrics endpoint, as a Prometheus scraper sees it. */
@Timeout(60)
class MetricsServerTest {

    @Test
    void metricsAreServedInPrometheusTextFormatAndNothingElseIs() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("glora.worker.tasks")
                .tag("kind", "evaluate")
                .tag("outcome", "finished")
                .register(registry)
                .increment(3);
        HttpClient http = HttpClient.newHttpClient();
        try (MetricsServer server =
                MetricsServer.start(registry, InetAddress.getLoopbackAddress(), 0)) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> scraped =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scraped.statusCode());
            assertEquals(
                    MetricsServer.CONTENT_TYPE,
                    scraped.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(
                    scraped.body()
                            .contains(
                                    "glora_worker_tasks_total{kind=\"evaluate\",outcome=\"finished\"} 3.0"),
                    scraped.body());
            assertEquals(
                    404,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/")).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            assertEquals(
                    405,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                            .POST(HttpRequest.BodyPublishers.ofString("x"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
        }
    }
}
