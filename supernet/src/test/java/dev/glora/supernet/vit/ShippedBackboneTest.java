package dev.glora.supernet.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.data.Idx;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.train.Accuracy;
import dev.glora.supernet.train.Evaluation;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The backbone the repository ships, on the Fashion-MNIST sample it ships: it still loads, has the
 * benchmark's architecture and provenance, and predicts what it predicted when it was made.
 */
class ShippedBackboneTest {

    static final Path BACKBONE = Path.of("..", "models", "fmnist-vit-upstream.safetensors");
    static final Path SAMPLE = Path.of("..", "data", "fashion-mnist-sample");

    /**
     * Logits of the first sample test image (an ankle boot, class 9, unseen upstream), at creation.
     */
    private static final float[] FIRST_LOGITS = {
        3.6183414f, -3.0270016f, 1.5757776f, -1.2071949f, -1.5568366f
    };

    @Test
    void theShippedBackboneLoadsAndPredictsAsWhenItWasMade() {
        Checkpoint checkpoint = Safetensors.read(BACKBONE);
        assertEquals("96", checkpoint.metadata().get("embed_dim"));
        assertEquals("6", checkpoint.metadata().get("depth"));
        assertEquals("5", checkpoint.metadata().get("num_classes"));
        assertTrue(checkpoint.metadata().get("train_settings").contains("seed=0"));
        ImageDataset test = Idx.readSplit(SAMPLE, "t10k");
        ImageDataset upstream =
                test.subset(
                        IntStream.range(0, test.size()).filter(i -> test.label(i) < 5).toArray(),
                        "sample test images of classes 0-4");
        try (VitModel model = VitModel.load(checkpoint, null, BACKBONE.toString())) {
            Preprocess preprocess = new Preprocess(model.architecture());
            Accuracy accuracy = Evaluation.accuracy(model::logits, preprocess, upstream, 5, 128);
            float[] image = preprocess.batch(test, new int[] {0});
            float[] logits =
                    TinyModels.run(new Tensor(new long[] {1, 1, 28, 28}, image), model::logits);
            assertTrue(
                    accuracy.value() > 0.9, "accuracy " + accuracy.value() + " (0.913 when made)");
            assertEquals(531, accuracy.n());
            assertArrayEquals(FIRST_LOGITS, logits, 1e-4f);
        }
    }
}
