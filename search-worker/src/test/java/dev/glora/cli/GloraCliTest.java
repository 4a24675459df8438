package dev.glora.cli;

import static dev.glora.cli.CliRun.glora;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GloraCliTest {

    @TempDir Path dir;

    private final VitArchitecture arch = TinyModels.tinyArch();
    private Path supernet;
    private Path config;

    @BeforeEach
    void writeInputs() {
        supernet = dir.resolve("supernet.safetensors");
        Safetensors.write(
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 1), arch, 4, 2),
                supernet);
        config = dir.resolve("config.json");
        ConfigJson.write(
                SubnetConfig.uniform(
                        Supernet.layerNames(arch),
                        LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "none")),
                Map.of(),
                config);
    }

    @Test
    void exportWritesAPlainCheckpointWithProvenance() {
        Path out = dir.resolve("merged.safetensors");
        CliRun result =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        out.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("merged 8 GLoRA layers"), result.out());
        Checkpoint merged = Safetensors.read(out);
        assertFalse(merged.tensors().keySet().stream().anyMatch(n -> n.endsWith(".Ad")));
        assertEquals(Safetensors.read(supernet).tensors().size() - 8 * 8, merged.tensors().size());
        assertTrue(merged.metadata().get("producer").startsWith("glora export"));
        assertEquals(64, merged.metadata().get("merged_from_sha256").length());
        assertTrue(merged.metadata().get("glora_config").contains("LoRA_4"));
    }

    /**
     * Issue 33: a bundle is the folder timm's {@code local-dir:} reads: the merged weights, timm's
     * config.json that rebuilds this ViT (model_args), with the task's class names, and a card.
     * Checked against timm's _hub.py (load_model_config_from_path, _parse_model_cfg): the keys it
     * reads are architecture, num_classes, label_names, model_args and pretrained_cfg.
     */
    /** A task folder whose task.json names the classes {@code prefix + i}. */
    private Path namedTask(String name, String prefix) throws IOException {
        Path task = dir.resolve(name);
        Files.createDirectories(task);
        Files.writeString(
                task.resolve("task.json"),
                "{\"name\": \""
                        + name
                        + "\", \"num_classes\": "
                        + arch.numClasses()
                        + ", \"classes\": ["
                        + String.join(
                                ", ",
                                IntStream.range(0, arch.numClasses())
                                        .mapToObj(i -> "\"" + prefix + i + "\"")
                                        .toList())
                        + "]}");
        return task;
    }

    @Test
    void exportAsABundleWritesTheFolderTimmReads() throws Exception {
        Path task = namedTask("flowers", "class ");
        Path out = dir.resolve("bundle");
        CliRun result =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        out.toString(),
                        "--format",
                        "bundle",
                        "--task",
                        task.toString());
        assertEquals(0, result.status(), result.err());
        Checkpoint merged = Safetensors.read(out.resolve("model.safetensors"));
        assertTrue(merged.metadata().get("producer").startsWith("glora export"));
        JsonObject timm =
                JsonParser.parseString(Files.readString(out.resolve("config.json")))
                        .getAsJsonObject();
        assertEquals(
                "vit_base_patch16_224",
                timm.get("architecture").getAsString(),
                "an inferred backbone");
        assertEquals(arch.numClasses(), timm.get("num_classes").getAsInt());
        assertEquals("class 1", timm.getAsJsonArray("label_names").get(1).getAsString());
        JsonObject args = timm.getAsJsonObject("model_args");
        assertEquals(arch.embedDim(), args.get("embed_dim").getAsInt());
        assertEquals(arch.depth(), args.get("depth").getAsInt());
        assertEquals(arch.numHeads(), args.get("num_heads").getAsInt());
        assertEquals(arch.patchSize(), args.get("patch_size").getAsInt());
        assertEquals(arch.imgSize(), args.get("img_size").getAsInt());
        assertEquals(arch.qkvBias(), args.get("qkv_bias").getAsBoolean());
        JsonObject cfg = timm.getAsJsonObject("pretrained_cfg");
        assertEquals(
                List.of(arch.inChans(), arch.imgSize(), arch.imgSize()),
                cfg.getAsJsonArray("input_size").asList().stream()
                        .map(JsonElement::getAsInt)
                        .toList());
        assertEquals(arch.mean()[0], cfg.getAsJsonArray("mean").get(0).getAsFloat(), 1e-6);
        assertEquals(arch.inChans(), cfg.getAsJsonArray("std").size());
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.contains("class 0, class 1"), card);
        assertTrue(card.contains(Provenance.sha256(out.resolve("model.safetensors"))), card);
        assertTrue(
                card.contains(
                        String.format(
                                "%,d adapter parameters",
                                Supernet.parameterCount(arch, ConfigJson.read(config)))),
                card);
        CliRun again =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        out.toString(),
                        "--format",
                        "bundle");
        assertEquals(2, again.status());
        assertTrue(again.err().contains("holds a model already"), again.err());
    }

    @Test
    void exportAsOnnxWritesAGraphOnnxRuntimeRunsLikeTheMergedModel() throws Exception {
        Path task = namedTask("pets", "pet, "); // a comma inside a name
        Path onnx = dir.resolve("model.onnx");
        CliRun result =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        onnx.toString(),
                        "--format",
                        "onnx",
                        "--task",
                        task.toString());
        assertEquals(0, result.status(), result.err());
        Path merged = dir.resolve("merged-for-onnx.safetensors");
        assertEquals(
                0,
                glora(
                                "export",
                                "--supernet",
                                supernet.toString(),
                                "--config",
                                config.toString(),
                                "--out",
                                merged.toString())
                        .status());
        Tensor images = TinyModels.images(arch, 3, 7);
        float[] expected;
        try (VitModel model = VitModel.load(Safetensors.read(merged), null, "merged")) {
            expected = TinyModels.logits(model, images);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString());
                OnnxTensor input =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(images.data()), images.shape());
                OrtSession.Result out = session.run(Map.of("pixel_values", input))) {
            float[][] logits = (float[][]) out.get("logits").orElseThrow().getValue();
            for (int i = 0; i < logits.length; i++) {
                for (int j = 0; j < logits[i].length; j++) {
                    assertEquals(
                            expected[i * logits[i].length + j],
                            logits[i][j],
                            1e-4,
                            "image " + i + ", class " + j);
                }
            }
            Map<String, String> props = session.getMetadata().getCustomMetadata();
            assertEquals(
                    "pet, 1",
                    JsonParser.parseString(props.get("label_names"))
                            .getAsJsonArray()
                            .get(1)
                            .getAsString(),
                    "names with commas survive");
            assertTrue(props.get("producer").startsWith("glora export"), props.toString());
        }
    }

    @Test
    void exportAsTransformersThenImportGivesTheMergedModelBack() throws Exception {
        Path folder = dir.resolve("hf");
        CliRun result =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        folder.toString(),
                        "--format",
                        "transformers");
        assertEquals(0, result.status(), result.err());
        assertTrue(Files.isRegularFile(folder.resolve("config.json")));
        assertTrue(Files.isRegularFile(folder.resolve("preprocessor_config.json")));
        Path merged = dir.resolve("merged-for-hf.safetensors");
        assertEquals(
                0,
                glora(
                                "export",
                                "--supernet",
                                supernet.toString(),
                                "--config",
                                config.toString(),
                                "--out",
                                merged.toString())
                        .status());
        Path imported = dir.resolve("from-hf.safetensors");
        CliRun back =
                glora(
                        "import",
                        "--from",
                        folder.resolve("model.safetensors").toString(),
                        "--out",
                        imported.toString());
        assertEquals(0, back.status(), back.err());
        assertTrue(back.out().contains("transformers-safetensors"), back.out());
        Checkpoint original = Safetensors.read(merged);
        Checkpoint roundTrip = Safetensors.read(imported);
        original.tensors().forEach((name, t) -> assertEquals(t, roundTrip.tensor(name), name));
        assertEquals(
                VitArchitecture.fromMetadata(original.metadata(), "merged"),
                VitArchitecture.fromMetadata(roundTrip.metadata(), "imported"));
    }

    @Test
    void inspectCountsParametersPerLayerAndInTotal() {
        CliRun result = glora("inspect", supernet.toString(), "--config", config.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("kind: GLoRA supernet, rank 4"), result.out());
        long qkv =
                LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "none")
                        .parameterCount(24, 8);
        assertEquals(4 * (24 + 8) + 24 + 2 * (8 + 1) + 1, qkv);
        assertTrue(
                result.out()
                        .matches(
                                "(?s).*blocks\\.0\\.attn\\.qkv\\s+LoRA_4\\s+vector\\s+LoRA_2\\s+constant\\s+none\\s+"
                                        + qkv
                                        + "\\n.*"),
                result.out());
        long total = Supernet.parameterCount(arch, ConfigJson.read(config));
        assertTrue(
                result.out().contains(String.format("total trainable (head excluded): %,d", total)),
                result.out());
    }

    @Test
    void badInputIsOneClearLineAndExitStatusTwo() throws IOException {
        Path corrupt = dir.resolve("corrupt.safetensors");
        Files.write(corrupt, new byte[] {1, 2, 3});
        CliRun result = glora("inspect", corrupt.toString());
        assertEquals(Glora.INPUT_ERROR, result.status());
        assertEquals(
                "glora: error: "
                        + corrupt
                        + ": truncated: 3 bytes, but a safetensors file starts with an 8-byte"
                        + " header length\n",
                result.err());

        Files.writeString(config, Files.readString(config).replaceFirst("LoRA_4", "LoRA_8"));
        CliRun tooHigh =
                glora(
                        "export",
                        "--supernet",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--out",
                        dir.resolve("m.safetensors").toString());
        assertEquals(Glora.INPUT_ERROR, tooHigh.status());
        assertTrue(tooHigh.err().contains("LoRA_8 is above the supernet rank 4"), tooHigh.err());
        assertFalse(Files.exists(dir.resolve("m.safetensors")), "nothing is written on error");
    }
}
