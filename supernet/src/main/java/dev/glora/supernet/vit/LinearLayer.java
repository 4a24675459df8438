package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A linear layer \(Y = XW^T + b\) whose tensors come from a checkpoint.
 *
 * <p>Input (..., in); output (..., out). Parameters {@code weight} (out x in) and optionally {@code
 * bias} (out). Unlike DJL's {@code Linear}, the shapes are fixed at construction, so the block can
 * be filled from a checkpoint before it sees any input.
 */
public class LinearLayer extends AbstractBlock {

    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param in input features
     * @param out output features
     * @param hasBias whether to add a bias
     */
    public LinearLayer(int in, int out, boolean hasBias) {
        this.out = out;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(out, in))
                                .build());
        bias =
                hasBias
                        ? addParameter(
                                Parameter.builder()
                                        .setName("bias")
                                        .setType(Parameter.Type.BIAS)
                                        .optShape(new Shape(out))
                                        .build())
                        : null;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = store.getValue(weight, x.getDevice(), training);
        if (bias == null) {
            return Linear.linear(x, w);
        }
        return Linear.linear(x, w, store.getValue(bias, x.getDevice(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        return new Shape[] {input.slice(0, input.dimension() - 1).add(out)};
    }
}
