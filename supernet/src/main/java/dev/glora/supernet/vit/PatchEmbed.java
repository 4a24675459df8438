package dev.glora.supernet.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Cuts an image into non-overlapping patches and projects each to a token: a convolution with
 * kernel and stride equal to the patch size, flattened row-major over the patch grid.
 *
 * <p>Input (B, C, H, W); output (B, N, D) with N = (H/p)(W/p). Parameters {@code proj.weight} (D,
 * C, p, p) and {@code proj.bias} (D), under the child name {@code proj} as in timm.
 */
public class PatchEmbed extends AbstractBlock {

    private final VitArchitecture arch;

    /**
     * @param arch the architecture
     */
    public PatchEmbed(VitArchitecture arch) {
        this.arch = arch;
        addChildBlock("proj", new Projection(arch));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray grid =
                children.get(0).getValue().forward(store, inputs, training).singletonOrThrow();
        long batch = grid.getShape().get(0);
        return new NDList(grid.reshape(batch, arch.embedDim(), -1).transpose(0, 2, 1));
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        children.get(0).getValue().initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), arch.numPatches(), arch.embedDim())};
    }

    /** The strided convolution itself, holding {@code weight} and {@code bias}. */
    private static final class Projection extends AbstractBlock {

        private final VitArchitecture arch;
        private final Parameter weight;
        private final Parameter bias;

        Projection(VitArchitecture arch) {
            this.arch = arch;
            int p = arch.patchSize();
            weight =
                    addParameter(
                            Parameter.builder()
                                    .setName("weight")
                                    .setType(Parameter.Type.WEIGHT)
                                    .optShape(new Shape(arch.embedDim(), arch.inChans(), p, p))
                                    .build());
            bias =
                    addParameter(
                            Parameter.builder()
                                    .setName("bias")
                                    .setType(Parameter.Type.BIAS)
                                    .optShape(new Shape(arch.embedDim()))
                                    .build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            int p = arch.patchSize();
            return Conv2d.conv2d(
                    x,
                    store.getValue(weight, x.getDevice(), training),
                    store.getValue(bias, x.getDevice(), training),
                    new Shape(p, p));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            int side = arch.imgSize() / arch.patchSize();
            return new Shape[] {new Shape(inputShapes[0].get(0), arch.embedDim(), side, side)};
        }
    }
}
