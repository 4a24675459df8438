package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.api.jobs.PredictController;
import dev.glora.jobs.Predictor;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageCodec;
import dev.glora.worker.TinyJob;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Issue 33: trying a model over REST, {@code POST .../predict}, and what it refuses. */
@Timeout(300)
class PredictApiTest extends ServiceTest {

    private static final String BOUNDARY = "glora-test-boundary";

    @TempDir Path dir;

    /** A random grey PNG of the given size, and its bytes. */
    private byte[] png(int side, long seed) throws Exception {
        byte[] pixels = new byte[side * side];
        new SplittableRandom(seed).nextBytes(pixels);
        Path file = dir.resolve("image-" + seed + ".png");
        ImageCodec.writePng(new Image(1, side, side, pixels), file);
        return Files.readAllBytes(file);
    }

    private static byte[] multipart(Map<String, byte[]> files) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        files.forEach(
                (name, bytes) -> {
                    body.writeBytes(
                            ("--"
                                            + BOUNDARY
                                            + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                                            + name
                                            + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                                    .getBytes(StandardCharsets.UTF_8));
                    body.writeBytes(bytes);
                    body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
                });
        body.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private HttpResponse<String> predict(String path, Map<String, byte[]> files, String token)
            throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .header(
                                "X-Glora-Request",
                                "1") // as the dashboard sends it: no cross-site form can
                        .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(files)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aJobsModelRanksImagesAsItsDownloadedModelDoesAndBadRequestsAreRefusedByName()
            throws Exception {
        long id = submit(1, 1).get("id").asLong();
        assertEquals("SUCCEEDED", awaitStatus(id, "SUCCEEDED", "FAILED").get("status").asText());
        Map<String, byte[]> sent = new LinkedHashMap<>();
        sent.put("small.png", png(8, 1));
        sent.put("large.png", png(24, 2)); // resized to the model's 8 px, as glora predict does
        HttpResponse<String> answered =
                predict(
                        "/api/v1/jobs/" + id + "/predict?top=5",
                        sent,
                        ServiceTestEnvironment.TOKEN);
        assertEquals(200, answered.statusCode(), answered.body());
        JsonNode answer = JSON.readTree(answered.body());
        assertEquals("job " + id, answer.get("model").asText());
        assertEquals(2, answer.get("predictions").size());
        assertEquals("large.png", answer.get("predictions").get(1).get("image").asText());

        // the same ranking from the model the job hands out, computed here
        Path model = dir.resolve("model.safetensors");
        Files.write(
                model,
                http.send(
                                request("/api/v1/jobs/" + id + "/model").build(),
                                HttpResponse.BodyHandlers.ofByteArray())
                        .body());
        Checkpoint merged = Safetensors.read(model);
        List<Image> images = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : sent.entrySet()) {
            images.add(ImageCodec.read(e.getValue(), e.getKey()));
        }
        List<List<Predictor.Ranked>> expected = Predictor.top(merged, images, List.of(), 5);
        for (int i = 0; i < 2; i++) {
            JsonNode top = answer.get("predictions").get(i).get("top");
            assertEquals(expected.get(i).size(), top.size(), "every class of the 2-class task");
            double sum = 0;
            for (int k = 0; k < top.size(); k++) {
                assertEquals(expected.get(i).get(k).index(), top.get(k).get("index").asInt());
                assertEquals(
                        expected.get(i).get(k).probability(),
                        top.get(k).get("probability").asDouble(),
                        1e-6);
                sum += top.get(k).get("probability").asDouble();
                if (k > 0) {
                    assertTrue(
                            top.get(k - 1).get("probability").asDouble()
                                    >= top.get(k).get("probability").asDouble());
                }
            }
            assertEquals(1.0, sum, 1e-5, "all classes shown: the probabilities add up");
        }

        // a plain model of the catalog predicts too; a supernet or a missing one does not
        HttpResponse<String> backbone =
                predict(
                        "/api/v1/models/" + TinyJob.BACKBONE + "/predict",
                        Map.of("a.png", png(8, 3)),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(200, backbone.statusCode(), backbone.body());
        assertEquals(TinyJob.BACKBONE, JSON.readTree(backbone.body()).get("model").asText());
        assertEquals(
                404,
                predict(
                                "/api/v1/models/no-such.safetensors/predict",
                                Map.of("a.png", png(8, 3)),
                                ServiceTestEnvironment.TOKEN)
                        .statusCode());
        assertEquals(
                404,
                predict(
                                "/api/v1/jobs/999999/predict",
                                Map.of("a.png", png(8, 3)),
                                ServiceTestEnvironment.TOKEN)
                        .statusCode());

        // refusals name what is wrong
        HttpResponse<String> notImage =
                predict(
                        "/api/v1/jobs/" + id + "/predict",
                        Map.of("notes.txt", "not a picture".getBytes(StandardCharsets.UTF_8)),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(422, notImage.statusCode(), notImage.body());
        assertTrue(
                notImage.body().contains("notes.txt") && notImage.body().contains("not an image"),
                notImage.body());
        Map<String, byte[]> nine = new LinkedHashMap<>();
        for (int i = 0; i < 9; i++) {
            nine.put("i" + i + ".png", png(8, 10 + i));
        }
        HttpResponse<String> tooMany =
                predict("/api/v1/jobs/" + id + "/predict", nine, ServiceTestEnvironment.TOKEN);
        assertEquals(400, tooMany.statusCode(), tooMany.body());
        assertTrue(tooMany.body().contains("1 to 8"), tooMany.body());
        assertEquals(
                401,
                predict("/api/v1/jobs/" + id + "/predict", Map.of("a.png", png(8, 3)), null)
                        .statusCode(),
                "a write: it needs the token");
        // a body over the limit is refused from its Content-Length, before a byte of it is read
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(
                            ("POST /api/v1/jobs/"
                                            + id
                                            + "/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            + "Authorization: Bearer "
                                            + ServiceTestEnvironment.TOKEN
                                            + "\r\nContent-Type: multipart/form-data;"
                                            + " boundary="
                                            + BOUNDARY
                                            + "\r\nContent-Length: "
                                            + (PredictController.MAX_REQUEST_BYTES + 1)
                                            + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.UTF_8));
            // the status line arrives while the body is still owed (the server then drops the
            // connection)
            String status =
                    new BufferedReader(
                                    new InputStreamReader(
                                            socket.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 413"), status);
        }
    }
}
