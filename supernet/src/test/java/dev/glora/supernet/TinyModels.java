package dev.glora.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.LinearFactory;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Tiny random ViTs and tensors for tests: small enough to run in milliseconds. */
public final class TinyModels {

    private TinyModels() {}

    /**
     * @return an 8x8 one-channel ViT: patch 4, width 8, depth 2, 2 heads, MLP ratio 2, 3 classes
     */
    public static VitArchitecture tinyArch() {
        return new VitArchitecture(
                8, 4, 1, 8, 2, 2, 2.0, 3, true, new float[] {0.5f}, new float[] {0.25f});
    }

    /**
     * @param random the source
     * @param shape the shape
     * @return a tensor of values uniform in (-1, 1)
     */
    public static Tensor random(SplittableRandom random, long... shape) {
        Tensor zeros = Tensor.zeros(shape);
        float[] data = zeros.data();
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextDouble(-1, 1);
        }
        return zeros;
    }

    /**
     * @param arch an architecture
     * @param seed the seed
     * @return a plain checkpoint of that architecture with random weights (scaled down so that
     *     activations stay moderate) and the architecture in its metadata
     */
    public static Checkpoint randomBackbone(VitArchitecture arch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelWeights.shapes(new VisionTransformer(arch, LinearFactory.PLAIN))
                .forEach(
                        (name, shape) -> {
                            Tensor t = random(random, shape.getShape());
                            float scale =
                                    name.endsWith("norm1.weight")
                                                    || name.endsWith("norm2.weight")
                                                    || name.equals("norm.weight")
                                            ? 1f
                                            : 0.5f;
                            float[] data = t.data();
                            for (int i = 0; i < data.length; i++) {
                                data[i] = scale == 1f ? 1f + 0.1f * data[i] : scale * data[i];
                            }
                            tensors.put(name, t);
                        });
        return new Checkpoint(tensors, arch.toMetadata());
    }

    /**
     * @param backbone a plain checkpoint
     * @param arch its architecture
     * @param rank supernet rank
     * @param seed the seed
     * @return a supernet checkpoint whose adapter tensors are all random and non-zero
     */
    public static Checkpoint trainedSupernet(
            Checkpoint backbone, VitArchitecture arch, int rank, long seed) {
        Checkpoint fresh = Supernet.fresh(backbone, arch, rank, seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        fresh.tensors()
                .forEach(
                        (name, tensor) ->
                                tensors.put(
                                        name,
                                        Supernet.isTrainable(name) && !name.startsWith("head.")
                                                ? scaled(random(random, tensor.shape()), 0.3f)
                                                : tensor));
        return new Checkpoint(tensors, fresh.metadata());
    }

    private static Tensor scaled(Tensor t, float factor) {
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) {
            data[i] *= factor;
        }
        return t;
    }

    /**
     * @param arch an architecture
     * @param batch images in the batch
     * @param seed the seed
     * @return random normalised images, flattened (B, C, H, W)
     */
    public static Tensor images(VitArchitecture arch, int batch, long seed) {
        return random(
                new SplittableRandom(seed), batch, arch.inChans(), arch.imgSize(), arch.imgSize());
    }

    /**
     * Runs a forward pass inside its own scope and copies the result to the heap.
     *
     * @param images the input batch
     * @param forward the pass, e.g. {@code model::logits}
     * @return the output values
     */
    public static float[] run(Tensor images, Function<NDArray, NDArray> forward) {
        try (NDManager inputs = TorchRuntime.newManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return forward.apply(images.toNDArray(inputs)).toFloatArray();
        }
    }

    /**
     * @param model a plain model
     * @param images the input batch
     * @return its logits
     */
    public static float[] logits(VitModel model, Tensor images) {
        return run(images, model::logits);
    }

    /**
     * @param supernet a supernet on its current path
     * @param images the input batch
     * @return its inference-mode logits
     */
    public static float[] logits(Supernet supernet, Tensor images) {
        return run(images, x -> supernet.logits(x, false));
    }
}
