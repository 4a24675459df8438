package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * A timm-layout Vision Transformer: patch embedding, class token, learned position embedding,
 * {@code depth} pre-norm blocks, final norm, linear head on the class token.
 *
 * <p>Input (B, C, H, W), already normalised; output logits (B, numClasses). Direct parameters
 * {@code cls_token} (1, 1, D) and {@code pos_embed} (1, N + 1, D); children {@code patch_embed},
 * {@code blocks.0} … {@code blocks.(depth-1)}, {@code norm}, {@code head}.
 */
public class VisionTransformer extends AbstractBlock {

    private final VitArchitecture arch;
    private final Parameter clsToken;
    private final Parameter posEmbed;
    private final Block patchEmbed;
    private final List<TransformerBlock> blocks = new ArrayList<>();
    private final Block norm;
    private final Block head;

    /**
     * @param arch the architecture
     * @param linears makes the four linears of every block (the head is always plain)
     */
    public VisionTransformer(VitArchitecture arch, LinearFactory linears) {
        this.arch = arch;
        int dim = arch.embedDim();
        clsToken =
                addParameter(
                        Parameter.builder()
                                .setName("cls_token")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(1, 1, dim))
                                .build());
        posEmbed =
                addParameter(
                        Parameter.builder()
                                .setName("pos_embed")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(1, arch.tokens(), dim))
                                .build());
        patchEmbed = addChildBlock("patch_embed", new PatchEmbed(arch));
        for (int i = 0; i < arch.depth(); i++) {
            String path = "blocks." + i;
            blocks.add(addChildBlock(path, new TransformerBlock(path, arch, linears)));
        }
        norm = addChildBlock("norm", new Norm(dim, arch.layerNormEps()));
        head = addChildBlock("head", new LinearLayer(dim, arch.numClasses(), true));
    }

    /**
     * @return the architecture
     */
    public VitArchitecture architecture() {
        return arch;
    }

    /**
     * Sets stochastic depth for training passes, rising linearly over the blocks from 0 to {@code
     * rate} (timm's schedule).
     *
     * @param rate the drop-path rate of the last block, in [0, 1)
     * @param random the source of the keep decisions
     */
    public void setDropPath(double rate, RandomGenerator random) {
        for (int i = 0; i < blocks.size(); i++) {
            blocks.get(i)
                    .setDropPath(
                            blocks.size() == 1 ? rate : rate * i / (blocks.size() - 1), random);
        }
    }

    /**
     * Holds every random draw of the next training step ({@link StepDraws}) so that it can run in
     * micro-batches exactly as one batch of {@code batch} samples.
     *
     * @param batch the samples of the whole step
     */
    public void holdDraws(int batch) {
        forEachStepDraws(this, d -> d.holdDraws(batch));
    }

    /** Ends {@link #holdDraws}: every forward pass draws anew. */
    public void releaseDraws() {
        forEachStepDraws(this, StepDraws::releaseDraws);
    }

    private static void forEachStepDraws(Block block, Consumer<StepDraws> action) {
        if (block instanceof StepDraws draws) {
            action.accept(draws);
        }
        for (Block child : block.getChildren().values()) {
            forEachStepDraws(child, action);
        }
    }

    /**
     * @return the input shape of a batch of {@code batch} images, (B, C, H, W)
     */
    public Shape inputShape(long batch) {
        return new Shape(batch, arch.inChans(), arch.imgSize(), arch.imgSize());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(
                fromTokens(store, embed(store, inputs.singletonOrThrow(), training), training));
    }

    /**
     * The part of the network no GLoRA layer touches: patch embedding, class token and position
     * embedding. A search computes it once per job.
     *
     * @param store the parameter store
     * @param images normalised images (B, C, H, W)
     * @param training whether gradients are recorded
     * @return tokens (B, N + 1, D)
     */
    public NDArray embed(ParameterStore store, NDArray images, boolean training) {
        NDArray patches =
                patchEmbed.forward(store, new NDList(images), training).singletonOrThrow();
        long batch = patches.getShape().get(0);
        NDArray cls =
                store.getValue(clsToken, images.getDevice(), training)
                        .broadcast(batch, 1, arch.embedDim());
        return cls.concat(patches, 1).add(store.getValue(posEmbed, images.getDevice(), training));
    }

    /**
     * The rest: the blocks, the final norm and the head on the class token.
     *
     * @param store the parameter store
     * @param tokens (B, N + 1, D), as {@link #embed} returns them
     * @param training whether gradients are recorded
     * @return logits (B, numClasses)
     */
    public NDArray fromTokens(ParameterStore store, NDArray tokens, boolean training) {
        NDList x = new NDList(tokens);
        for (TransformerBlock block : blocks) {
            x = training ? block.forward(store, x, true) : inferenceBlock(store, block, x);
        }
        NDArray normed = norm.forward(store, x, training).singletonOrThrow();
        return head.forward(store, new NDList(normed.get(":, 0, :")), training).singletonOrThrow();
    }

    /**
     * One block in inference, inside its own scope: its intermediates (attention maps, MLP hidden
     * states) are freed when it ends and only its output moves on to the caller's scope. Native
     * arrays live until closed, so without this a forward pass would hold every block's
     * intermediates at once (about 100 MB per 224-pixel image for a ViT-S).
     */
    private static NDList inferenceBlock(ParameterStore store, TransformerBlock block, NDList x) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = block.forward(store, x, false).singletonOrThrow();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return new NDList(out);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        patchEmbed.initialize(manager, dataType, inputShapes);
        Shape tokens = new Shape(inputShapes[0].get(0), arch.tokens(), arch.embedDim());
        for (TransformerBlock block : blocks) {
            block.initialize(manager, dataType, tokens);
        }
        norm.initialize(manager, dataType, tokens);
        head.initialize(manager, dataType, new Shape(inputShapes[0].get(0), arch.embedDim()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), arch.numClasses())};
    }
}
