package dev.glora.supernet.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReparameterizerTest {

    @TempDir Path dir;

    private static SubnetConfig randomConfig(VitArchitecture arch, SearchSpace space, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        Supernet.layerNames(arch).forEach(name -> layers.put(name, space.sample(random)));
        return new SubnetConfig(layers);
    }

    private static float[] supernetLogits(Checkpoint supernet, SubnetConfig config, Tensor images) {
        try (Supernet net = Supernet.load(supernet, "supernet")) {
            net.setConfig(config);
            return TinyModels.logits(net, images);
        }
    }

    private static float[] plainLogits(Checkpoint plain, Tensor images) {
        try (VitModel model = VitModel.load(plain, null, "merged")) {
            return TinyModels.logits(model, images);
        }
    }

    @Test
    void aConfigurationListingItsLayersInAnotherOrderMergesTheSame() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint supernet =
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 31), arch, 4, 32);
        SubnetConfig config = randomConfig(arch, SearchSpace.ofRanks(4, 2), 33);
        Map<String, LayerConfig> reversed = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(config.layers().keySet());
        Collections.reverse(names);
        names.forEach(name -> reversed.put(name, config.layer(name)));
        Checkpoint inOrder = Reparameterizer.merge(supernet, config, Map.of(), "supernet");
        Checkpoint shuffled =
                Reparameterizer.merge(supernet, new SubnetConfig(reversed), Map.of(), "supernet");
        assertEquals(inOrder.tensors(), shuffled.tensors());
    }

    @Test
    void mergedExportLoadedBackAsPlainVitGivesTheSupernetsLogits() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint backbone = TinyModels.randomBackbone(arch, 21);
        Checkpoint supernet = TinyModels.trainedSupernet(backbone, arch, 4, 22);
        Tensor images = TinyModels.images(arch, 4, 23);
        for (long seed = 0; seed < 5; seed++) {
            SubnetConfig config = randomConfig(arch, SearchSpace.ofRanks(4, 2), seed);
            Checkpoint merged =
                    Reparameterizer.merge(supernet, config, Map.of("producer", "test"), "supernet");
            Path file = dir.resolve("merged-" + seed + ".safetensors");
            Safetensors.write(merged, file);
            Checkpoint loaded = Safetensors.read(file);
            assertEquals(
                    backbone.tensors().keySet(),
                    loaded.tensors().keySet(),
                    "same names as the backbone");
            loaded.tensors()
                    .forEach(
                            (name, t) ->
                                    assertEquals(
                                            backbone.tensor(name).shapeString(),
                                            t.shapeString(),
                                            name));
            assertFalse(loaded.metadata().containsKey(Supernet.RANK_KEY));
            float[] expected = supernetLogits(supernet, config, images);
            float[] actual = plainLogits(loaded, images);
            double maxDiff = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            }
            assertTrue(maxDiff <= 1e-4, "max |supernet - merged| = " + maxDiff + " for " + config);
            assertTrue(
                    Math.abs(expected[0] - plainLogits(backbone, images)[0]) > 1e-3,
                    "the adapters must matter, or this test proves nothing");
        }
    }

    @Test
    void biaslessQkvGainsABiasOnlyWhenATermNeedsOne() {
        VitArchitecture arch = TinyModels.tinyArch();
        VitArchitecture noQkvBias =
                new VitArchitecture(
                        arch.imgSize(),
                        arch.patchSize(),
                        arch.inChans(),
                        arch.embedDim(),
                        arch.depth(),
                        arch.numHeads(),
                        arch.mlpRatio(),
                        arch.numClasses(),
                        false,
                        arch.mean(),
                        arch.std());
        Checkpoint supernet =
                TinyModels.trainedSupernet(
                        TinyModels.randomBackbone(noQkvBias, 31), noQkvBias, 2, 32);
        Tensor images = TinyModels.images(noQkvBias, 2, 33);

        SubnetConfig withE =
                SubnetConfig.uniform(
                        Supernet.layerNames(noQkvBias),
                        LayerConfig.of("LoRA_2", "none", "LoRA_1", "vector", "constant"));
        Checkpoint merged = Reparameterizer.merge(supernet, withE, Map.of(), "s");
        assertEquals("true", merged.metadata().get("qkv_bias"));
        assertTrue(merged.tensors().containsKey("blocks.0.attn.qkv.bias"));
        float[] expected = supernetLogits(supernet, withE, images);
        float[] actual = plainLogits(merged, images);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4);
        }

        SubnetConfig weightOnly =
                SubnetConfig.uniform(
                        Supernet.layerNames(noQkvBias),
                        LayerConfig.of("LoRA_2", "vector", "none", "vector", "none"));
        Checkpoint plain = Reparameterizer.merge(supernet, weightOnly, Map.of(), "s");
        assertEquals("false", plain.metadata().get("qkv_bias"));
        assertFalse(plain.tensors().containsKey("blocks.0.attn.qkv.bias"));
    }
}
