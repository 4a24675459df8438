package dev.glora.api.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.glora.api.ServiceTest;
import dev.glora.api.ServiceTestEnvironment;
import dev.glora.jobs.JobSpec;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageCodec;
import dev.glora.worker.TinyJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;

/** The dashboard in headless Chromium against the running service, on tiny jobs. */
class DashboardTest extends ServiceTest {

    private ChromeDriver browser;

    /** Starts a browser and gives the dashboard the token the way a user does, when it asks. */
    @BeforeEach
    void open() throws Exception {
        browser = Browser.start();
        browser.get(page("/"));
        await("the dashboard asks for the API token", () -> count("#auth-token") == 1);
        browser.findElement(By.id("auth-token")).sendKeys(ServiceTestEnvironment.TOKEN);
        browser.findElement(By.cssSelector("#auth button[type=submit]")).click();
        await(
                "the page reloads signed in",
                () ->
                        count("#auth-token") == 0
                                && browser.manage().getCookieNamed("glora-token-" + port) != null);
        Cookie cookie = browser.manage().getCookieNamed("glora-token-" + port);
        assertTrue(cookie.isHttpOnly(), "the token's cookie is out of scripts' reach");
        assertEquals("Strict", cookie.getSameSite());
        assertEquals(
                "",
                ((JavascriptExecutor) browser).executeScript("return document.cookie"),
                "no script on the page can read the token");
        assertEquals(
                null,
                ((JavascriptExecutor) browser)
                        .executeScript("return localStorage.getItem('glora-token')"));
    }

    @AfterEach
    void close() {
        if (browser != null) {
            browser.quit();
        }
    }

    private String page(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private int count(String css) {
        return browser.findElements(By.cssSelector(css)).size();
    }

    /** Whether the select with this id offers this value. */
    private boolean offers(String select, String value) {
        return new Select(browser.findElement(By.id(select)))
                .getOptions().stream().anyMatch(o -> value.equals(o.getDomProperty("value")));
    }

    /** Waits for a condition; on time-out the failure carries the browser's console. */
    private void await(String what, BooleanSupplier condition) {
        try {
            new WebDriverWait(browser, Duration.ofSeconds(90))
                    .until(driver -> condition.getAsBoolean());
        } catch (TimeoutException e) {
            throw new AssertionError(
                    what
                            + "; browser console:\n"
                            + browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                                    .map(Object::toString)
                                    .collect(Collectors.joining("\n")),
                    e);
        }
    }

    @Test
    void theJobsTableListsAJobAndTheFormShowsAFieldErrorBesideItsField() throws Exception {
        long id = submit(1, 1).get("id").asLong();
        browser.get(page("/"));
        await(
                "the jobs table lists job " + id,
                () -> count("#jobs tr[data-job='" + id + "']") == 1);
        WebElement row = browser.findElement(By.cssSelector("#jobs tr[data-job='" + id + "']"));
        assertTrue(row.getText().contains("tiny"), row.getText());
        await(
                "the form has its defaults",
                () ->
                        "50"
                                .equals(
                                        browser.findElement(By.id("f-search-population"))
                                                .getDomProperty("value")));

        assertEquals(
                Integer.toString(JobSpec.DEFAULT_RETRAIN_EPOCHS),
                browser.findElement(By.id("f-retrain-epochs")).getDomProperty("value"),
                "retraining is offered, on by default (issue 30)");

        await(
                "the backbone and data lists are filled from the catalogs",
                () -> offers("f-backbone", TinyJob.BACKBONE) && offers("f-data", TinyJob.TASK));
        new Select(browser.findElement(By.id("f-data"))).selectByValue(TinyJob.TASK);
        WebElement population = browser.findElement(By.id("f-search-population"));
        population.clear();
        population.sendKeys("0");
        WebElement retrainLr = browser.findElement(By.id("f-retrain-lr"));
        retrainLr.clear();
        retrainLr.sendKeys("-1");
        assertEquals(
                "uniform",
                browser.findElement(By.id("f-supernet-sampling")).getDomProperty("value"));
        assertEquals(
                "train800val200",
                browser.findElement(By.id("f-retrain-trainList")).getDomProperty("value"));
        assertEquals("known", browser.findElement(By.id("f-search-seeds")).getDomProperty("value"));
        assertEquals(
                "supernet", browser.findElement(By.id("f-retrain-start")).getDomProperty("value"));
        // every select offers what the service accepts, from GET /api/v1/jobs/choices (issue 35)
        JsonNode choices = JSON.readTree(get("/api/v1/jobs/choices").body());
        for (var field : JobSpec.choices().entrySet()) {
            assertEquals(
                    field.getValue(),
                    StreamSupport.stream(choices.get(field.getKey()).spliterator(), false)
                            .map(JsonNode::asText)
                            .toList(),
                    field.getKey());
            assertEquals(
                    field.getValue(),
                    new Select(browser.findElement(By.id("f-" + field.getKey().replace('.', '-'))))
                            .getOptions().stream().map(o -> o.getDomProperty("value")).toList(),
                    field.getKey());
        }
        assertEquals(List.of("none", "known"), JobSpec.choices().get("search.seeds"));
        assertEquals(List.of("supernet", "fresh"), JobSpec.choices().get("retrain.start"));
        assertEquals(
                "",
                browser.findElement(By.id("f-search-finalistEpochs")).getDomProperty("value"),
                "finalists' epochs follow whether there are finalists");
        WebElement rerank = browser.findElement(By.id("f-search-rerankList"));
        assertEquals("", rerank.getDomProperty("value"), "no reranking by default");
        rerank.sendKeys("val9999");
        browser.findElement(By.cssSelector("#submit button[type=submit]")).click();
        await(
                "the field error is shown",
                () -> "true".equals(population.getDomAttribute("aria-invalid")));
        String beside =
                population
                        .findElement(By.xpath("following-sibling::div[@class='field-error']"))
                        .getText();
        assertTrue(beside.contains("must be in [1, 10000], got 0"), beside);
        String lrError =
                retrainLr
                        .findElement(By.xpath("following-sibling::div[@class='field-error']"))
                        .getText();
        assertTrue(lrError.contains("must be in (0, 10), got -1.0"), lrError);
        String rerankError =
                rerank.findElement(By.xpath("following-sibling::div[@class='field-error']"))
                        .getText();
        assertTrue(rerankError.contains("has no list val9999"), rerankError);
        String backbone =
                browser.findElement(By.cssSelector("#f-backbone + .field-error")).getText();
        assertTrue(backbone.contains("is required"), backbone);
        assertTrue(
                browser.findElement(By.id("form-problem")).getText().contains("Invalid job spec"));
        assertEquals(page("/"), browser.getCurrentUrl(), "nothing was submitted");
    }

    @Test
    void aModelUploadedFromTheFormIsImportedAndOfferedAsABackbone() throws Exception {
        Path file = Files.createTempDirectory("upload").resolve("google-tiny.npz");
        Files.write(file, fixture("google-tiny.npz"));
        browser.get(page("/"));
        await("the models table is drawn", () -> count("#models tbody tr") >= 1);
        browser.findElement(By.id("u-file")).sendKeys(file.toString());
        browser.findElement(By.id("u-name")).sendKeys("dashboard-npz");
        browser.findElement(By.cssSelector("#upload button[type=submit]")).click();
        await(
                "the upload is imported and selected",
                () ->
                        "dashboard-npz.safetensors"
                                .equals(
                                        browser.findElement(By.id("f-backbone"))
                                                .getDomProperty("value")));
        assertTrue(
                browser.findElement(By.id("upload-status"))
                        .getText()
                        .contains("imported dashboard-npz.safetensors"));
        assertTrue(
                browser.findElement(By.id("models"))
                        .getText()
                        .contains("dashboard-npz.safetensors (google-vit-npz)"),
                browser.findElement(By.id("models")).getText());

        browser.findElement(By.id("u-name")).clear();
        browser.findElement(By.id("u-name")).sendKeys("dashboard-npz");
        browser.findElement(By.cssSelector("#upload button[type=submit]")).click();
        await(
                "a taken name is refused",
                () -> browser.findElement(By.id("upload-problem")).getText().contains("exists"));

        deleteFromTheCatalog("model", "dashboard-npz.safetensors");
        await(
                "the deleted model leaves the table and the backbone choices",
                () ->
                        !browser.findElement(By.id("models")).getText().contains("dashboard-npz")
                                && browser.findElements(
                                                By.cssSelector(
                                                        "#f-backbone option[value='dashboard-npz.safetensors']"))
                                        .isEmpty());
        assertFalse(
                Files.exists(
                        ServiceTestEnvironment.ROOTS
                                .models()
                                .resolve("dashboard-npz.safetensors")));
    }

    /** Clicks a catalog row's delete button and accepts the question it asks. */
    private void deleteFromTheCatalog(String kind, String name) {
        browser.findElement(By.cssSelector("button[aria-label='delete " + kind + " " + name + "']"))
                .click();
        answerYes("Delete the " + kind + " " + name + "?");
    }

    /** Accepts the question the page asks, after checking that it is the expected one. */
    private void answerYes(String question) {
        new WebDriverWait(browser, Duration.ofSeconds(10))
                .until(ExpectedConditions.alertIsPresent());
        String asked = browser.switchTo().alert().getText();
        assertTrue(asked.contains(question), asked);
        browser.switchTo().alert().accept();
    }

    @Test
    void aDataSetUploadedFromTheFormIsListedAndOfferedAndAProblemShowsBesideTheForm()
            throws Exception {
        Path file = Files.createTempDirectory("upload").resolve("petals.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (String split : new String[] {"train", "test"}) {
                for (String label : new String[] {"iris", "rose"}) {
                    for (int i = 0; i < (split.equals("train") ? 5 : 1); i++) {
                        zip.putNextEntry(new ZipEntry(split + "/" + label + "/" + i + ".png"));
                        ImageIO.write(
                                new BufferedImage(6, 6, BufferedImage.TYPE_BYTE_GRAY), "png", zip);
                        zip.closeEntry();
                    }
                }
            }
        }
        browser.get(page("/"));
        await("the data sets table is drawn", () -> count("#datasets tbody tr") >= 1);
        browser.findElement(By.id("d-file")).sendKeys(file.toString());
        browser.findElement(By.id("d-train")).sendKeys("6");
        browser.findElement(By.id("d-val")).sendKeys("4");
        browser.findElement(By.cssSelector("#data-upload button[type=submit]")).click();
        await(
                "the data set is added and selected",
                () ->
                        "petals"
                                .equals(
                                        browser.findElement(By.id("f-data"))
                                                .getDomProperty("value")));
        assertTrue(
                browser.findElement(By.id("data-upload-status"))
                        .getText()
                        .contains("added petals (2 classes)"));
        assertTrue(
                browser.findElement(By.id("datasets")).getText().contains("train800 6, val200 4"),
                browser.findElement(By.id("datasets")).getText());

        browser.findElement(By.id("d-name")).sendKeys("petals-again");
        browser.findElement(By.id("d-train")).clear();
        browser.findElement(By.id("d-train")).sendKeys("9");
        browser.findElement(By.cssSelector("#data-upload button[type=submit]")).click();
        await(
                "too few images is refused beside the form",
                () ->
                        browser.findElement(By.id("data-upload-problem"))
                                .getText()
                                .contains("train: 10 images, but the lists drawn from it need 13"));

        deleteFromTheCatalog("data set", "petals");
        await(
                "the deleted data set leaves the table and the data choices",
                () ->
                        !browser.findElement(By.id("datasets")).getText().contains("petals")
                                && browser.findElements(
                                                By.cssSelector("#f-data option[value='petals']"))
                                        .isEmpty());
    }

    @Test
    void aFinishedJobsPageDrawsItsHistoryAndItsDownloadsWork() throws Exception {
        // with the known adapters seeded and the finalists trained (issue 30)
        long id =
                submit(
                                TINY.formatted(3, 3)
                                        .replace(
                                                "\"seed\": 7,",
                                                "\"seed\": 7, \"retrain\": {\"epochs\": 1},"
                                                        + " \"baseline\": {\"lora\": true},")
                                        .replace(
                                                "\"crossovers\": 3}",
                                                "\"crossovers\": 3, \"seeds\":"
                                                        + " \"known\", \"finalists\": 2, \"finalistEpochs\": 1}"))
                        .get("id")
                        .asLong();
        JsonNode job = awaitStatus(id, "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", job.get("status").asText());
        int candidates =
                JSON.readTree(get("/api/v1/jobs/" + id + "/candidates?top=1000").body()).size();
        browser.get(page("/job.html?id=" + id));
        await(
                "the charts are drawn",
                () ->
                        count("#pareto-chart .pt.candidate") == candidates
                                && count("#adapter tr") > 1
                                && count("#fitness-chart .pt.best") == 3);
        assertEquals(3, count("#training-chart .pt.loss"), "one point per epoch");
        assertEquals(3, count("#fitness-chart .pt.mean"));
        assertEquals(3, count("#fitness-chart .pt.worst"));
        assertEquals(1, count("#pareto-chart .pt.chosen"));
        // the service's front, point for point (issue 35: not one recomputed from the top 1,000)
        int front = JSON.readTree(get("/api/v1/jobs/" + id + "/pareto").body()).get("front").size();
        assertTrue(front >= 1);
        assertEquals(front, count("#pareto-chart .pt.front"));
        JsonNode config = JSON.readTree(get("/api/v1/jobs/" + id + "/best-config").body());
        assertEquals(config.get("layers").size() + 1, count("#adapter tr"), "one row per layer");
        assertEquals(5 * config.get("layers").size(), count("#adapter td[class^='mode-']"));
        // a retraining uses train800val200 by default: val200 was trained on, and the page says so
        JsonNode retrained = config.get("retrained");
        assertEquals("train800val200", retrained.get("train_list").asText(), config.toString());
        assertFalse(retrained.has("validation_accuracy"), config.toString());
        String note = browser.findElement(By.id("adapter-note")).getText();
        assertEquals(1, retrained.get("epochs").asInt());
        assertTrue(
                note.contains("retrained 1 epoch on train800val200: validation not held out"),
                note);
        assertTrue(browser.findElement(By.id("status")).getText().contains("SUCCEEDED"));
        assertTrue(
                browser.findElement(By.id("facts"))
                        .getText()
                        .contains(TinyJob.BACKBONE + " (vit_custom"),
                "the job page names the backbone's architecture: "
                        + browser.findElement(By.id("facts")).getText());

        // the LoRA baseline trained beside it, with the verdict and the command that trains it
        // again
        JsonNode baseline = config.get("baseline");
        String compared = browser.findElement(By.id("baseline-note")).getText();
        assertTrue(
                compared.startsWith(
                        "LoRA baseline: rank " + baseline.get("rank").asInt() + " on attn.qkv"),
                compared);
        int total = config.get("budget").get("total_epochs").asInt();
        int finalists = config.get("finalists").get("count").asInt();
        assertEquals(
                3 + finalists + 1, total, "3 supernet epochs, 1 per finalist and 1 of retraining");
        assertTrue(
                compared.contains(total + " epochs on train800val200"),
                "the whole budget: " + compared);

        // the finalists, the one chosen, and the seeded candidates among the points
        await("the finalists table is drawn", () -> count("#finalists tr") == finalists + 1);
        assertTrue(browser.findElement(By.id("finalists-card")).isDisplayed());
        assertEquals(1, count("#finalists tr.chosen"));
        assertTrue(
                browser.findElement(By.id("finalists")).getText().contains("lora_qkv_r4"),
                browser.findElement(By.id("finalists")).getText());
        long seeded =
                StreamSupport.stream(
                                JSON.readTree(
                                                get("/api/v1/jobs/" + id + "/candidates?top=1000")
                                                        .body())
                                        .spliterator(),
                                false)
                        .filter(c -> !c.get("seed").isNull())
                        .count();
        assertEquals(6, seeded, "no limit: every known adapter is a seed");
        assertEquals(seeded, count("#pareto-chart .pt.seeded"));
        assertTrue(compared.contains(baseline.get("command").asText()), compared);
        double delivered = baseline.get("delivered_test_accuracy").asDouble();
        double lora = baseline.get("test_accuracy").asDouble();
        int images =
                JSON.readTree(get("/api/v1/datasets/" + TinyJob.TASK).body())
                        .get("splits")
                        .get("test")
                        .asInt();
        double gap = 100 * (delivered - lora);
        double twoSe = 200 * Math.sqrt((delivered * (1 - delivered) + lora * (1 - lora)) / images);
        String verdict =
                Math.abs(gap) <= twoSe
                        ? String.format(
                                Locale.ROOT,
                                "a gap of %.2f points, within the sampling error of %,d test images"
                                        + " (±%.2f at two standard errors): neither leads",
                                Math.abs(gap),
                                images,
                                twoSe)
                        : gap > 0
                                ? String.format(
                                        Locale.ROOT,
                                        "the searched adapter leads by %.2f points",
                                        gap)
                                : gap < 0
                                        ? String.format(
                                                Locale.ROOT, "LoRA leads by %.2f points", -gap)
                                        : "they tie";
        assertTrue(compared.contains(verdict + " on this test split"), verdict + " in " + compared);
        for (String link :
                new String[] {
                    "download-config",
                    "download-model",
                    "download-bundle",
                    "download-onnx",
                    "download-transformers",
                    "download-supernet",
                    "download-baseline"
                }) {
            WebElement a = browser.findElement(By.id(link));
            assertTrue(a.isDisplayed(), link);
            HttpResponse<byte[]> fromPage =
                    http.send(
                            HttpRequest.newBuilder(URI.create(a.getDomProperty("href")))
                                    .header(
                                            "Authorization",
                                            "Bearer " + ServiceTestEnvironment.TOKEN)
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, fromPage.statusCode(), link);
            String api =
                    link.equals("download-config")
                            ? "best-config"
                            : link.equals("download-baseline")
                                    ? "baseline-model"
                                    : link.substring("download-".length());
            assertArrayEquals(
                    http.send(
                                    request("/api/v1/jobs/" + id + "/" + api).build(),
                                    HttpResponse.BodyHandlers.ofByteArray())
                            .body(),
                    fromPage.body(),
                    link);
            if (link.equals("download-transformers")) {
                // issue 33: a ViTForImageClassification folder whose tensors are the merged
                // model's, renamed
                Map<String, byte[]> entries = datedEntries(fromPage.body());
                String folder = "job-" + id + "-transformers/";
                assertEquals(
                        Set.of(
                                folder + "config.json",
                                folder + "preprocessor_config.json",
                                folder + "model.safetensors"),
                        entries.keySet());
                JsonNode hf = JSON.readTree(entries.get(folder + "config.json"));
                assertEquals("ViTForImageClassification", hf.get("architectures").get(0).asText());
                assertEquals(
                        config.get("backbone").get("num_classes").asInt(),
                        hf.get("id2label").size());
                Path weights = Files.createTempFile("glora-hf-", ".safetensors");
                try {
                    Files.write(weights, entries.get(folder + "model.safetensors"));
                    assertTrue(
                            Safetensors.read(weights)
                                    .tensors()
                                    .containsKey(
                                            "vit.encoder.layer.0.attention.attention.query.weight"));
                } finally {
                    Files.deleteIfExists(weights);
                }
            }
            if (link.equals("download-onnx")) {
                // issue 33: the merged model as ONNX, run by ONNX Runtime on one image of the
                // task's shape
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                int side = config.get("backbone").get("img_size").asInt();
                int channels = config.get("backbone").get("in_chans").asInt();
                try (OrtSession session = env.createSession(fromPage.body());
                        OnnxTensor image =
                                OnnxTensor.createTensor(
                                        env,
                                        FloatBuffer.allocate(channels * side * side),
                                        new long[] {1, channels, side, side});
                        OrtSession.Result out = session.run(Map.of("pixel_values", image))) {
                    float[][] logits = (float[][]) out.get("logits").orElseThrow().getValue();
                    assertEquals(
                            config.get("backbone").get("num_classes").asInt(), logits[0].length);
                    assertEquals(
                            Long.toString(id),
                            session.getMetadata().getCustomMetadata().get("job"));
                }
            }
            if (link.equals("download-bundle")) {
                // issue 33: the merged model, timm's config.json and the card, in one folder
                Map<String, byte[]> entries = datedEntries(fromPage.body());
                String folder = "job-" + id + "-bundle/";
                assertEquals(
                        Set.of(
                                folder + "README.md",
                                folder + "config.json",
                                folder + "model.safetensors"),
                        entries.keySet());
                assertArrayEquals(
                        http.send(
                                        request("/api/v1/jobs/" + id + "/model").build(),
                                        HttpResponse.BodyHandlers.ofByteArray())
                                .body(),
                        entries.get(folder + "model.safetensors"));
                JsonNode timm = JSON.readTree(entries.get(folder + "config.json"));
                assertEquals(
                        config.get("backbone").get("num_classes").asInt(),
                        timm.get("num_classes").asInt());
                String card = new String(entries.get(folder + "README.md"), StandardCharsets.UTF_8);
                assertTrue(
                        card.contains(
                                String.format(
                                        Locale.ROOT,
                                        "%.2f %%",
                                        100 * retrained.get("test_accuracy").asDouble())),
                        card);
                assertTrue(card.contains("the job's LoRA baseline"), card);
            }
        }

        // issue 33: "Try the model" sends a chosen image to /predict and lists its classes
        assertTrue(browser.findElement(By.id("try-card")).isDisplayed());
        Path picture = Files.createTempFile("glora-try-", ".png");
        try {
            byte[] pixels = new byte[12 * 12];
            new SplittableRandom(5).nextBytes(pixels);
            ImageCodec.writePng(new Image(1, 12, 12, pixels), picture);
            browser.findElement(By.id("try-input")).sendKeys(picture.toString());
            await(
                    "the panel lists the image's classes",
                    () -> count("#try-results li.prediction li") > 0);
            String shown = browser.findElement(By.id("try-results")).getText();
            assertTrue(shown.contains(picture.getFileName().toString()), shown);
            int classes = config.get("backbone").get("num_classes").asInt();
            assertEquals(Math.min(5, classes), count("#try-results li.prediction li"), shown);
            assertTrue(shown.matches("(?s).*: \\d+\\.\\d %.*"), shown);
        } finally {
            Files.deleteIfExists(picture);
        }

        // the jobs table shows both test accuracies
        browser.get(page("/"));
        await("the jobs table lists the job", () -> count("#jobs tr[data-job='" + id + "']") == 1);
        String listed =
                browser.findElement(By.cssSelector("#jobs tr[data-job='" + id + "']")).getText();
        JsonNode view = JSON.readTree(get("/api/v1/jobs/" + id).body());
        assertTrue(
                listed.contains(
                        String.format(
                                Locale.ROOT,
                                "%.2f %% (%.2f %%)",
                                100 * view.get("testAccuracy").asDouble(),
                                100 * baseline.get("test_accuracy").asDouble())),
                listed);
        assertEquals(
                baseline.get("test_accuracy").asDouble(),
                view.get("baselineTestAccuracy").asDouble());
        browser.get(page("/job.html?id=" + id));
        await(
                "the job page is drawn again",
                () -> browser.findElement(By.id("delete")).isDisplayed());
        browser.findElement(By.id("delete")).click();
        answerYes("Delete job " + id + " and everything it produced");
        await("the deleted job's page leads back to the jobs table", () -> count("#jobs") == 1);
        assertEquals(404, get("/api/v1/jobs/" + id).statusCode());
    }

    /**
     * Issue 35: past 1,000 candidates the page still draws the service's whole Pareto front, point
     * for point, not a front recomputed from the 1,000 it lists.
     */
    @Test
    void aSearchOfMoreThanAThousandCandidatesDrawsTheServicesWholeFront() throws Exception {
        long id =
                submit(
                                TINY.formatted(1, 9)
                                        .replace("\"population\": 9", "\"population\": 130")
                                        .replace(
                                                "\"mutations\": 3, \"crossovers\": 3",
                                                "\"mutations\": 65, \"crossovers\": 65"))
                        .get("id")
                        .asLong();
        JsonNode job = awaitStatus(id, "SUCCEEDED", "FAILED");
        assertEquals("SUCCEEDED", job.get("status").asText(), job.toString());
        assertTrue(job.get("candidatesEvaluated").asInt() > 1000, job.toString());
        JsonNode listed = JSON.readTree(get("/api/v1/jobs/" + id + "/candidates?top=1000").body());
        assertEquals(1000, listed.size());
        JsonNode front = JSON.readTree(get("/api/v1/jobs/" + id + "/pareto").body()).get("front");
        browser.get(page("/job.html?id=" + id));
        await(
                "the front is drawn",
                () ->
                        count("#pareto-chart .pt.front") == front.size()
                                && count("#pareto-chart .pt.candidate") == listed.size());
        // read in one script: the page may draw the chart again between a lookup and a read
        List<String> drawn =
                ((List<?>)
                                ((JavascriptExecutor) browser)
                                        .executeScript(
                                                "return [...document.querySelectorAll("
                                                        + "'#pareto-chart .pt.front title')]"
                                                        + ".map(t => t.textContent);"))
                        .stream()
                                .map(t -> t.toString().replaceAll(" params,.*", ""))
                                .sorted()
                                .toList();
        List<String> served =
                StreamSupport.stream(front.spliterator(), false)
                        .map(
                                c ->
                                        String.format(
                                                Locale.US,
                                                "front: %,d",
                                                c.get("trainable_parameters").asLong()))
                        .sorted()
                        .toList();
        assertEquals(served, drawn, "the service's front, every point");
    }

    @Test
    void aGenerationArrivingOverServerSentEventsAddsAPointWithoutAReload() throws Exception {
        long id = submit(40, 40).get("id").asLong();
        browser.get(page("/job.html?id=" + id));
        ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
        await("training epochs arrive live", () -> count("#training-chart .pt.loss") >= 2);
        await("generations arrive live", () -> count("#fitness-chart .pt.best") >= 2);
        int before = count("#fitness-chart .pt.best");
        await("another generation adds a point", () -> count("#fitness-chart .pt.best") > before);
        assertEquals(
                Boolean.TRUE,
                ((JavascriptExecutor) browser).executeScript("return window.notReloaded;"));
        assertTrue(count("#pareto-chart .pt.candidate") > 0);
        assertTrue(browser.findElement(By.id("cancel")).isDisplayed());
        assertFalse(
                browser.findElement(By.id("delete")).isDisplayed(),
                "a running job offers no delete");
        post("/api/v1/jobs/" + id + "/cancel", "", ServiceTestEnvironment.TOKEN);
        await(
                "the cancel shows",
                () -> browser.findElement(By.id("status")).getText().contains("CANCELLED"));
        await(
                "an ended job offers delete instead of cancel",
                () ->
                        browser.findElement(By.id("delete")).isDisplayed()
                                && !browser.findElement(By.id("cancel")).isDisplayed());
    }

    /**
     * @return a zip's entries by name, each checked to be dated 1980-01-01 as a bundle's, so every
     *     download of a job is the same bytes
     */
    private static Map<String, byte[]> datedEntries(byte[] zipped) throws IOException {
        Map<String, byte[]> entries = new TreeMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(zipped))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                assertEquals(LocalDateTime.of(1980, 1, 1, 0, 0), e.getTimeLocal(), e.getName());
                entries.put(e.getName(), zip.readAllBytes());
            }
        }
        return entries;
    }
}
