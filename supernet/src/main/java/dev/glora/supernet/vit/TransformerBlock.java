package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm transformer block: \(x \leftarrow x + \mathrm{attn}(\mathrm{norm1}(x))\), then
 * \(x \leftarrow x + \mathrm{mlp}(\mathrm{norm2}(x))\).
 *
 * <p>Input (B, T, D); output (B, T, D).
 */
public class TransformerBlock extends AbstractBlock {

    private final Block norm1;
    private final Block attn;
    private final Block norm2;
    private final Block mlp;

    /**
     * @param path module path, e.g. {@code blocks.0}
     * @param arch the architecture
     * @param linears makes the four linear layers
     */
    public TransformerBlock(String path, VitArchitecture arch, LinearFactory linears) {
        norm1 = addChildBlock("norm1", new Norm(arch.embedDim()));
        attn = addChildBlock("attn",
                new Attention(path + ".attn", arch.embedDim(), arch.numHeads(), arch.qkvBias(), linears));
        norm2 = addChildBlock("norm2", new Norm(arch.embedDim()));
        mlp = addChildBlock("mlp", new Mlp(path + ".mlp", arch.embedDim(), arch.hiddenDim(), linears));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        x = x.add(attn.forward(store, norm1.forward(store, new NDList(x), training), training).singletonOrThrow());
        x = x.add(mlp.forward(store, norm2.forward(store, new NDList(x), training), training).singletonOrThrow());
        return new NDList(x);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : new Block[] {norm1, attn, norm2, mlp}) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
