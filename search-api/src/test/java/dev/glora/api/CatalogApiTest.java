package dev.glora.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.importer.TransformersVit;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.worker.TinyJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The model and data catalogs, uploads imported before they appear, and jobs on an uploaded model
 * and an uploaded data set.
 */
class CatalogApiTest extends ServiceTest {

    private HttpResponse<String> upload(String query, HttpRequest.BodyPublisher body, String token)
            throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri("/api/v1/models?" + query))
                        .header("Content-Type", "application/octet-stream")
                        .POST(body);
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
        assertTrue(
                backbone.get("architecture").asText().startsWith("vit_custom_patch"),
                String.valueOf(backbone));
        assertTrue(backbone.get("parameters").asLong() > 0);
        JsonNode task = named(JSON.readTree(get("/api/v1/datasets").body()), TinyJob.TASK);
        assertEquals(2, task.get("classes").asInt(), String.valueOf(task));
        assertTrue(task.get("splits").get("train800").asInt() > 0, String.valueOf(task));
        assertEquals(task, JSON.readTree(get("/api/v1/datasets/" + TinyJob.TASK).body()));
        assertEquals(backbone, JSON.readTree(get("/api/v1/models/" + TinyJob.BACKBONE).body()));
        for (String missing :
                new String[] {
                    "/api/v1/models/none.safetensors",
                    "/api/v1/datasets/none",
                    "/api/v1/datasets/../" + TinyJob.TASK
                }) {
            HttpResponse<String> answer = get(missing);
            assertEquals(404, answer.statusCode(), missing + ": " + answer.body());
        }
        // an encoded slash never reaches the catalog: the server refuses it
        assertEquals(400, get("/api/v1/models/%2E%2E%2Fetc%2Fpasswd").statusCode());
        assertTrue(
                get("/api/v1/datasets/none")
                        .body()
                        .contains("no task folder 'none' under the data root"));
    }

    @Test
    void anUploadedTransformersCheckpointIsImportedWithItsLayerNormEpsilon() throws Exception {
        // issue 33: a transformers ViT's weights, as save_pretrained writes them (made here by the
        // export)
        VitArchitecture arch = TinyModels.tinyArch();
        Path folder = Files.createTempDirectory("glora-hf-upload");
        try {
            TransformersVit.write(TinyModels.randomBackbone(arch, 3), arch, List.of(), folder);
            byte[] weights = Files.readAllBytes(folder.resolve("model.safetensors"));
            HttpResponse<String> created =
                    upload(
                            "name=hf-tiny&numHeads=" + arch.numHeads(),
                            HttpRequest.BodyPublishers.ofByteArray(weights),
                            ServiceTestEnvironment.TOKEN);
            assertEquals(201, created.statusCode(), created.body());
            JsonNode model = JSON.readTree(created.body());
            assertEquals("plain", model.get("kind").asText());
            assertEquals(
                    "transformers-safetensors",
                    model.get("provenance").get("source_format").asText());
            assertEquals(
                    "1.0E-12",
                    model.get("shape").get("layer_norm_eps").asText(),
                    "transformers' default epsilon, carried into the architecture: " + model);
            HttpResponse<String> unnamed =
                    upload(
                            "name=hf-tiny-2",
                            HttpRequest.BodyPublishers.ofByteArray(weights),
                            ServiceTestEnvironment.TOKEN);
            assertEquals(422, unnamed.statusCode(), unnamed.body());
            assertTrue(
                    unnamed.body().contains("numHeads") || unnamed.body().contains("num-heads"),
                    unnamed.body());
        } finally {
            try (Stream<Path> files = Files.list(folder)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(folder);
            Files.deleteIfExists(
                    ServiceTestEnvironment.ROOTS.models().resolve("hf-tiny.safetensors"));
        }
    }

    @Test
    void anUploadedHubFileIsImportedListedAndAJobRunsOnIt() throws Exception {
        byte[] hub = fixture("timm-tiny-f16.safetensors");
        String query = "name=hub-tiny&numHeads=3&mean=0.5,0.5,0.5&std=0.5,0.5,0.5";
        assertEquals(
                401, upload(query, HttpRequest.BodyPublishers.ofByteArray(hub), null).statusCode());
        // streamed without a Content-Length, as a large file would be
        HttpResponse<String> created =
                upload(
                        query,
                        HttpRequest.BodyPublishers.ofInputStream(
                                () -> new ByteArrayInputStream(hub)),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(
                "/api/v1/models/hub-tiny.safetensors",
                created.headers().firstValue("Location").orElseThrow());
        assertEquals(
                created.body(),
                get("/api/v1/models/hub-tiny.safetensors").body(),
                "the Location answers");
        JsonNode model = JSON.readTree(created.body());
        assertEquals("plain", model.get("kind").asText());
        assertEquals(
                "vit_custom_patch16_32 (width 48, depth 2, heads 3)",
                model.get("architecture").asText());
        assertEquals("hub-tiny.safetensors", model.get("provenance").get("source_file").asText());
        assertTrue(
                named(JSON.readTree(get("/api/v1/models").body()), "hub-tiny.safetensors") != null);

        HttpResponse<String> again =
                upload(
                        query,
                        HttpRequest.BodyPublishers.ofByteArray(hub),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(409, again.statusCode(), again.body());

        String spec = TINY.formatted(1, 1).replace(TinyJob.BACKBONE, "hub-tiny.safetensors");
        HttpResponse<String> submitted = post("/api/v1/jobs", spec, ServiceTestEnvironment.TOKEN);
        assertEquals(201, submitted.statusCode(), submitted.body());
        JsonNode job = JSON.readTree(submitted.body());
        assertEquals(
                "vit_custom_patch16_32 (width 48, depth 2, heads 3)",
                job.get("architecture").asText());
        JsonNode done = awaitStatus(job.get("id").asLong(), "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", done.get("status").asText(), String.valueOf(done.get("error")));
        JsonNode best =
                JSON.readTree(
                        get("/api/v1/jobs/" + job.get("id").asLong() + "/best-config").body());
        assertEquals(
                "vit_custom_patch16_32 (width 48, depth 2, heads 3)",
                best.get("backbone").get("arch").asText());
        assertEquals("48", best.get("backbone").get("embed_dim").asText());
    }

    /**
     * A zip archive of the given entries: a name ending in .png gets a tiny image, else the text
     * itself.
     */
    private static byte[] zip(String... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            int i = 0;
            for (String entry : entries) {
                zip.putNextEntry(new ZipEntry(entry));
                if (entry.endsWith(".png")) {
                    BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                    image.setRGB(0, 0, 0x10101 * (i++ % 256));
                    ImageIO.write(image, "png", zip);
                } else {
                    zip.write(entry.getBytes(StandardCharsets.UTF_8));
                }
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Image entries under {@code prefix}: {@code perClass} of each class. */
    private static List<String> images(String prefix, int perClass, String... classes) {
        List<String> entries = new ArrayList<>();
        for (String name : classes) {
            for (int i = 0; i < perClass; i++) {
                entries.add(prefix + name + "/" + i + ".png");
            }
        }
        return entries;
    }

    private HttpResponse<String> uploadData(String query, byte[] zip) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri("/api/v1/datasets?" + query))
                        .header("Content-Type", "application/zip")
                        .header("Authorization", "Bearer " + ServiceTestEnvironment.TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(zip))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> dataRootEntries() throws IOException {
        try (Stream<Path> files = Files.list(ServiceTestEnvironment.ROOTS.data())) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anUploadedZipOfImageFoldersBecomesATaskListedAndAJobRunsOnIt() throws Exception {
        List<String> entries = new ArrayList<>(images("my data/train/", 8, "ant", "bee"));
        entries.addAll(images("my data/test/", 3, "ant", "bee"));
        entries.add("__MACOSX/my data/train/ant/._0.png");
        entries.add("my data/.DS_Store");
        HttpResponse<String> created =
                uploadData(
                        "name=insects&trainSize=10&valSize=4&seed=5",
                        zip(entries.toArray(String[]::new)));
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(
                "/api/v1/datasets/insects", created.headers().firstValue("Location").orElseThrow());
        assertEquals(
                created.body(), get("/api/v1/datasets/insects").body(), "the Location answers");
        JsonNode dataset = JSON.readTree(created.body());
        assertEquals(2, dataset.get("classes").asInt(), created.body());
        assertEquals("[\"ant\",\"bee\"]", dataset.get("classNames").toString(), created.body());
        assertEquals(10, dataset.get("splits").get("train800").asInt(), created.body());
        assertEquals(4, dataset.get("splits").get("val200").asInt(), created.body());
        assertEquals(6, dataset.get("splits").get("test").asInt(), created.body());
        assertTrue(named(JSON.readTree(get("/api/v1/datasets").body()), "insects") != null);
        assertEquals(
                409,
                uploadData(
                                "name=insects&trainSize=10&valSize=4",
                                zip(entries.toArray(String[]::new)))
                        .statusCode());

        String spec = TINY.formatted(1, 1).replace(TinyJob.TASK, "insects");
        HttpResponse<String> submitted = post("/api/v1/jobs", spec, ServiceTestEnvironment.TOKEN);
        assertEquals(201, submitted.statusCode(), submitted.body());
        long id = JSON.readTree(submitted.body()).get("id").asLong();
        JsonNode done = awaitStatus(id, "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", done.get("status").asText(), String.valueOf(done.get("error")));
        // the merged model names its outputs
        byte[] model =
                http.send(
                                request("/api/v1/jobs/" + id + "/model").build(),
                                HttpResponse.BodyHandlers.ofByteArray())
                        .body();
        int headerLength =
                (int) ByteBuffer.wrap(model, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = JSON.readTree(new String(model, 8, headerLength, StandardCharsets.UTF_8));
        assertEquals("[\"ant\",\"bee\"]", header.get("__metadata__").get("class_names").asText());
    }

    private HttpResponse<String> delete(String path) throws Exception {
        return http.send(
                request(path).header("X-Glora-Request", "1").DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDataSetOrAModelIsDeletedOnlyWhileNoUnfinishedJobUsesIt() throws Exception {
        List<String> entries = new ArrayList<>(images("train/", 6, "ant", "bee"));
        entries.addAll(images("test/", 1, "ant", "bee"));
        assertEquals(
                201,
                uploadData(
                                "name=short-lived&trainSize=8&valSize=4",
                                zip(entries.toArray(String[]::new)))
                        .statusCode());
        assertEquals(
                201,
                upload(
                                "name=short-lived-model",
                                HttpRequest.BodyPublishers.ofByteArray(fixture("google-tiny.npz")),
                                ServiceTestEnvironment.TOKEN)
                        .statusCode());
        String spec = TINY.formatted(200, 5).replace(TinyJob.TASK, "short-lived");
        long running =
                JSON.readTree(post("/api/v1/jobs", spec, ServiceTestEnvironment.TOKEN).body())
                        .get("id")
                        .asLong();

        HttpResponse<String> used = delete("/api/v1/datasets/short-lived");
        assertEquals(409, used.statusCode(), used.body());
        assertTrue(
                used.body().contains("used by unfinished job(s) [" + running + "]"), used.body());
        assertEquals("In use", JSON.readTree(used.body()).get("title").asText());
        assertEquals(
                "application/problem+json",
                used.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(
                200,
                post("/api/v1/jobs/" + running + "/cancel", "{}", ServiceTestEnvironment.TOKEN)
                        .statusCode());
        assertEquals(204, delete("/api/v1/datasets/short-lived").statusCode());
        HttpResponse<String> gone = get("/api/v1/datasets/short-lived");
        assertEquals(404, gone.statusCode());
        assertEquals("Data set not found", JSON.readTree(gone.body()).get("title").asText());
        assertFalse(Files.exists(ServiceTestEnvironment.ROOTS.data().resolve("short-lived")));
        assertEquals(404, delete("/api/v1/datasets/short-lived").statusCode());
        assertEquals(404, delete("/api/v1/datasets/../" + TinyJob.TASK).statusCode());
        assertTrue(Files.isDirectory(ServiceTestEnvironment.ROOTS.data().resolve(TinyJob.TASK)));

        // issue 31: the same file however the spec spells it
        String dotted =
                TINY.formatted(200, 5).replace(TinyJob.BACKBONE, "./short-lived-model.safetensors");
        HttpResponse<String> submitted = post("/api/v1/jobs", dotted, ServiceTestEnvironment.TOKEN);
        assertEquals(201, submitted.statusCode(), submitted.body());
        long dottedJob = JSON.readTree(submitted.body()).get("id").asLong();
        HttpResponse<String> inUse = delete("/api/v1/models/short-lived-model.safetensors");
        assertEquals(
                409,
                inUse.statusCode(),
                "./short-lived-model.safetensors is that model: " + inUse.body());
        assertEquals(
                200,
                post("/api/v1/jobs/" + dottedJob + "/cancel", "{}", ServiceTestEnvironment.TOKEN)
                        .statusCode());
        assertEquals(204, delete("/api/v1/models/short-lived-model.safetensors").statusCode());
        assertFalse(modelRootEntries().contains("short-lived-model.safetensors"));
        assertEquals(404, delete("/api/v1/models/short-lived-model.safetensors").statusCode());
    }

    @Test
    void badDataUploadsGetOneClearErrorAndLeaveNothingBehind() throws Exception {
        List<String> before = dataRootEntries();
        List<String> good = new ArrayList<>(images("train/", 4, "ant", "bee"));
        good.addAll(images("test/", 1, "ant", "bee"));

        List<String> slip = new ArrayList<>(good);
        slip.add("train/../../escaped.png");
        HttpResponse<String> escaped =
                uploadData("name=slip&trainSize=4&valSize=2", zip(slip.toArray(String[]::new)));
        assertEquals(422, escaped.statusCode(), escaped.body());
        assertTrue(
                escaped.body().contains("'train/../../escaped.png' leads outside it"),
                escaped.body());
        assertFalse(
                Files.exists(
                        ServiceTestEnvironment.ROOTS.data().getParent().resolve("escaped.png")));

        List<String> corrupt = new ArrayList<>(good);
        corrupt.add("train/bee/notes.txt");
        HttpResponse<String> notImage =
                uploadData("name=bad&trainSize=4&valSize=2", zip(corrupt.toArray(String[]::new)));
        assertEquals(422, notImage.statusCode(), notImage.body());
        assertTrue(notImage.body().contains("train/bee/notes.txt: not an image"), notImage.body());
        assertFalse(
                notImage.body().contains(".unpack-"),
                "the archive's names, not the server's: " + notImage.body());

        HttpResponse<String> noTrain =
                uploadData("name=bad", zip(images("pictures/", 2, "ant").toArray(String[]::new)));
        assertEquals(422, noTrain.statusCode(), noTrain.body());
        assertTrue(noTrain.body().contains("no train/ folder"), noTrain.body());

        HttpResponse<String> tooFew = uploadData("name=bad", zip(good.toArray(String[]::new)));
        assertEquals(422, tooFew.statusCode(), tooFew.body());
        assertTrue(
                tooFew.body().contains("train: 8 images, but the lists drawn from it need 1000"),
                tooFew.body());

        HttpResponse<String> notZip =
                uploadData("name=bad", "plain text".getBytes(StandardCharsets.UTF_8));
        assertEquals(422, notZip.statusCode(), notZip.body());
        assertTrue(notZip.body().contains("not a zip archive"), notZip.body());

        assertEquals(
                400,
                uploadData("name=bad&valSize=0", zip(good.toArray(String[]::new))).statusCode());
        assertEquals(400, uploadData("name=../bad", zip(good.toArray(String[]::new))).statusCode());
        assertEquals(before, dataRootEntries(), "no data set and no temporary file left behind");
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
            assertEquals(
                    "undescribed",
                    named(JSON.readTree(get("/api/v1/models").body()), "raw-hub.safetensors")
                            .get("kind")
                            .asText());
        } finally {
            Files.delete(raw);
        }
    }

    @Test
    void badUploadsGetOneClearErrorAndLeaveNothingBehind() throws Exception {
        List<String> before = modelRootEntries();
        byte[] npz = fixture("google-tiny.npz");
        HttpResponse<String> truncated =
                upload(
                        "name=cut",
                        HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOf(npz, npz.length / 2)),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(422, truncated.statusCode(), truncated.body());
        assertTrue(
                truncated.body().contains("cut.safetensors"),
                "names the upload: " + truncated.body());

        HttpResponse<String> unknown =
                upload(
                        "name=x&arch=vit_gigantic_patch14_224",
                        HttpRequest.BodyPublishers.ofByteArray(npz),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(422, unknown.statusCode(), unknown.body());
        assertTrue(unknown.body().contains("unknown architecture"), unknown.body());

        HttpResponse<String> variant =
                upload(
                        "name=ls&numHeads=3&mean=0,0,0&std=1,1,1",
                        HttpRequest.BodyPublishers.ofByteArray(
                                fixture("variant-layerscale.safetensors")),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(422, variant.statusCode(), variant.body());
        assertTrue(variant.body().contains("LayerScale"), variant.body());

        byte[] big = new byte[(int) ServiceTestEnvironment.UPLOAD_LIMIT + 1];
        HttpResponse<String> declared =
                upload(
                        "name=big",
                        HttpRequest.BodyPublishers.ofByteArray(big),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(413, declared.statusCode(), declared.body());
        HttpResponse<String> streamed =
                upload(
                        "name=big",
                        HttpRequest.BodyPublishers.ofInputStream(
                                () -> new ByteArrayInputStream(big)),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(413, streamed.statusCode(), streamed.body());

        HttpResponse<String> badName =
                upload(
                        "name=../escape",
                        HttpRequest.BodyPublishers.ofByteArray(npz),
                        ServiceTestEnvironment.TOKEN);
        assertEquals(400, badName.statusCode(), badName.body());

        assertEquals(before, modelRootEntries(), "no model and no temporary file left behind");
        assertFalse(modelRootEntries().stream().anyMatch(n -> n.startsWith(".")));
    }
}
