package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * With an API token, reads are guarded too and health details go only to callers who showed it;
 * what a form on another web site could send is refused before anything reads its body.
 */
class AccessTest extends ServiceTest {

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void writesThatACrossSiteFormCouldSendAreRefused() throws Exception {
        long id = submit(40, 40).get("id").asLong();
        String cancel = "/api/v1/jobs/" + id + "/cancel";
        for (String formType :
                new String[] {
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x"
                }) {
            HttpResponse<String> form =
                    send(
                            HttpRequest.newBuilder(uri(cancel))
                                    .header("Content-Type", formType)
                                    .POST(HttpRequest.BodyPublishers.ofString("a=b")));
            assertEquals(403, form.statusCode(), formType + ": " + form.body());
            assertTrue(form.body().contains("X-Glora-Request"), form.body());
        }
        HttpResponse<String> bare =
                send(HttpRequest.newBuilder(uri(cancel)).POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(403, bare.statusCode(), bare.body());
        assertTrue(
                !JSON.readTree(get("/api/v1/jobs/" + id).body())
                        .get("status")
                        .asText()
                        .equals("CANCELLED"),
                "nothing was cancelled");

        HttpResponse<String> deliberate =
                send(
                        HttpRequest.newBuilder(uri(cancel))
                                .header("X-Glora-Request", "1")
                                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, deliberate.statusCode(), deliberate.body());
        assertEquals("CANCELLED", awaitStatus(id, "CANCELLED").get("status").asText());
    }

    @Test
    void withATokenEveryReadNeedsItInTheHeaderOrTheDashboardsCookie() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        for (String path :
                new String[] {
                    "/api/v1/jobs",
                    "/api/v1/jobs/" + id,
                    "/api/v1/jobs/" + id + "/events",
                    "/api/v1/events",
                    "/api/v1/models",
                    "/api/v1/datasets",
                    "/actuator/prometheus",
                    "/actuator/metrics",
                    "/v3/api-docs",
                    "/swagger-ui/index.html"
                }) {
            HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri(path)));
            assertEquals(401, anonymous.statusCode(), path + ": " + anonymous.body());
            assertTrue(anonymous.body().contains("Authorization: Bearer"), anonymous.body());
            HttpResponse<String> wrong =
                    send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer nope"));
            assertEquals(401, wrong.statusCode(), path);
        }
        String cookie = "glora-token-" + port + "=" + ServiceTestEnvironment.TOKEN;
        HttpResponse<String> read =
                send(HttpRequest.newBuilder(uri("/api/v1/jobs/" + id)).header("Cookie", cookie));
        assertEquals(200, read.statusCode(), read.body());
        for (String malformed :
                new String[] {
                    "glora-token-" + port + "=%zz",
                    "glora-token-" + port + "=\"",
                    "=;;=",
                    "glora-token-" + port
                }) {
            assertEquals(
                    401,
                    send(HttpRequest.newBuilder(uri("/api/v1/jobs/" + id))
                                    .header("Cookie", malformed))
                            .statusCode(),
                    "a malformed cookie is no token, never a 500: " + malformed);
        }
        assertEquals(
                401,
                send(HttpRequest.newBuilder(uri("/api/v1/jobs/" + id))
                                .header("Cookie", "glora-token=" + ServiceTestEnvironment.TOKEN))
                        .statusCode(),
                "the cookie is named by the port: another port's is not it");
        HttpResponse<String> undeclared =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/jobs/" + id + "/cancel"))
                                .header("Cookie", cookie)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(
                401,
                undeclared.statusCode(),
                "a write on the cookie must say it is deliberate: " + undeclared.body());
        for (String path :
                new String[] {"/", "/index.html", "/job.html", "/common.js", "/app.css"}) {
            assertEquals(
                    200,
                    send(HttpRequest.newBuilder(uri(path))).statusCode(),
                    path + " holds no data");
        }
    }

    @Test
    void healthShowsItsDetailsOnlyToCallersWithTheToken() throws Exception {
        HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri("/actuator/health")));
        assertEquals(200, anonymous.statusCode(), "probes need no token");
        assertEquals("UP", JSON.readTree(anonymous.body()).get("status").asText());
        assertTrue(
                !anonymous.body().contains("components") && !anonymous.body().contains("db"),
                anonymous.body());
        assertEquals(
                200, send(HttpRequest.newBuilder(uri("/actuator/health/liveness"))).statusCode());
        HttpResponse<String> authenticated = get("/actuator/health");
        assertEquals(
                "UP",
                JSON.readTree(authenticated.body())
                        .get("components")
                        .get("db")
                        .get("status")
                        .asText(),
                authenticated.body());
    }

    @Test
    void oversizedBodiesAreRefusedByTheirDeclaredLengthWhateverTheirType() throws Exception {
        String body = "a=" + "x".repeat(10_000);
        // a form-encoded PUT is what Spring's form-content filter reads whole; the access filter is
        // ordered first
        HttpResponse<String> form =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/jobs/1/cancel"))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(413, form.statusCode(), form.body());
        assertTrue(form.body().contains("Request too large"), form.body());
        HttpResponse<String> json =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/jobs/1/cancel"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(413, json.statusCode(), json.body());
    }

    /**
     * A raw HTTP/1.1 exchange: the JDK's client will not send a foreign {@code Host}, which is
     * exactly what a page on a rebinding domain sends.
     */
    private String raw(String method, String path, String host, String origin, String body)
            throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            StringBuilder request =
                    new StringBuilder(
                            method
                                    + " "
                                    + path
                                    + " HTTP/1.1\r\nHost: "
                                    + host
                                    + "\r\nAuthorization: Bearer "
                                    + ServiceTestEnvironment.TOKEN
                                    + "\r\nX-Glora-Request: 1\r\n"
                                    + "Connection: close\r\n");
            if (origin != null) {
                request.append("Origin: ").append(origin).append("\r\n");
            }
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            if (!method.equals("GET")) {
                request.append("Content-Type: application/json\r\nContent-Length: ")
                        .append(content.length)
                        .append("\r\n");
            }
            request.append("\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(content);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Issue 31: a web page on a name that resolves to 127.0.0.1 (DNS rebinding) drives nothing. */
    @Test
    void aForeignHostIsRefusedBeforeAnythingRunsAndAForeignOriginCannotWrite() throws Exception {
        int before = JSON.readTree(get("/api/v1/jobs").body()).size();
        String spec = "{\"backbone\": \"tiny-vit.safetensors\", \"data\": \"tiny-task\"}";
        String rebound =
                raw(
                        "POST",
                        "/api/v1/jobs",
                        "attacker.example:" + port,
                        "http://attacker.example:" + port,
                        spec);
        assertTrue(rebound.startsWith("HTTP/1.1 421"), rebound);
        assertTrue(rebound.contains("glora.allowed-hosts"), rebound);
        assertTrue(
                raw("GET", "/api/v1/jobs", "attacker.example", null, "").startsWith("HTTP/1.1 421"),
                "reads too: the page could read what the service knows");
        assertEquals(
                before, JSON.readTree(get("/api/v1/jobs").body()).size(), "no job was created");

        String crossOrigin =
                raw("POST", "/api/v1/jobs", "127.0.0.1:" + port, "http://attacker.example", spec);
        assertTrue(crossOrigin.startsWith("HTTP/1.1 403"), crossOrigin);
        assertTrue(crossOrigin.contains("Origin"), crossOrigin);
        assertEquals(
                before, JSON.readTree(get("/api/v1/jobs").body()).size(), "no job was created");

        for (String host :
                new String[] {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port}) {
            assertTrue(raw("GET", "/api/v1/jobs", host, null, "").startsWith("HTTP/1.1 200"), host);
        }
        long id = submit(40, 40).get("id").asLong();
        String own =
                raw(
                        "POST",
                        "/api/v1/jobs/" + id + "/cancel",
                        "localhost:" + port,
                        "http://localhost:" + port,
                        "");
        assertTrue(own.startsWith("HTTP/1.1 200"), "its own origin writes: " + own);
    }

    /**
     * Issue 31: the token becomes the dashboard's cookie only through the service, which makes it
     * HttpOnly, SameSite=Strict and named by the port; the address that carried it loses it.
     */
    @Test
    void theDashboardsCookieIsMadeByTheServiceOutOfScriptsReach() throws Exception {
        HttpResponse<String> link =
                send(HttpRequest.newBuilder(uri("/?token=" + ServiceTestEnvironment.TOKEN)));
        assertEquals(303, link.statusCode(), link.body());
        assertEquals(
                "/",
                link.headers().firstValue("Location").orElseThrow(),
                "the address keeps no token");
        String set = link.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(
                set.startsWith("glora-token-" + port + "=" + ServiceTestEnvironment.TOKEN + ";"),
                set);
        assertTrue(
                set.contains("HttpOnly")
                        && set.contains("SameSite=Strict")
                        && set.contains("Path=/"),
                set);
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(uri("/?token=nope")));
        assertEquals(303, wrong.statusCode());
        assertTrue(
                wrong.headers().firstValue("Set-Cookie").isEmpty(), "a wrong token sets nothing");

        HttpResponse<String> session =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/session"))
                                .header("X-Glora-Request", "1")
                                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, session.statusCode(), session.body());
        assertTrue(session.headers().firstValue("Set-Cookie").orElseThrow().contains("HttpOnly"));
        HttpResponse<String> guessed =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/session"))
                                .header("X-Glora-Request", "1")
                                .header("Authorization", "Bearer nope")
                                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(401, guessed.statusCode(), guessed.body());

        long id = submit(40, 40).get("id").asLong();
        HttpResponse<String> write =
                send(
                        HttpRequest.newBuilder(uri("/api/v1/jobs/" + id + "/cancel"))
                                .header(
                                        "Cookie",
                                        "glora-token-" + port + "=" + ServiceTestEnvironment.TOKEN)
                                .header("X-Glora-Request", "1")
                                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(
                200,
                write.statusCode(),
                "the dashboard's deliberate writes go on the cookie: " + write.body());
    }
}
