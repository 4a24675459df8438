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
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * One pre-norm transformer block: \(x \leftarrow x + \mathrm{attn}(\mathrm{norm1}(x))\), then \(x
 * \leftarrow x + \mathrm{mlp}(\mathrm{norm2}(x))\).
 *
 * <p>Input (B, T, D); output (B, T, D). In training, each residual branch may be dropped per sample
 * (stochastic depth, "drop path"): kept with probability 1 - p and then scaled by 1 / (1 - p), the
 * keep decisions drawn from a seeded Java source, so a training run is reproducible.
 */
public class TransformerBlock extends AbstractBlock implements StepDraws {

    private final Block norm1;
    private final Block attn;
    private final Block norm2;
    private final Block mlp;
    private double dropRate;
    private RandomGenerator random;

    /**
     * While draws are held: the whole step's batch, its keep masks per branch, and the samples
     * done.
     */
    private int heldBatch;

    private final float[][] heldKeep = new float[2][];
    private int heldOffset;

    /**
     * @param path module path, e.g. {@code blocks.0}
     * @param arch the architecture
     * @param linears makes the four linear layers
     */
    public TransformerBlock(String path, VitArchitecture arch, LinearFactory linears) {
        norm1 = addChildBlock("norm1", new Norm(arch.embedDim(), arch.layerNormEps()));
        attn =
                addChildBlock(
                        "attn",
                        new Attention(
                                path + ".attn",
                                arch.embedDim(),
                                arch.numHeads(),
                                arch.qkvBias(),
                                linears));
        norm2 = addChildBlock("norm2", new Norm(arch.embedDim(), arch.layerNormEps()));
        mlp =
                addChildBlock(
                        "mlp", new Mlp(path + ".mlp", arch.embedDim(), arch.hiddenDim(), linears));
    }

    /**
     * Sets stochastic depth for training passes.
     *
     * @param rate the probability p that a sample skips a residual branch, in [0, 1)
     * @param random the source of the keep decisions
     */
    public void setDropPath(double rate, RandomGenerator random) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("drop-path rate must be in [0, 1), got " + rate);
        }
        this.dropRate = rate;
        this.random = random;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray a =
                attn.forward(store, norm1.forward(store, new NDList(x), training), training)
                        .singletonOrThrow();
        x = x.add(training ? dropPath(a, 0) : a);
        NDArray m =
                mlp.forward(store, norm2.forward(store, new NDList(x), training), training)
                        .singletonOrThrow();
        NDList out = new NDList(x.add(training ? dropPath(m, 1) : m));
        if (training && heldBatch > 0) {
            heldOffset += (int) x.getShape().get(0);
        }
        return out;
    }

    private NDArray dropPath(NDArray branch, int which) {
        if (dropRate == 0) {
            return branch;
        }
        int batch = (int) branch.getShape().get(0);
        float[] keep;
        if (heldBatch > 0) {
            if (heldKeep[which] == null) {
                heldKeep[which] = draw(heldBatch);
            }
            keep = Arrays.copyOfRange(heldKeep[which], heldOffset, heldOffset + batch);
        } else {
            keep = draw(batch);
        }
        return branch.mul(branch.getManager().create(keep, new Shape(batch, 1, 1)));
    }

    private float[] draw(int batch) {
        float[] keep = new float[batch];
        for (int i = 0; i < batch; i++) {
            keep[i] = random.nextDouble() < dropRate ? 0f : (float) (1 / (1 - dropRate));
        }
        return keep;
    }

    @Override
    public void holdDraws(int batch) {
        heldBatch = batch;
        heldKeep[0] = null;
        heldKeep[1] = null;
        heldOffset = 0;
    }

    @Override
    public void releaseDraws() {
        heldBatch = 0;
        heldKeep[0] = null;
        heldKeep[1] = null;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : new Block[] {norm1, attn, norm2, mlp}) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
