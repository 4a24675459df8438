package dev.glora.cli;

import static dev.glora.cli.CliRun.glora;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.vit.LinearFactory;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code glora import} of files written by real timm (the supernet module's fixtures), then every
 * command on the imported checkpoint, from inspect to a merged export that loads back as the same
 * architecture.
 */
class ImportCommandTest {

    @TempDir Path dir;

    private Path hub;
    private Path npz;
    private Path task;

    static Path fixture(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = ImportCommandTest.class.getResourceAsStream("/importer/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    @BeforeEach
    void inputs() throws IOException {
        hub = fixture(dir, "timm-tiny-f16.safetensors");
        npz = fixture(dir, "google-tiny.npz");
        task = dir.resolve("task");
        TrainingCommandsTest.writeTask(task, 2);
    }

    @Test
    void aHubFileImportsAndEveryCommandAcceptsTheResult() throws IOException {
        Path imported = dir.resolve("vit.safetensors");
        CliRun result =
                glora(
                        "import",
                        "--from",
                        hub.toString(),
                        "--num-heads",
                        "3",
                        "--mean",
                        "0.5,0.5,0.5",
                        "--std",
                        "0.5,0.5,0.5",
                        "--out",
                        imported.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("as inferred"), result.out());
        assertTrue(result.out().contains("width 48, depth 2, heads 3"), result.out());
        assertTrue(result.out().contains("dropped: nothing"), result.out());

        CliRun inspect = glora("inspect", imported.toString());
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("kind: plain ViT"), inspect.out());
        assertTrue(
                inspect.out().contains("source_file = timm-tiny-f16.safetensors"), inspect.out());

        CliRun evaluate =
                glora(
                        "evaluate",
                        "--model",
                        imported.toString(),
                        "--task",
                        task.toString(),
                        "--split",
                        "val");
        assertEquals(
                0,
                evaluate.status(),
                "the timm head has 5 classes, the task's labels 0-1 fit: " + evaluate.err());

        Path supernet = dir.resolve("supernet.safetensors");
        CliRun trained =
                glora(
                        "train-supernet",
                        "--backbone",
                        imported.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        supernet.toString(),
                        "--ranks",
                        "2",
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--warmup",
                        "0",
                        "--threads",
                        "1");
        assertEquals(0, trained.status(), trained.err());
        assertEquals(
                "vit_custom_patch16_32 (width 48, depth 2, heads 3)",
                Safetensors.read(supernet).metadata().get(VitArchitecture.NAME_KEY));

        Path run = dir.resolve("run");
        CliRun searched =
                glora(
                        "search",
                        "--supernet",
                        supernet.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        run.toString(),
                        "--population",
                        "6",
                        "--generations",
                        "2",
                        "--top-k",
                        "2",
                        "--mutations",
                        "2",
                        "--crossovers",
                        "2",
                        "--threads",
                        "1");
        assertEquals(0, searched.status(), searched.err());
        JsonObject best =
                JsonParser.parseString(Files.readString(run.resolve("best-config.json")))
                        .getAsJsonObject();
        assertEquals("48", best.getAsJsonObject("backbone").get("embed_dim").getAsString());

        Path exported = dir.resolve("merged.safetensors");
        CliRun export =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        run.resolve("best-config.json").toString(),
                        "--out",
                        exported.toString());
        assertEquals(0, export.status(), export.err());
        Checkpoint merged = Safetensors.read(exported);
        VitArchitecture before =
                VitArchitecture.fromMetadata(Safetensors.read(imported).metadata(), "imported");
        assertEquals(
                before.withNumClasses(2),
                VitArchitecture.fromMetadata(merged.metadata(), "merged"));
        CliRun evaluated =
                glora(
                        "evaluate",
                        "--model",
                        exported.toString(),
                        "--task",
                        task.toString(),
                        "--split",
                        "test");
        assertEquals(0, evaluated.status(), evaluated.err());

        Path lora = dir.resolve("lora.safetensors");
        CliRun finetuned =
                glora(
                        "finetune",
                        "--method",
                        "lora",
                        "--backbone",
                        imported.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        lora.toString(),
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--threads",
                        "1");
        assertEquals(0, finetuned.status(), finetuned.err());
    }

    @Test
    void aGoogleNpzImportsWithItsHeadsReadFromTheKernels() {
        Path imported = dir.resolve("npz.safetensors");
        CliRun result = glora("import", "--from", npz.toString(), "--out", imported.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("(google-vit-npz)"), result.out());
        assertTrue(result.out().contains("heads 3"), result.out());
        assertTrue(result.out().contains("note: mean/std"), result.out());
        Path supernet = dir.resolve("supernet.safetensors");
        assertEquals(
                0,
                glora(
                                "train-supernet",
                                "--backbone",
                                imported.toString(),
                                "--task",
                                task.toString(),
                                "--out",
                                supernet.toString(),
                                "--ranks",
                                "2",
                                "--epochs",
                                "1",
                                "--batch",
                                "8",
                                "--warmup",
                                "0",
                                "--threads",
                                "1")
                        .status());
    }

    @Test
    void badInputGetsOneClearErrorAndLeavesNothingBehind() throws IOException {
        Path out = dir.resolve("out.safetensors");
        CliRun unknown =
                glora(
                        "import",
                        "--from",
                        hub.toString(),
                        "--arch",
                        "vit_gigantic_patch14_224",
                        "--out",
                        out.toString());
        assertEquals(Glora.INPUT_ERROR, unknown.status());
        assertTrue(
                unknown.err()
                        .startsWith(
                                "glora: error: unknown architecture \"vit_gigantic_patch14_224\""),
                unknown.err());

        CliRun contradicting =
                glora(
                        "import",
                        "--from",
                        hub.toString(),
                        "--arch",
                        "deit_small_patch16_224",
                        "--out",
                        out.toString());
        assertEquals(Glora.INPUT_ERROR, contradicting.status());
        assertTrue(
                contradicting
                        .err()
                        .contains(
                                "tensor cls_token has shape [1, 1, 48], but"
                                        + " deit_small_patch16_224.fb_in1k has [1, 1, 384]"),
                contradicting.err());

        Path variant = fixture(dir, "variant-layerscale.safetensors");
        CliRun layerScale =
                glora(
                        "import",
                        "--from",
                        variant.toString(),
                        "--num-heads",
                        "3",
                        "--mean",
                        "0,0,0",
                        "--std",
                        "1,1,1",
                        "--out",
                        out.toString());
        assertEquals(Glora.INPUT_ERROR, layerScale.status());
        assertTrue(layerScale.err().contains("LayerScale"), layerScale.err());

        byte[] bytes = Files.readAllBytes(npz);
        Path truncated = dir.resolve("truncated.npz");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        CliRun cut = glora("import", "--from", truncated.toString(), "--out", out.toString());
        assertEquals(Glora.INPUT_ERROR, cut.status());
        assertTrue(cut.err().startsWith("glora: error: " + truncated), cut.err());

        try (var files = Files.list(dir)) {
            assertFalse(
                    files.anyMatch(f -> f.getFileName().toString().startsWith("out.safetensors")),
                    "nothing written, not even a temporary file");
        }
        Files.writeString(out, "taken");
        CliRun exists =
                glora(
                        "import",
                        "--from",
                        hub.toString(),
                        "--num-heads",
                        "3",
                        "--mean",
                        "0,0,0",
                        "--std",
                        "1,1,1",
                        "--out",
                        out.toString());
        assertEquals(Glora.INPUT_ERROR, exists.status());
        assertEquals("taken", Files.readString(out));
    }

    /**
     * Issue 31: an F16 file's tensors take twice its size on the heap as float32; an import that
     * would not fit is refused from the header, before any tensor is read (a JVM of 64 MiB, a 40 MB
     * file).
     */
    @Test
    void anImportThatWouldNotFitTheHeapIsRefusedFromItsHeader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("large-f16.safetensors");
        long values = 20_000_000;
        String header =
                "{\"x\":{\"dtype\":\"F16\",\"shape\":["
                        + values
                        + "],\"data_offsets\":[0,"
                        + 2 * values
                        + "]}}";
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            out.write(
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(header.length())
                            .array());
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[(int) (2 * values)]);
        }
        Process importer =
                new ProcessBuilder(
                                List.of(
                                        Path.of(System.getProperty("java.home"), "bin", "java")
                                                .toString(),
                                        "-Xmx64m",
                                        "-Dai.djl.offline=true",
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        "dev.glora.cli.Glora",
                                        "import",
                                        "--from",
                                        file.toString(),
                                        "--num-heads",
                                        "1",
                                        "--mean",
                                        "0.5",
                                        "--std",
                                        "0.5",
                                        "--out",
                                        dir.resolve("out.safetensors").toString()))
                        .redirectErrorStream(true)
                        .start();
        String output =
                new String(importer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, importer.waitFor(), output);
        assertTrue(
                output.contains(
                        "its largest tensor needs " + 4 * values + " bytes of memory as float32"),
                output);
        assertFalse(output.contains("OutOfMemoryError"), output);
        assertFalse(Files.exists(dir.resolve("out.safetensors")));
    }

    @Test
    void anF16ImportLargerThanTheHeapAsFloat32IsConvertedTensorByTensor(@TempDir Path dir)
            throws Exception {
        // 76 blocks of width 128: 15.1 M values, 30 MB in the file, 60 MB as float32, in a 48 MB
        // heap;
        // the largest tensor (fc1, 64 k values) is what the import holds at once
        VitArchitecture arch =
                new VitArchitecture(
                        32,
                        8,
                        3,
                        128,
                        76,
                        2,
                        4.0,
                        10,
                        true,
                        new float[] {0.5f, 0.5f, 0.5f},
                        new float[] {0.5f, 0.5f, 0.5f});
        Map<String, Shape> shapes =
                ModelWeights.shapes(new VisionTransformer(arch, LinearFactory.PLAIN));
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long bytes = 2 * e.getValue().size();
            header.append(header.length() > 1 ? "," : "")
                    .append('"')
                    .append(e.getKey())
                    .append("\":{\"dtype\":\"F16\"," + "\"shape\":")
                    .append(Arrays.toString(e.getValue().getShape()).replace(" ", ""))
                    .append(",\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + bytes)
                    .append("]}");
            offset += bytes;
        }
        byte[] json = header.append('}').toString().getBytes(StandardCharsets.US_ASCII);
        Path file = dir.resolve("deep-f16.safetensors");
        int ordinal = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(json.length)
                            .array());
            out.write(json);
            for (var e : shapes.entrySet()) {
                // every value of the i-th tensor is (i % 4) / 4 in IEEE half: 0, 0x3400, 0x3800,
                // 0x3A00
                int half = new int[] {0x0000, 0x3400, 0x3800, 0x3A00}[ordinal++ % 4];
                for (long i = 0; i < e.getValue().size(); i++) {
                    out.write(half & 0xff);
                    out.write(half >>> 8);
                }
            }
        }
        assertTrue(4 * offset / 2 > 48L << 20, "the test's file must not fit the heap as float32");
        Path out = dir.resolve("out.safetensors");
        Process importer =
                new ProcessBuilder(
                                List.of(
                                        Path.of(System.getProperty("java.home"), "bin", "java")
                                                .toString(),
                                        "-Xmx48m",
                                        "-Dai.djl.offline=true",
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        "dev.glora.cli.Glora",
                                        "import",
                                        "--from",
                                        file.toString(),
                                        "--num-heads",
                                        "2",
                                        "--mean",
                                        "0.5,0.5,0.5",
                                        "--std",
                                        "0.5,0.5,0.5",
                                        "--out",
                                        out.toString()))
                        .redirectErrorStream(true)
                        .start();
        String output =
                new String(importer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, importer.waitFor(), output);
        assertFalse(output.contains("OutOfMemoryError"), output);
        try (Safetensors.Reader reader = Safetensors.Reader.open(out)) {
            assertEquals(shapes.keySet(), reader.header().shapes().keySet());
            ordinal = 0;
            for (String name : shapes.keySet()) {
                float expected = (ordinal++ % 4) / 4f;
                float[] values = reader.tensor(name).data();
                assertEquals(expected, values[0], name);
                assertEquals(expected, values[values.length - 1], name);
            }
        }
    }
}
