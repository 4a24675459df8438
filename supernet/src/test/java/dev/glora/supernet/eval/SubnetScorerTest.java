package dev.glora.supernet.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.Accuracy;
import dev.glora.supernet.train.Evaluation;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SubnetScorerTest {

    private static ImageDataset randomImages(int n, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Image> images = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[64];
            random.nextBytes(pixels);
            images.add(new Image(1, 8, 8, pixels));
            labels[i] = random.nextInt(classes);
            origins.add("random#" + i);
        }
        return new ImageDataset("random", images, labels, origins);
    }

    private static SubnetConfig random(
            Supernet supernet, SearchSpace space, SplittableRandom random) {
        var layers = new LinkedHashMap<String, LayerConfig>();
        supernet.layers().keySet().forEach(name -> layers.put(name, space.sample(random)));
        return new SubnetConfig(layers);
    }

    @Test
    void scoresEqualTheSupernetsOwnForwardPassForRandomConfigurations() {
        for (boolean qkvBias : new boolean[] {true, false}) {
            VitArchitecture tiny = TinyModels.tinyArch();
            VitArchitecture arch =
                    new VitArchitecture(8, 4, 1, 8, 2, 2, 2.0, 3, qkvBias, tiny.mean(), tiny.std());
            Checkpoint checkpoint =
                    TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 1), arch, 4, 2);
            ImageDataset data = randomImages(70, 3, 3);
            SearchSpace space = SearchSpace.ofRanks(4, 2);
            SplittableRandom random = new SplittableRandom(4);
            Set<Long> distinct = new HashSet<>();
            try (SubnetScorer scorer = new SubnetScorer(checkpoint, data, 32, "tiny");
                    Supernet supernet = Supernet.load(checkpoint, "tiny")) {
                for (int i = 0; i < 25; i++) {
                    SubnetConfig config = random(supernet, space, random);
                    supernet.setConfig(config);
                    Accuracy expected =
                            Evaluation.accuracy(
                                    images -> supernet.logits(images, false),
                                    new Preprocess(arch),
                                    data,
                                    3,
                                    32);
                    Accuracy actual = scorer.score(config);
                    assertEquals(
                            expected.correct(),
                            actual.correct(),
                            "qkv bias " + qkvBias + ": " + config);
                    assertArrayEquals(expected.correctPerClass(), actual.correctPerClass());
                    assertEquals(70, actual.n());
                    distinct.add(actual.correct());
                }
            }
            assertTrue(
                    distinct.size() > 3,
                    "configurations should differ in accuracy, got " + distinct);
        }
    }

    @Test
    void scoringLeavesNoArraysBehind() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint checkpoint =
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 1), arch, 4, 2);
        try (SubnetScorer scorer =
                        new SubnetScorer(checkpoint, randomImages(40, 3, 5), 16, "tiny");
                Supernet shapes = Supernet.load(checkpoint, "tiny");
                NDManager probe = TorchRuntime.newManager()) {
            SplittableRandom random = new SplittableRandom(6);
            scorer.score(random(shapes, SearchSpace.ofRanks(4), random));
            BaseNDManager root = (BaseNDManager) probe.getParentManager();
            int before = root.getManagedArrays().size();
            for (int i = 0; i < 50; i++) {
                scorer.score(random(shapes, SearchSpace.ofRanks(4), random));
            }
            assertEquals(before, root.getManagedArrays().size());
        }
    }
}
