package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * LayerNorm over the last axis, \(y = (x - \mu) / \sqrt{\sigma^2 + \epsilon} \cdot w + b\), with
 * the architecture's epsilon: timm's 1e-6, or transformers' 1e-12 for a checkpoint from there.
 *
 * <p>Input (..., D); output the same shape. Parameters {@code weight} and {@code bias} (D).
 */
public class Norm extends AbstractBlock {

    /** timm's {@code partial(nn.LayerNorm, eps=1e-6)}. */
    public static final float EPS = VitArchitecture.DEFAULT_LAYER_NORM_EPS;

    private final int dim;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param dim the width of the last axis
     */
    public Norm(int dim) {
        this(dim, EPS);
    }

    /**
     * @param dim the width of the last axis
     * @param eps the epsilon added to the variance
     */
    public Norm(int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.GAMMA)
                                .optShape(new Shape(dim))
                                .build());
        bias =
                addParameter(
                        Parameter.builder()
                                .setName("bias")
                                .setType(Parameter.Type.BETA)
                                .optShape(new Shape(dim))
                                .build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        return LayerNorm.layerNorm(
                x,
                new Shape(dim),
                store.getValue(weight, x.getDevice(), training),
                store.getValue(bias, x.getDevice(), training),
                eps);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
