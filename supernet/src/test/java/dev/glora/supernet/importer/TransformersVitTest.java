package dev.glora.supernet.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * transformers' ViT layout both ways. What is checked against what: the tensor names a {@code
 * ViTForImageClassification} has are written out below from transformers' {@code
 * convert_vit_timm_to_pytorch.py} ({@code create_rename_keys}, {@code read_in_q_k_v}), not from the
 * code under test; a timm checkpoint exported and imported again must give the same tensors,
 * architecture and logits; and {@code layer_norm_eps} from {@code config.json} must reach every
 * LayerNorm of the forward pass.
 */
@Timeout(120)
class TransformersVitTest {

    @TempDir Path dir;

    /** A 2-block ViT with a qkv bias, or without one. */
    private static VitArchitecture arch(boolean qkvBias) {
        return TinyModels.tinyArch().withQkvBias(qkvBias);
    }

    private static float[] logits(Checkpoint checkpoint, Tensor images) {
        try (VitModel model = VitModel.load(checkpoint, null, "model")) {
            return TinyModels.logits(model, images);
        }
    }

    @Test
    void theExportedNamesAreThoseOfTransformersConversionScript() throws IOException {
        VitArchitecture arch = arch(true);
        Checkpoint timm = TinyModels.randomBackbone(arch, 1);
        TransformersVit.write(timm, arch, List.of(), dir);
        Set<String> expected =
                new TreeSet<>(
                        List.of(
                                "vit.embeddings.cls_token",
                                "vit.embeddings.position_embeddings",
                                "vit.embeddings.patch_embeddings.projection.weight",
                                "vit.embeddings.patch_embeddings.projection.bias",
                                "vit.layernorm.weight",
                                "vit.layernorm.bias",
                                "classifier.weight",
                                "classifier.bias"));
        for (int i = 0; i < arch.depth(); i++) {
            String l = "vit.encoder.layer." + i + ".";
            for (String name :
                    List.of(
                            "layernorm_before",
                            "layernorm_after",
                            "attention.attention.query",
                            "attention.attention.key",
                            "attention.attention.value",
                            "attention.output.dense",
                            "intermediate.dense",
                            "output.dense")) {
                expected.add(l + name + ".weight");
                expected.add(l + name + ".bias");
            }
        }
        Checkpoint written = Safetensors.read(dir.resolve("model.safetensors"));
        assertEquals(expected, new TreeSet<>(written.tensors().keySet()));
        assertEquals(
                "pt", written.metadata().get("format"), "transformers' loader wants format=pt");
        assertArrayEquals(
                new long[] {arch.embedDim(), arch.embedDim()},
                written.tensor("vit.encoder.layer.1.attention.attention.value.weight").shape());
        // read_in_q_k_v: query = qkv[:D], key = qkv[D:2D], value = qkv[-D:], weights and biases
        // alike
        int d = arch.embedDim();
        float[] qkv = timm.tensor("blocks.1.attn.qkv.weight").data();
        float[] qkvBias = timm.tensor("blocks.1.attn.qkv.bias").data();
        String[] parts = {"query", "key", "value"};
        for (int k = 0; k < 3; k++) {
            String name = "vit.encoder.layer.1.attention.attention." + parts[k];
            assertArrayEquals(
                    Arrays.copyOfRange(qkv, k * d * d, (k + 1) * d * d),
                    written.tensor(name + ".weight").data(),
                    name);
            assertArrayEquals(
                    Arrays.copyOfRange(qkvBias, k * d, (k + 1) * d),
                    written.tensor(name + ".bias").data(),
                    name);
        }
    }

    @Test
    void timmToTransformersToTimmGivesIdenticalTensorsAndLogits() throws IOException {
        for (boolean qkvBias : new boolean[] {true, false}) {
            VitArchitecture arch = arch(qkvBias);
            Checkpoint timm = TinyModels.randomBackbone(arch, qkvBias ? 2 : 3);
            Path folder = dir.resolve("bias-" + qkvBias);
            TransformersVit.write(timm, arch, List.of("cat", "dog", "bird"), folder);
            JsonObject config =
                    JsonParser.parseString(Files.readString(folder.resolve("config.json")))
                            .getAsJsonObject();
            assertEquals(
                    "ViTForImageClassification",
                    config.getAsJsonArray("architectures").get(0).getAsString());
            assertEquals("dog", config.getAsJsonObject("id2label").get("1").getAsString());
            assertEquals(2, config.getAsJsonObject("label2id").get("bird").getAsInt());
            assertEquals(qkvBias, config.get("qkv_bias").getAsBoolean());
            JsonObject preprocessor =
                    JsonParser.parseString(
                                    Files.readString(folder.resolve("preprocessor_config.json")))
                            .getAsJsonObject();
            assertEquals(
                    arch.std()[0], preprocessor.getAsJsonArray("image_std").get(0).getAsFloat());

            CheckpointImporter.Imported imported =
                    CheckpointImporter.read(
                            qkvBias ? folder.resolve("model.safetensors") : folder,
                            CheckpointImporter.Options
                                    .none()); // the file, or the folder holding it
            assertEquals(
                    arch,
                    imported.architecture(),
                    "heads, eps and normalisation come from the two JSON files");
            assertEquals("transformers-safetensors", imported.metadata().get("source_format"));
            Checkpoint back = imported.checkpoint();
            assertEquals(timm.tensors().keySet(), back.tensors().keySet());
            timm.tensors().forEach((name, t) -> assertEquals(t, back.tensor(name), name));
            Tensor images = TinyModels.images(arch, 3, 4);
            assertArrayEquals(logits(timm, images), logits(back, images));
        }
    }

    @Test
    void layerNormEpsFromConfigReachesEveryLayerNorm() throws IOException {
        VitArchitecture arch = arch(true);
        Checkpoint timm = TinyModels.randomBackbone(arch, 5);
        TransformersVit.write(timm, arch.withLayerNormEps(0.25f), List.of(), dir);
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        dir.resolve("model.safetensors"), CheckpointImporter.Options.none());
        assertEquals(0.25f, imported.architecture().layerNormEps());
        assertEquals("0.25", imported.metadata().get("layer_norm_eps"));
        Path written = dir.resolve("imported.safetensors");
        imported.write(written);
        Checkpoint reloaded = Safetensors.read(written);
        Tensor images = TinyModels.images(arch, 2, 6);
        float[] withEps = logits(reloaded, images);
        float[] timmEps = logits(timm, images);
        double diff = 0;
        for (int i = 0; i < withEps.length; i++) {
            diff = Math.max(diff, Math.abs(withEps[i] - timmEps[i]));
        }
        assertTrue(
                diff > 1e-3,
                "an epsilon of 0.25 must change the logits, or it never reached a LayerNorm: "
                        + diff);
        Checkpoint sameWeightsEps =
                new Checkpoint(timm.tensors(), arch.withLayerNormEps(0.25f).toMetadata());
        assertArrayEquals(logits(sameWeightsEps, images), withEps);
    }

    @Test
    void withoutConfigTheDefaultsOfTransformersAreAssumedAndSaid() throws IOException {
        VitArchitecture arch = arch(true);
        TransformersVit.write(TinyModels.randomBackbone(arch, 7), arch, List.of(), dir);
        Files.delete(dir.resolve("config.json"));
        Files.delete(dir.resolve("preprocessor_config.json"));
        CheckpointException noHeads =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        dir.resolve("model.safetensors"),
                                        CheckpointImporter.Options.none()));
        assertTrue(noHeads.getMessage().contains("--num-heads"), noHeads.getMessage());
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        dir.resolve("model.safetensors"),
                        new CheckpointImporter.Options(null, arch.numHeads(), null, null, null));
        assertEquals(TransformersVit.DEFAULT_EPS, imported.architecture().layerNormEps());
        assertEquals(0.5f, imported.architecture().mean()[0]);
        assertTrue(
                String.join("; ", imported.notes()).contains("layer_norm_eps 1.0E-12 assumed"),
                imported.notes().toString());
    }

    @Test
    void anotherArchitectureOrActivationIsRefusedNamingTheFile() throws IOException {
        VitArchitecture arch = arch(true);
        TransformersVit.write(TinyModels.randomBackbone(arch, 8), arch, List.of(), dir);
        Path config = dir.resolve("config.json");
        String original = Files.readString(config);
        Files.writeString(
                config, original.replace("\"model_type\": \"vit\"", "\"model_type\": \"deit\""));
        CheckpointException deit =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        dir.resolve("model.safetensors"),
                                        CheckpointImporter.Options.none()));
        assertTrue(
                deit.getMessage().contains("config.json") && deit.getMessage().contains("'deit'"),
                deit.getMessage());
        Files.writeString(
                config,
                original.replace("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu_new\""));
        CheckpointException act =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        dir.resolve("model.safetensors"),
                                        CheckpointImporter.Options.none()));
        assertTrue(act.getMessage().contains("'gelu_new'"), act.getMessage());
    }

    @Test
    void aPickledCheckpointIsRefusedWhateverItsName() throws IOException {
        // torch.save since PyTorch 1.6: a zip holding archive/data.pkl
        Path zipped = dir.resolve("model.safetensors");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(zipped))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2, '.'});
            zip.closeEntry();
        }
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () -> CheckpointImporter.read(zipped, CheckpointImporter.Options.none()));
        assertTrue(
                e.getMessage().contains("pickled PyTorch checkpoint")
                        && e.getMessage().contains("data.pkl"),
                e.getMessage());
        // before 1.6: a bare pickle
        Path bare = dir.resolve("pytorch_model.bin");
        Files.write(bare, new byte[] {(byte) 0x80, 2, ']', 'q', 0, '.'});
        CheckpointException old =
                assertThrows(
                        CheckpointException.class,
                        () -> CheckpointImporter.read(bare, CheckpointImporter.Options.none()));
        assertTrue(
                old.getMessage().contains("pytorch_model.bin")
                        && old.getMessage().contains("safetensors"),
                old.getMessage());
    }
}
