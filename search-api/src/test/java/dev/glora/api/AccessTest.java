package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
        for (String formType : new String[] {"text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x"}) {
            HttpResponse<String> form = send(HttpRequest.newBuilder(uri(cancel)).header("Content-Type", formType)
                    .POST(HttpRequest.BodyPublishers.ofString("a=b")));
            assertEquals(403, form.statusCode(), formType + ": " + form.body());
            assertTrue(form.body().contains("X-Glora-Request"), form.body());
        }
        HttpResponse<String> bare = send(HttpRequest.newBuilder(uri(cancel)).POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(403, bare.statusCode(), bare.body());
        assertTrue(!JSON.readTree(get("/api/v1/jobs/" + id).body()).get("status").asText().equals("CANCELLED"),
                "nothing was cancelled");

        HttpResponse<String> deliberate = send(HttpRequest.newBuilder(uri(cancel)).header("X-Glora-Request", "1")
                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, deliberate.statusCode(), deliberate.body());
        assertEquals("CANCELLED", awaitStatus(id, "CANCELLED").get("status").asText());
    }

    @Test
    void withATokenEveryReadNeedsItInTheHeaderOrTheDashboardsCookie() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        for (String path : new String[] {"/api/v1/jobs", "/api/v1/jobs/" + id, "/api/v1/jobs/" + id + "/events",
            "/api/v1/events", "/api/v1/models", "/api/v1/datasets", "/actuator/prometheus", "/actuator/metrics",
            "/v3/api-docs", "/swagger-ui/index.html"}) {
            HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri(path)));
            assertEquals(401, anonymous.statusCode(), path + ": " + anonymous.body());
            assertTrue(anonymous.body().contains("Authorization: Bearer"), anonymous.body());
            HttpResponse<String> wrong = send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer nope"));
            assertEquals(401, wrong.statusCode(), path);
        }
        HttpResponse<String> cookie = send(HttpRequest.newBuilder(uri("/api/v1/jobs/" + id))
                .header("Cookie", "glora-token=" + ServiceTestEnvironment.TOKEN));
        assertEquals(200, cookie.statusCode(), cookie.body());
        HttpResponse<String> cookieWrite = send(HttpRequest.newBuilder(uri("/api/v1/jobs/" + id + "/cancel"))
                .header("Cookie", "glora-token=" + ServiceTestEnvironment.TOKEN).header("X-Glora-Request", "1")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertEquals(401, cookieWrite.statusCode(), "the cookie opens reads only: " + cookieWrite.body());
        for (String path : new String[] {"/", "/index.html", "/job.html", "/common.js", "/app.css"}) {
            assertEquals(200, send(HttpRequest.newBuilder(uri(path))).statusCode(), path + " holds no data");
        }
    }

    @Test
    void healthShowsItsDetailsOnlyToCallersWithTheToken() throws Exception {
        HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri("/actuator/health")));
        assertEquals(200, anonymous.statusCode(), "probes need no token");
        assertEquals("UP", JSON.readTree(anonymous.body()).get("status").asText());
        assertTrue(!anonymous.body().contains("components") && !anonymous.body().contains("db"), anonymous.body());
        assertEquals(200, send(HttpRequest.newBuilder(uri("/actuator/health/liveness"))).statusCode());
        HttpResponse<String> authenticated = get("/actuator/health");
        assertEquals("UP", JSON.readTree(authenticated.body()).get("components").get("db").get("status").asText(),
                authenticated.body());
    }

    @Test
    void oversizedBodiesAreRefusedByTheirDeclaredLengthWhateverTheirType() throws Exception {
        String body = "a=" + "x".repeat(10_000);
        // a form-encoded PUT is what Spring's form-content filter reads whole; the access filter is ordered first
        HttpResponse<String> form = send(HttpRequest.newBuilder(uri("/api/v1/jobs/1/cancel"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(413, form.statusCode(), form.body());
        assertTrue(form.body().contains("Request too large"), form.body());
        HttpResponse<String> json = send(HttpRequest.newBuilder(uri("/api/v1/jobs/1/cancel"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(413, json.statusCode(), json.body());
    }
}
