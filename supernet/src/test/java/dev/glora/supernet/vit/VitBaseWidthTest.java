package dev.glora.supernet.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.importer.CheckpointImporter;
import dev.glora.supernet.merge.Reparameterizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ViT-B/16 widths (768 wide, 12 heads, 12 blocks) on 32-pixel inputs: a hub-style timm file of
 * {@code vit_base_patch16_224} imported at 32 px, its forward pass against the double-precision
 * reference, and the supernet, merge and export at that width.
 */
class VitBaseWidthTest {

    @TempDir Path dir;

    /**
     * A timm ViT-B/16 at 224 px with random weights scaled by 1/sqrt(fan-in), saved as the hub
     * does.
     */
    private static Checkpoint hubVitBase(long seed) {
        VitArchitecture arch =
                new VitArchitecture(
                        224,
                        16,
                        3,
                        768,
                        12,
                        12,
                        4.0,
                        10,
                        true,
                        new float[] {0.5f, 0.5f, 0.5f},
                        new float[] {0.5f, 0.5f, 0.5f});
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelWeights.shapes(new VisionTransformer(arch, LinearFactory.PLAIN))
                .forEach(
                        (name, shape) -> {
                            Tensor t = TinyModels.random(random, shape.getShape());
                            long[] s = shape.getShape();
                            boolean norm = name.contains("norm") && name.endsWith(".weight");
                            double scale =
                                    norm
                                            ? 0.1
                                            : s.length >= 2
                                                    ? 1.7
                                                            / Math.sqrt(
                                                                    s[s.length - 1]
                                                                            * (s.length == 4
                                                                                    ? s[1] * s[2]
                                                                                    : 1))
                                                    : 0.1;
                            float[] d = t.data();
                            for (int i = 0; i < d.length; i++) {
                                d[i] = (float) (norm ? 1 + scale * d[i] : scale * d[i]);
                            }
                            tensors.put(name, t);
                        });
        return new Checkpoint(tensors, Map.of("format", "pt"));
    }

    @Test
    void vitBaseImportedAt32PixelsRunsTheSupernetMergeAndExportAtFullWidth() {
        Path hub = dir.resolve("model.safetensors");
        Safetensors.write(hubVitBase(7), hub);
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        hub,
                        new CheckpointImporter.Options(
                                "vit_base_patch16_224.augreg_in21k", null, null, null, 32));
        VitArchitecture arch = imported.architecture();
        assertEquals(
                new VitArchitecture(
                        32,
                        16,
                        3,
                        768,
                        12,
                        12,
                        4.0,
                        10,
                        true,
                        new float[] {0.5f, 0.5f, 0.5f},
                        new float[] {0.5f, 0.5f, 0.5f}),
                arch);
        assertArrayEquals(
                new long[] {1, 5, 768}, imported.checkpoint().tensor("pos_embed").shape());

        Tensor images = TinyModels.images(arch, 2, 11);
        double[] reference = new ReferenceVit(arch, imported.checkpoint().tensors()).logits(images);
        float[] logits;
        try (VitModel model = VitModel.load(imported.checkpoint(), null, "imported")) {
            logits = TinyModels.logits(model, images);
        }
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i], logits[i], 1e-4, "logit " + i);
        }

        Checkpoint supernet =
                withSmallAdapters(Supernet.fresh(imported.checkpoint(), arch, 4, 3), 5);
        SplittableRandom random = new SplittableRandom(9);
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        Supernet.layerNames(arch)
                .forEach(n -> layers.put(n, SearchSpace.ofRanks(4).sample(random)));
        assertEquals(48, layers.size(), "four GLoRA layers in each of 12 blocks");
        SubnetConfig config = new SubnetConfig(layers);
        float[] onPath;
        try (Supernet net = Supernet.load(supernet, "supernet")) {
            net.setConfig(config);
            onPath = TinyModels.logits(net, images);
        }
        Path exported = dir.resolve("merged.safetensors");
        Safetensors.write(
                Reparameterizer.merge(supernet, config, Map.of("producer", "test"), "supernet"),
                exported);
        Checkpoint merged = Safetensors.read(exported);
        try (VitModel model = VitModel.load(merged, null, "merged")) {
            assertEquals(arch, model.architecture().withNumClasses(arch.numClasses()));
            float[] mergedLogits = TinyModels.logits(model, images);
            for (int i = 0; i < onPath.length; i++) {
                assertEquals(
                        onPath[i],
                        mergedLogits[i],
                        1e-3 * Math.max(1, Math.abs(onPath[i])),
                        "logit " + i);
            }
        }
    }

    private static Checkpoint withSmallAdapters(Checkpoint fresh, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        fresh.tensors()
                .forEach(
                        (name, t) -> {
                            if (Supernet.isTrainable(name) && !name.startsWith("head.")) {
                                Tensor r = TinyModels.random(random, t.shape());
                                float[] d = r.data();
                                for (int i = 0; i < d.length; i++) {
                                    d[i] *= 0.02f;
                                }
                                tensors.put(name, r);
                            } else {
                                tensors.put(name, t);
                            }
                        });
        return new Checkpoint(tensors, fresh.metadata());
    }
}
