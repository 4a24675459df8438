package dev.glora.supernet.glora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.glora.supernet.config.ConfigException;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.vit.StepDraws;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One GLoRA layer (docs/GLORA.md §1): a frozen linear \(W_0, b_0\) with five adaptable terms, \[W =
 * W_0 + W_0 \odot A + B, \quad b = b_0 + b_0 \odot D + E + W_0 C, \quad Y = X W^T + b.\]
 *
 * <p>Input (..., in); output (..., out). Parameters: frozen {@code weight} (out x in) and {@code
 * bias} (out, optional); trainable {@code Ad} (out x r), {@code Au} (r x in), {@code Bd} (out x r),
 * {@code Bu} (r x in), {@code Cd} (in x r), {@code Cu} (r x 1), {@code D} (out), {@code E} (out),
 * where r is the supernet rank.
 *
 * <p>Every mode of a term reads the same tensors (entangled weight sharing): {@code LoRA_k} is
 * {@code Xd[:, :k] · Xu[:k, :]}, {@code vector} is {@code Xd[:, 0]} as a column, {@code constant}
 * is {@code Xd[0, 0]}; for D and E, {@code vector} is the whole tensor and {@code constant} its
 * first entry. Terms in mode {@code none} cost nothing: they are skipped, never materialised.
 *
 * <p>Which modes a forward pass uses is the layer's <em>path</em>: either one fixed {@link
 * LayerConfig} ({@link #setConfig}) or a fresh uniform draw from a {@link SearchSpace} on every
 * forward pass ({@link #sampleFrom}).
 */
public class GloraLinear extends AbstractBlock implements StepDraws {

    /** The names of the eight shared tensors, in checkpoint order. */
    public static final List<String> ADAPTER_NAMES =
            List.of("Ad", "Au", "Bd", "Bu", "Cd", "Cu", "D", "E");

    private final int in;
    private final int out;
    private final int rank;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter ad;
    private final Parameter au;
    private final Parameter bd;
    private final Parameter bu;
    private final Parameter cd;
    private final Parameter cu;
    private final Parameter d;
    private final Parameter e;

    private LayerConfig fixed = LayerConfig.FROZEN;
    private SearchSpace space;
    private RandomGenerator random;
    private LayerConfig last = LayerConfig.FROZEN;

    /** While a step's draws are held: whether this step's modes were drawn already. */
    private boolean holding;

    private boolean drawn;

    /**
     * @param in input features
     * @param out output features
     * @param hasBias whether the frozen layer has a bias
     * @param rank the supernet rank r, at least 1
     */
    public GloraLinear(int in, int out, boolean hasBias, int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("supernet rank must be at least 1, got " + rank);
        }
        this.in = in;
        this.out = out;
        this.rank = rank;
        weight = frozen("weight", Parameter.Type.WEIGHT, new Shape(out, in));
        bias = hasBias ? frozen("bias", Parameter.Type.BIAS, new Shape(out)) : null;
        ad = trainable("Ad", new Shape(out, rank));
        au = trainable("Au", new Shape(rank, in));
        bd = trainable("Bd", new Shape(out, rank));
        bu = trainable("Bu", new Shape(rank, in));
        cd = trainable("Cd", new Shape(in, rank));
        cu = trainable("Cu", new Shape(rank, 1));
        d = trainable("D", new Shape(out));
        e = trainable("E", new Shape(out));
    }

    private Parameter frozen(String name, Parameter.Type type, Shape shape) {
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(type)
                        .optShape(shape)
                        .optRequiresGrad(false)
                        .build());
    }

    private Parameter trainable(String name, Shape shape) {
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.WEIGHT)
                        .optShape(shape)
                        .build());
    }

    /**
     * @return input features
     */
    public int inFeatures() {
        return in;
    }

    /**
     * @return output features
     */
    public int outFeatures() {
        return out;
    }

    /**
     * @return the supernet rank r of the shared tensors
     */
    public int rank() {
        return rank;
    }

    /**
     * @return whether the frozen layer has a bias
     */
    public boolean hasBias() {
        return bias != null;
    }

    /**
     * Fixes the modes every later forward pass uses.
     *
     * @param config the modes; no LoRA rank above {@link #rank()}
     */
    public void setConfig(LayerConfig config) {
        if (config.maxRank() > rank) {
            throw new ConfigException(
                    config
                            + " uses LoRA rank "
                            + config.maxRank()
                            + ", above the supernet rank "
                            + rank);
        }
        fixed = config;
        space = null;
        random = null;
    }

    /**
     * Makes every later forward pass draw this layer's modes uniformly from {@code space}.
     *
     * @param space the modes to draw from; its largest rank at most {@link #rank()}
     * @param random the seeded source of the draws, usually shared by all layers of a model
     */
    public void sampleFrom(SearchSpace space, RandomGenerator random) {
        if (space.supernetRank() > rank) {
            throw new ConfigException(
                    "search space ranks " + space.ranks() + " exceed the supernet rank " + rank);
        }
        this.space = space;
        this.random = random;
    }

    @Override
    public void holdDraws(int batch) {
        holding = true;
        drawn = false;
    }

    @Override
    public void releaseDraws() {
        holding = false;
    }

    /**
     * @return the modes the latest forward pass used (or will use, when fixed)
     */
    public LayerConfig lastConfig() {
        return last;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        if (space == null) {
            last = fixed;
        } else if (!holding || !drawn) {
            last = space.sample(random);
            drawn = true;
        }
        return new NDList(glora(x, tensors(store, x.getDevice(), training), last));
    }

    /**
     * @param store the parameter store of the forward pass
     * @param device where the input lives
     * @param training whether gradients are being recorded
     * @return this layer's tensors as the store serves them
     */
    public GloraTensors tensors(ParameterStore store, Device device, boolean training) {
        return new GloraTensors(
                store.getValue(weight, device, training),
                bias == null ? null : store.getValue(bias, device, training),
                store.getValue(ad, device, training),
                store.getValue(au, device, training),
                store.getValue(bd, device, training),
                store.getValue(bu, device, training),
                store.getValue(cd, device, training),
                store.getValue(cu, device, training),
                store.getValue(d, device, training),
                store.getValue(e, device, training));
    }

    /**
     * The layer's output for one configuration: \(Y = X W^T + b\) with the merged \(W, b\).
     *
     * @param x input (..., in)
     * @param t the layer's tensors
     * @param config the modes
     * @return output (..., out)
     */
    public static NDArray glora(NDArray x, GloraTensors t, LayerConfig config) {
        NDArray w = mergedWeight(t, config);
        NDArray b = mergedBias(t, config);
        return (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).singletonOrThrow();
    }

    /**
     * \(W = W_0 + W_0 \odot A + B\).
     *
     * @param t the layer's tensors
     * @param config the modes
     * @return the merged weight, out x in (the frozen weight itself when A and B are none)
     */
    public static NDArray mergedWeight(GloraTensors t, LayerConfig config) {
        NDArray w = t.weight();
        NDArray a = matrixTerm(t.ad(), t.au(), config.a());
        if (a != null) {
            w = w.add(t.weight().mul(a));
        }
        NDArray b = matrixTerm(t.bd(), t.bu(), config.b());
        if (b != null) {
            w = w.add(b);
        }
        return w;
    }

    /**
     * \(b = b_0 + b_0 \odot D + E + W_0 C\); without \(b_0\), \(b = E + W_0 C\). The prompt term
     * always uses the frozen \(W_0\), never the merged weight.
     *
     * @param t the layer's tensors
     * @param config the modes
     * @return the merged bias, length out; null when the layer has no bias and E and C are none
     */
    public static NDArray mergedBias(GloraTensors t, LayerConfig config) {
        NDArray b = t.bias();
        if (b != null) {
            NDArray dTerm = vectorTerm(t.d(), config.d());
            if (dTerm != null) {
                b = b.add(b.mul(dTerm));
            }
        }
        NDArray eTerm = vectorTerm(t.e(), config.e());
        if (eTerm != null) {
            b = b == null ? eTerm : b.add(eTerm);
        }
        NDArray c = matrixTerm(t.cd(), t.cu(), config.c());
        if (c != null) {
            NDArray prompt = t.weight().matMul(c).reshape(-1);
            b = b == null ? prompt : b.add(prompt);
        }
        long out = t.weight().getShape().get(0);
        if (b != null && b.getShape().get(0) != out) {
            b = b.broadcast(out);
        }
        return b;
    }

    /**
     * A matrix term from a down/up pair: {@code LoRA_k} is {@code down[:, :k] · up[:k, :]}, {@code
     * vector} is {@code down[:, 0]} as a column, {@code constant} is {@code down[0, 0]}.
     *
     * @param down rows x r
     * @param up r x cols
     * @param mode the term's mode
     * @return rows x cols, rows x 1 or 1 x 1; null for {@code none}
     */
    static NDArray matrixTerm(NDArray down, NDArray up, Mode mode) {
        return switch (mode.kind()) {
            case NONE -> null;
            case CONSTANT -> down.get("0:1, 0:1");
            case VECTOR -> down.get(":, 0:1");
            case LORA -> {
                long r = down.getShape().get(1);
                int k = mode.rank();
                yield k == r
                        ? down.matMul(up)
                        : down.get(":, :" + k).matMul(up.get(":" + k + ", :"));
            }
        };
    }

    /**
     * A vector term: {@code vector} is the whole tensor, {@code constant} its first entry.
     *
     * @param v length out
     * @param mode the term's mode
     * @return length out or 1; null for {@code none}
     */
    static NDArray vectorTerm(NDArray v, Mode mode) {
        return switch (mode.kind()) {
            case NONE -> null;
            case CONSTANT -> v.get("0:1");
            case VECTOR -> v;
            case LORA -> throw new ConfigException("D and E cannot take LoRA modes");
        };
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape input = inputShapes[0];
        return new Shape[] {input.slice(0, input.dimension() - 1).add(out)};
    }
}
