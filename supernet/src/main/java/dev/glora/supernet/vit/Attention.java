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
import dev.glora.supernet.TorchRuntime;

/**
 * Multi-head self-attention with timm's fused projection: {@code qkv} maps D to 3D, split as (3,
 * heads, D/heads); \(\mathrm{softmax}(q k^T / \sqrt{d_h}) v\) per head; {@code proj} maps back.
 *
 * <p>Input (B, T, D); output (B, T, D).
 */
public class Attention extends AbstractBlock {

    private final int heads;
    private final Block qkv;
    private final Block proj;

    /**
     * @param path module path of this block, e.g. {@code blocks.0.attn}
     * @param dim token width D
     * @param heads number of heads, dividing D
     * @param qkvBias whether {@code qkv} has a bias
     * @param linears makes {@code qkv} and {@code proj}
     */
    public Attention(String path, int dim, int heads, boolean qkvBias, LinearFactory linears) {
        this.heads = heads;
        qkv = addChildBlock("qkv", linears.create(path + ".qkv", dim, 3 * dim, qkvBias));
        proj = addChildBlock("proj", linears.create(path + ".proj", dim, dim, true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        long batch = shape.get(0);
        long tokens = shape.get(1);
        long dim = shape.get(2);
        long headDim = dim / heads;
        NDArray fused =
                qkv.forward(store, new NDList(x), training)
                        .singletonOrThrow()
                        .reshape(batch, tokens, 3, heads, headDim)
                        .transpose(2, 0, 3, 1, 4);
        // one split, not three selects: each select's backward fills a zero tensor the size of
        // all three (17 % of a bench-s training step in the profile); split's backward is one cat
        NDList parts = fused.split(3, 0);
        // a scalar array of its own, not mul(Number): TorchRuntime.scalar says why
        NDArray q =
                parts.get(0)
                        .squeeze(0)
                        .mul(TorchRuntime.scalar(x.getManager(), 1.0 / Math.sqrt(headDim)));
        NDArray k = parts.get(1).squeeze(0);
        NDArray v = parts.get(2).squeeze(0);
        NDArray weights = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
        NDArray mixed = weights.matMul(v).transpose(0, 2, 1, 3).reshape(batch, tokens, dim);
        return proj.forward(store, new NDList(mixed), training);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes);
        proj.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
