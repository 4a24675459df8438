package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.worker.Await;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Event streams: bounded in number, no event lost when transactions commit out of id order, and a
 * client that stops reading is dropped without holding up the others.
 */
class EventStreamTest extends ServiceTest {

    @Autowired private DataSource database;

    private static void await(String what, BooleanSupplier condition) throws Exception {
        Await.until(
                Duration.ofSeconds(30),
                Duration.ofMillis(20),
                what,
                condition::getAsBoolean,
                Boolean::booleanValue);
    }

    /** Opens a stream and collects its lines in the background. */
    private CompletableFuture<HttpResponse<Stream<String>>> open(String path, List<String> lines) {
        CompletableFuture<HttpResponse<Stream<String>>> response =
                http.sendAsync(
                        request(path).header("Accept", "text/event-stream").build(),
                        HttpResponse.BodyHandlers.ofLines());
        response.thenAcceptAsync(r -> r.body().forEach(lines::add));
        return response;
    }

    @Test
    void streamsBeyondTheLimitAreAnswered429AndClosedOnesFreeTheirPlace() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        List<HttpResponse<InputStream>> held = new ArrayList<>();
        HttpResponse<InputStream> refused = null;
        try {
            for (int i = 0; i <= ServiceTestEnvironment.MAX_STREAMS && refused == null; i++) {
                HttpResponse<InputStream> response =
                        http.send(
                                request("/api/v1/jobs/" + id + "/events")
                                        .header("Accept", "text/event-stream")
                                        .build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() == 429) {
                    refused = response;
                } else {
                    assertEquals(200, response.statusCode());
                    held.add(response);
                }
            }
            assertTrue(refused != null, "no stream was refused after " + held.size());
            assertEquals("10", refused.headers().firstValue("Retry-After").orElseThrow());
        } finally {
            for (HttpResponse<InputStream> response : held) {
                response.body().close();
            }
        }
        // the keep-alives find the closed connections and free their places
        await(
                "a stream can be opened again",
                () -> {
                    try {
                        HttpResponse<InputStream> again =
                                http.send(
                                        request("/api/v1/events")
                                                .header("Accept", "text/event-stream")
                                                .build(),
                                        HttpResponse.BodyHandlers.ofInputStream());
                        again.body().close();
                        return again.statusCode() == 200;
                    } catch (Exception e) {
                        return false;
                    }
                });
    }

    @Test
    void anEventCommittedAfterOneWithALargerIdIsStillSentOnce() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        awaitStatus(id, "SUCCEEDED", "FAILED");
        List<String> lines = new CopyOnWriteArrayList<>();
        open("/api/v1/jobs/" + id + "/events", lines);
        await("the history arrives", () -> lines.stream().anyMatch(l -> l.contains("SUCCEEDED")));
        try (Connection slow = database.getConnection();
                Connection fast = database.getConnection()) {
            slow.setAutoCommit(false);
            insert(slow, id, "{\"n\": \"first id, committed last\"}");
            insert(fast, id, "{\"n\": \"second id, committed first\"}");
            await(
                    "the event committed first arrives",
                    () -> lines.stream().anyMatch(l -> l.contains("committed first")));
            slow.commit();
        }
        await(
                "the event committed last arrives too",
                () -> lines.stream().anyMatch(l -> l.contains("committed last")));
        // a later event marks a later dispatch round: a repeat of either would have come before it
        try (Connection marker = database.getConnection()) {
            insert(marker, id, "{\"n\": \"a later event\"}");
        }
        await(
                "the later event arrives",
                () -> lines.stream().anyMatch(l -> l.contains("a later event")));
        assertEquals(
                1,
                lines.stream().filter(l -> l.contains("committed last")).count(),
                String.join("\n", lines));
        assertEquals(
                1,
                lines.stream().filter(l -> l.contains("committed first")).count(),
                String.join("\n", lines));
    }

    @Test
    void aClientThatStopsReadingIsDroppedAndTheOthersGetEveryEvent() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        awaitStatus(id, "SUCCEEDED", "FAILED");
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", port));
            stalled.getOutputStream()
                    .write(
                            ("GET /api/v1/jobs/"
                                            + id
                                            + "/events HTTP/1.1\r\nHost: localhost\r\n"
                                            + "Accept: text/event-stream\r\nAuthorization: Bearer "
                                            + ServiceTestEnvironment.TOKEN
                                            + "\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
            List<String> lines = new CopyOnWriteArrayList<>();
            open("/api/v1/jobs/" + id + "/events", lines);
            await(
                    "the history arrives",
                    () -> lines.stream().anyMatch(l -> l.contains("SUCCEEDED")));
            int before = streams();
            // far more than the socket buffers and a subscriber's queue hold
            int events = 3_000;
            String padding = "x".repeat(4_000);
            try (Connection connection = database.getConnection()) {
                connection.setAutoCommit(false);
                for (int i = 0; i < events; i++) {
                    insert(
                            connection,
                            id,
                            "{\"n\": \"burst " + i + "\", \"pad\": \"" + padding + "\"}");
                }
                connection.commit();
            }
            await(
                    "the reading client gets every event of the burst",
                    () -> lines.stream().filter(l -> l.contains("\"burst ")).count() == events);
            // the stalled client is dropped, the reading one is still served
            await("the stalled stream is dropped", () -> streams() == before - 1);
            // issue 31: dropping it never holds up the one keep-alive thread (completing the stuck
            // stream's emitter waits for its write lock): the others' keep-alives go on
            long keepAlives = lines.stream().filter(l -> l.contains("keep-alive")).count();
            await(
                    "the reading client's keep-alives go on after the drop",
                    () ->
                            lines.stream().filter(l -> l.contains("keep-alive")).count()
                                    >= keepAlives + 3);
            try (Connection connection = database.getConnection()) {
                insert(connection, id, "{\"n\": \"after the drop\"}");
            }
            await(
                    "the reading client still gets new events",
                    () -> lines.stream().anyMatch(l -> l.contains("after the drop")));
        }
    }

    /**
     * @return the event streams the service has open, from its metrics
     */
    private int streams() {
        try {
            HttpResponse<String> response =
                    http.send(
                            request("/actuator/metrics/glora.event.streams").build(),
                            HttpResponse.BodyHandlers.ofString());
            return (int)
                    JSON.readTree(response.body())
                            .get("measurements")
                            .get(0)
                            .get("value")
                            .asDouble();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void insert(Connection connection, long job, String data) throws Exception {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO job_event (job_id, type, data,"
                                + " created_at) VALUES (?, 'note', ?::jsonb, now())")) {
            insert.setLong(1, job);
            insert.setString(2, data);
            insert.executeUpdate();
        }
    }
}
