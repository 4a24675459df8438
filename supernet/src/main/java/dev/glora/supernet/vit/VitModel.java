package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.Map;

/**
 * A plain (backbone or merged) ViT loaded from a checkpoint, owning the native memory of its
 * weights. Close it to free them.
 */
public final class VitModel implements AutoCloseable {

    private final NDManager manager;
    private final VisionTransformer network;
    private final ParameterStore store;

    private VitModel(NDManager manager, VisionTransformer network) {
        this.manager = manager;
        this.network = network;
        this.store = new ParameterStore(manager, false);
    }

    /**
     * Loads a plain ViT. The architecture comes from the checkpoint's metadata, or from {@code
     * fallback} for a plain timm checkpoint that has none.
     *
     * @param checkpoint the tensors and metadata
     * @param fallback the architecture to use when the metadata has none; may be null
     * @param source the file, for error messages
     * @return the loaded model
     * @throws CheckpointException if the architecture is unknown or the tensors do not match it
     */
    public static VitModel load(Checkpoint checkpoint, VitArchitecture fallback, String source) {
        VitArchitecture arch = architectureOf(checkpoint, fallback, source);
        NDManager manager = TorchRuntime.newManager();
        try {
            VisionTransformer network = new VisionTransformer(arch, LinearFactory.PLAIN);
            ModelWeights.load(network, network.inputShape(1), checkpoint, manager, source);
            network.freezeParameters(true);
            return new VitModel(manager, network);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * @param checkpoint a checkpoint
     * @param fallback the architecture to assume when it has no metadata; may be null
     * @param source the file, for error messages
     * @return the architecture the checkpoint describes, else {@code fallback}
     * @throws CheckpointException if neither gives one
     */
    public static VitArchitecture architectureOf(
            Checkpoint checkpoint, VitArchitecture fallback, String source) {
        if (VitArchitecture.isDescribedBy(checkpoint.metadata())) {
            return VitArchitecture.fromMetadata(checkpoint.metadata(), source);
        }
        if (fallback == null) {
            throw new CheckpointException(
                    source
                            + ": no architecture in the metadata (a plain timm checkpoint?);"
                            + " supply img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio and num_classes");
        }
        return fallback;
    }

    /**
     * @return the architecture
     */
    public VitArchitecture architecture() {
        return network.architecture();
    }

    /**
     * @return the block, for callers that run it themselves (training, benchmarks)
     */
    public VisionTransformer network() {
        return network;
    }

    /**
     * Runs the network in inference mode.
     *
     * @param images normalised images (B, C, H, W); the result is attached to their manager
     * @return logits (B, numClasses)
     */
    public NDArray logits(NDArray images) {
        return network.forward(store, new NDList(images), false).singletonOrThrow();
    }

    /**
     * @return a heap copy of every weight, by timm name
     */
    public Map<String, Tensor> tensors() {
        return ModelWeights.snapshot(network);
    }

    @Override
    public void close() {
        manager.close();
    }
}
