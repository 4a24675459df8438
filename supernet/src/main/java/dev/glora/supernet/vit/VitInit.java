package dev.glora.supernet.vit;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Initial weights, as timm initialises a ViT (its default scheme): linear weights and the position
 * embedding truncated-normal with std 0.02 (cut at two std), biases zero, LayerNorms one and zero,
 * the class token normal with std 1e-6, the patch convolution as PyTorch's default ({@code
 * kaiming_uniform_(a=√5)}, i.e. U(±1/√fan_in), bias too). And the head a fine-tuning run puts on a
 * pretrained model: PyTorch's default {@code nn.Linear} initialisation.
 */
public final class VitInit {

    private VitInit() {}

    /**
     * @param arch the architecture
     * @param seed the seed; each tensor draws from its own stream split off it in model order
     * @return a plain checkpoint of freshly initialised weights, the architecture in its metadata
     */
    public static Checkpoint random(VitArchitecture arch, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelWeights.shapes(new VisionTransformer(arch, LinearFactory.PLAIN))
                .forEach(
                        (name, shape) -> {
                            SplittableRandom random = root.split();
                            long[] dims = shape.getShape();
                            Tensor t = Tensor.zeros(dims);
                            float[] data = t.data();
                            if (name.startsWith("patch_embed.")) {
                                long fanIn =
                                        arch.inChans() * (long) arch.patchSize() * arch.patchSize();
                                uniform(random, data, 1 / Math.sqrt(fanIn));
                            } else if (name.equals("cls_token")) {
                                normal(random, data, 1e-6);
                            } else if (name.equals("pos_embed")
                                    || (name.endsWith(".weight") && dims.length == 2)) {
                                normal(random, data, 0.02);
                            } else if (name.endsWith(".weight")) {
                                Arrays.fill(data, 1f);
                            }
                            tensors.put(name, t);
                        });
        return new Checkpoint(tensors, arch.toMetadata());
    }

    /**
     * Replaces a plain checkpoint's classification head with a fresh one for another task.
     *
     * @param checkpoint a plain checkpoint of {@code arch}
     * @param arch its architecture
     * @param numClasses the classes of the new task
     * @param seed the seed of the new head
     * @return the checkpoint with a new {@code head.weight} (numClasses x D) and {@code head.bias},
     *     both U(±1/√D), and metadata saying {@code num_classes}
     */
    public static Checkpoint withNewHead(
            Checkpoint checkpoint, VitArchitecture arch, int numClasses, long seed) {
        if (!checkpoint.tensors().containsKey("head.weight")) {
            throw new CheckpointException("the checkpoint has no head.weight to replace");
        }
        SplittableRandom random = new SplittableRandom(seed);
        int dim = arch.embedDim();
        Tensor weight = Tensor.zeros(numClasses, dim);
        Tensor bias = Tensor.zeros(numClasses);
        uniform(random, weight.data(), 1 / Math.sqrt(dim));
        uniform(random, bias.data(), 1 / Math.sqrt(dim));
        Map<String, Tensor> tensors = new LinkedHashMap<>(checkpoint.tensors());
        tensors.put("head.weight", weight);
        tensors.put("head.bias", bias);
        Map<String, String> meta = new LinkedHashMap<>(checkpoint.metadata());
        meta.putAll(arch.withNumClasses(numClasses).toMetadata());
        meta.put("head_init_seed", Long.toString(seed));
        return new Checkpoint(tensors, meta);
    }

    private static void uniform(SplittableRandom random, float[] data, double bound) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextDouble(-bound, bound);
        }
    }

    private static void normal(SplittableRandom random, float[] data, double std) {
        for (int i = 0; i < data.length; i++) {
            double v;
            do {
                v = gaussian(random);
            } while (Math.abs(v) > 2);
            data[i] = (float) (v * std);
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
