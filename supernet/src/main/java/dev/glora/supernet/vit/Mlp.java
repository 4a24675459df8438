package dev.glora.supernet.vit;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The transformer MLP: {@code fc2(GELU(fc1(x)))} with the exact (erf) GELU.
 *
 * <p>Input (B, T, D); hidden (B, T, H); output (B, T, D).
 */
public class Mlp extends AbstractBlock {

    private final Block fc1;
    private final Block fc2;

    /**
     * @param path module path, e.g. {@code blocks.0.mlp}
     * @param dim token width D
     * @param hidden hidden width H
     * @param linears makes {@code fc1} and {@code fc2}
     */
    public Mlp(String path, int dim, int hidden, LinearFactory linears) {
        fc1 = addChildBlock("fc1", linears.create(path + ".fc1", dim, hidden, true));
        fc2 = addChildBlock("fc2", linears.create(path + ".fc2", hidden, dim, true));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList hidden = fc1.forward(store, inputs, training);
        return fc2.forward(store, new NDList(Activation.gelu(hidden.singletonOrThrow())), training);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        fc1.initialize(manager, dataType, inputShapes);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(inputShapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
