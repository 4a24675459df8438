package dev.glora.supernet.glora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.ConfigException;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupernetTest {

    @Test
    void freshSupernetComputesExactlyThePretrainedModelOnEveryPath() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint backbone = TinyModels.randomBackbone(arch, 11);
        Tensor images = TinyModels.images(arch, 3, 12);
        try (VitModel plain = VitModel.load(backbone, null, "backbone");
                Supernet supernet = Supernet.load(Supernet.fresh(backbone, arch, 4, 13), "fresh")) {
            float[] expected = TinyModels.logits(plain, images);
            supernet.samplePaths(SearchSpace.ofRanks(4, 2), new SplittableRandom(14));
            Set<SubnetConfig> paths = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(
                        expected,
                        TinyModels.logits(supernet, images),
                        "path " + supernet.lastPath());
                paths.add(supernet.lastPath());
            }
            assertEquals(20, paths.size(), "every forward pass should draw a new path");
        }
    }

    @Test
    void onlyAdaptersAndHeadAreTrainable() {
        VitArchitecture arch = TinyModels.tinyArch();
        try (Supernet supernet =
                Supernet.load(
                        Supernet.fresh(TinyModels.randomBackbone(arch, 1), arch, 2, 2), "s")) {
            Map<String, Parameter> named = ModelWeights.named(supernet.network());
            named.forEach(
                    (name, p) ->
                            assertEquals(
                                    name.startsWith("head.")
                                            || name.matches(".*\\.(Ad|Au|Bd|Bu|Cd|Cu|D|E)$"),
                                    p.requiresGradient(),
                                    name));
            assertEquals(arch.depth() * 4, supernet.layers().size());
            assertEquals(
                    List.of(
                            "blocks.0.attn.qkv",
                            "blocks.0.attn.proj",
                            "blocks.0.mlp.fc1",
                            "blocks.0.mlp.fc2"),
                    Supernet.layerNames(arch).subList(0, 4));
        }
    }

    @Test
    void trainedAdaptersChangeTheOutputPerConfiguration() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint trained =
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 3), arch, 4, 4);
        Tensor images = TinyModels.images(arch, 2, 5);
        try (Supernet supernet = Supernet.load(trained, "trained")) {
            supernet.setConfig(
                    SubnetConfig.uniform(
                            supernet.layers().keySet().stream().toList(), LayerConfig.FROZEN));
            float[] frozen = TinyModels.logits(supernet, images);
            supernet.setConfig(
                    SubnetConfig.uniform(
                            supernet.layers().keySet().stream().toList(),
                            LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "vector")));
            assertNotEquals(frozen[0], TinyModels.logits(supernet, images)[0]);
        }
    }

    @Test
    void configThatDoesNotFitIsRejectedWithTheLayerNamed() {
        VitArchitecture arch = TinyModels.tinyArch();
        try (Supernet supernet =
                Supernet.load(
                        Supernet.fresh(TinyModels.randomBackbone(arch, 1), arch, 2, 2), "s")) {
            List<String> names = Supernet.layerNames(arch);
            ConfigException tooHigh =
                    assertThrows(
                            ConfigException.class,
                            () ->
                                    supernet.setConfig(
                                            SubnetConfig.uniform(
                                                    names,
                                                    LayerConfig.of(
                                                            "LoRA_4", "none", "none", "none",
                                                            "none"))));
            assertTrue(
                    tooHigh.getMessage()
                            .contains(
                                    "layer blocks.0.attn.qkv term A: LoRA_4 is above the supernet rank 2"),
                    tooHigh.getMessage());
            ConfigException missing =
                    assertThrows(
                            ConfigException.class,
                            () ->
                                    supernet.setConfig(
                                            SubnetConfig.uniform(
                                                    names.subList(1, names.size()),
                                                    LayerConfig.FROZEN)));
            assertTrue(
                    missing.getMessage().contains("missing layer blocks.0.attn.qkv"),
                    missing.getMessage());
        }
    }

    @Test
    void checkpointWithoutRankIsNotASupernet() {
        VitArchitecture arch = TinyModels.tinyArch();
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                Supernet.load(
                                        TinyModels.randomBackbone(arch, 1), "plain.safetensors"));
        assertTrue(
                e.getMessage().contains("plain.safetensors: not a supernet checkpoint"),
                e.getMessage());
    }

    @Test
    void saveThenLoadIsBitExact(@TempDir Path dir) {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint trained =
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 8), arch, 4, 9);
        Path file = dir.resolve("supernet.safetensors");
        try (Supernet supernet = Supernet.load(trained, "trained")) {
            Safetensors.write(supernet.toCheckpoint(Map.of("producer", "test")), file);
        }
        Checkpoint reloaded = Safetensors.read(file);
        assertEquals(trained.tensors().keySet(), reloaded.tensors().keySet());
        trained.tensors().forEach((name, t) -> assertTrue(t.sameAs(reloaded.tensor(name)), name));
        assertEquals("4", reloaded.meta(Supernet.RANK_KEY));
        assertEquals(arch, VitArchitecture.fromMetadata(reloaded.metadata(), "reloaded"));
        Tensor images = TinyModels.images(arch, 2, 10);
        try (Supernet a = Supernet.load(trained, "a");
                Supernet b = Supernet.load(reloaded, "b")) {
            SubnetConfig config =
                    SubnetConfig.uniform(
                            Supernet.layerNames(arch),
                            LayerConfig.of("LoRA_2", "LoRA_4", "vector", "vector", "constant"));
            a.setConfig(config);
            b.setConfig(config);
            assertArrayEquals(TinyModels.logits(a, images), TinyModels.logits(b, images));
        }
    }
}
