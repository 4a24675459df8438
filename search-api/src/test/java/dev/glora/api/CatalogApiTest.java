package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import tools.jackson.databind.JsonNode;
import dev.glora.worker.TinyJob;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The model and data catalogs, uploads imported before they appear, and a job on an uploaded model. */
class CatalogApiTest extends ServiceTest {

    private HttpResponse<String> upload(String query, HttpRequest.BodyPublisher body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/v1/models?" + query))
                .header("Content-Type", "application/octet-stream").POST(body);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> modelRootEntries() throws IOException {
        try (Stream<Path> files = Files.list(ServiceTestEnvironment.ROOTS.models())) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode entry : list) {
            if (entry.get("name").asText().equals(name)) {
                return entry;
            }
        }
        return null;
    }

    @Test
    void theCatalogsListTheBackbonesAndTaskFoldersUnderTheRoots() throws Exception {
        JsonNode backbone = named(JSON.readTree(get("/api/v1/models").body()), TinyJob.BACKBONE);
        assertEquals("plain", backbone.get("kind").asText(), String.valueOf(backbone));
        assertTrue(backbone.get("architecture").asText().startsWith("vit_custom_patch"), String.valueOf(backbone));
        assertTrue(backbone.get("parameters").asLong() > 0);
        JsonNode task = named(JSON.readTree(get("/api/v1/datasets").body()), TinyJob.TASK);
        assertEquals(2, task.get("classes").asInt(), String.valueOf(task));
        assertTrue(task.get("splits").get("train800").asInt() > 0, String.valueOf(task));
    }

    @Test
    void anUploadedHubFileIsImportedListedAndAJobRunsOnIt() throws Exception {
        byte[] hub = fixture("timm-tiny-f16.safetensors");
        String query = "name=hub-tiny&numHeads=3&mean=0.5,0.5,0.5&std=0.5,0.5,0.5";
        assertEquals(401, upload(query, HttpRequest.BodyPublishers.ofByteArray(hub), null).statusCode());
        // streamed without a Content-Length, as a large file would be
        HttpResponse<String> created = upload(query, HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(hub)), ServiceTestEnvironment.TOKEN);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("/api/v1/models/hub-tiny.safetensors", created.headers().firstValue("Location").orElseThrow());
        JsonNode model = JSON.readTree(created.body());
        assertEquals("plain", model.get("kind").asText());
        assertEquals("vit_custom_patch16_32 (width 48, depth 2, heads 3)", model.get("architecture").asText());
        assertEquals("hub-tiny.safetensors", model.get("provenance").get("source_file").asText());
        assertTrue(named(JSON.readTree(get("/api/v1/models").body()), "hub-tiny.safetensors") != null);

        HttpResponse<String> again = upload(query, HttpRequest.BodyPublishers.ofByteArray(hub),
                ServiceTestEnvironment.TOKEN);
        assertEquals(409, again.statusCode(), again.body());

        String spec = TINY.formatted(1, 1).replace(TinyJob.BACKBONE, "hub-tiny.safetensors");
        HttpResponse<String> submitted = post("/api/v1/jobs", spec, ServiceTestEnvironment.TOKEN);
        assertEquals(201, submitted.statusCode(), submitted.body());
        JsonNode job = JSON.readTree(submitted.body());
        assertEquals("vit_custom_patch16_32 (width 48, depth 2, heads 3)", job.get("architecture").asText());
        JsonNode done = awaitStatus(job.get("id").asLong(), "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", done.get("status").asText(), String.valueOf(done.get("error")));
        JsonNode best = JSON.readTree(get("/api/v1/jobs/" + job.get("id").asLong() + "/best-config").body());
        assertEquals("vit_custom_patch16_32 (width 48, depth 2, heads 3)",
                best.get("backbone").get("arch").asText());
        assertEquals("48", best.get("backbone").get("embed_dim").asText());
    }

    @Test
    void aForeignFileInTheModelRootIsRefusedAtSubmitWithAHint() throws Exception {
        Path raw = ServiceTestEnvironment.ROOTS.models().resolve("raw-hub.safetensors");
        Files.write(raw, fixture("timm-tiny-f32.safetensors"));
        try {
            String spec = TINY.formatted(1, 1).replace(TinyJob.BACKBONE, "raw-hub.safetensors");
            HttpResponse<String> refused = post("/api/v1/jobs", spec, ServiceTestEnvironment.TOKEN);
            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("import it first"), refused.body());
            assertEquals("undescribed", named(JSON.readTree(get("/api/v1/models").body()), "raw-hub.safetensors")
                    .get("kind").asText());
        } finally {
            Files.delete(raw);
        }
    }

    @Test
    void badUploadsGetOneClearErrorAndLeaveNothingBehind() throws Exception {
        List<String> before = modelRootEntries();
        byte[] npz = fixture("google-tiny.npz");
        HttpResponse<String> truncated = upload("name=cut", HttpRequest.BodyPublishers.ofByteArray(
                Arrays.copyOf(npz, npz.length / 2)), ServiceTestEnvironment.TOKEN);
        assertEquals(422, truncated.statusCode(), truncated.body());
        assertTrue(truncated.body().contains("cut.safetensors"), "names the upload: " + truncated.body());

        HttpResponse<String> unknown = upload("name=x&arch=vit_gigantic_patch14_224",
                HttpRequest.BodyPublishers.ofByteArray(npz), ServiceTestEnvironment.TOKEN);
        assertEquals(422, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("unknown architecture"), unknown.body());

        HttpResponse<String> variant = upload("name=ls&numHeads=3&mean=0,0,0&std=1,1,1",
                HttpRequest.BodyPublishers.ofByteArray(fixture("variant-layerscale.safetensors")),
                ServiceTestEnvironment.TOKEN);
        assertEquals(422, variant.statusCode(), variant.body());
        assertTrue(variant.body().contains("LayerScale"), variant.body());

        byte[] big = new byte[(int) ServiceTestEnvironment.UPLOAD_LIMIT + 1];
        HttpResponse<String> declared = upload("name=big", HttpRequest.BodyPublishers.ofByteArray(big),
                ServiceTestEnvironment.TOKEN);
        assertEquals(413, declared.statusCode(), declared.body());
        HttpResponse<String> streamed = upload("name=big", HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(big)), ServiceTestEnvironment.TOKEN);
        assertEquals(413, streamed.statusCode(), streamed.body());

        HttpResponse<String> badName = upload("name=../escape", HttpRequest.BodyPublishers.ofByteArray(npz),
                ServiceTestEnvironment.TOKEN);
        assertEquals(400, badName.statusCode(), badName.body());

        assertEquals(before, modelRootEntries(), "no model and no temporary file left behind");
        assertFalse(modelRootEntries().stream().anyMatch(n -> n.startsWith(".")));
    }
}
