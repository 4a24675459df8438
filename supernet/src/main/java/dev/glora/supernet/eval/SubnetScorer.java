package dev.glora.supernet.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.Choice;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.glora.GloraLinear;
import dev.glora.supernet.glora.GloraTensors;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.Accuracy;
import dev.glora.supernet.vit.LinearFactory;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Validation accuracy of any configuration of one supernet on one data set, at about the cost of
 * one plain forward pass: the configuration is merged into plain weights once (docs/GLORA.md §4,
 * the same functions the supernet runs), and a plain ViT runs its blocks over the whole set in
 * large batches, starting from tokens (patch embedding, class token, position embedding) that are
 * computed once, since no configuration changes them.
 *
 * <p>With {@link Precision#FP16} every candidate is first screened by a float16 copy of the plain
 * network, and scored again in float32 unless the screen proves it cannot beat the threshold: see
 * {@link #score(SubnetConfig, Racing, double)}.
 *
 * <p>One scorer per thread. Each scoring runs in its own native-memory scope. Close it to free the
 * supernet, the plain network and the cached tokens.
 */
public final class SubnetScorer implements AutoCloseable {

    private final Supernet supernet;
    private final NDManager manager;
    private final VisionTransformer plain;
    private final OverrideStore store;
    private final Map<String, Parameter[]> linears = new LinkedHashMap<>();
    private final List<NDArray> tokens = new ArrayList<>();
    private final int[] labels;
    private final int classes;
    private final Precision precision;
    private final double margin;
    private OverrideStore lowStore;
    private final List<NDArray> lowTokens = new ArrayList<>();

    /** The number format candidates are screened in. */
    public enum Precision implements Choice {
        /** Every candidate scored in float32 only. */
        FP32,
        /** Screened in float16, re-scored in float32 when it could matter. */
        FP16;

        // no bfloat16 screen: DJL 0.36's JNI library aborts the process on any bfloat16 array,
        // while
        // the same libtorch 2.7.1 through another binding computes in bfloat16 (bin/bf16-check;
        // BENCHMARKS.md, issue 32); a BF16 value returns with a DJL that can hold one

        /**
         * @return the array type of the screen
         */
        DataType dataType() {
            return this == FP16 ? DataType.FLOAT16 : DataType.FLOAT32;
        }
    }

    /**
     * A candidate's accuracy and how it was computed.
     *
     * @param accuracy the accuracy on the images seen
     * @param complete whether it is the exact float32 accuracy on every image; false when racing or
     *     the reduced-precision screen stopped it because it could not beat the threshold
     */
    public record Scored(Accuracy accuracy, boolean complete) {}

    /**
     * @param checkpoint a supernet checkpoint
     * @param data the examples to score on; labels below the supernet's classes
     * @param batchSize examples per forward pass (fewer for a large model: {@link
     *     VitArchitecture#imagesPerPass})
     * @param source the checkpoint's file, for error messages
     */
    public SubnetScorer(Checkpoint checkpoint, ImageDataset data, int batchSize, String source) {
        this(checkpoint, data, batchSize, source, Precision.FP32, 0);
    }

    /**
     * @param checkpoint a supernet checkpoint
     * @param data the examples to score on; labels below the supernet's classes
     * @param batchSize examples per forward pass
     * @param source the checkpoint's file, for error messages
     * @param precision the screening format
     * @param margin for a reduced-precision screen: the logit gap below which its prediction counts
     *     as uncertain; exactness holds while no logit moves by {@code margin / 2} or more between
     *     that format and float32
     */
    public SubnetScorer(
            Checkpoint checkpoint,
            ImageDataset data,
            int batchSize,
            String source,
            Precision precision,
            double margin) {
        if (precision != Precision.FP32 && !(margin > 0 && Double.isFinite(margin))) {
            throw new IllegalArgumentException(
                    "a reduced-precision screen needs a positive margin, got " + margin);
        }
        this.precision = precision;
        this.margin = margin;
        supernet = Supernet.load(checkpoint, source);
        manager = TorchRuntime.newManager();
        try {
            VitArchitecture arch = supernet.architecture();
            classes = arch.numClasses();
            data.requireLabelsBelow(classes);
            labels = data.labels();
            VitArchitecture withBias = arch.withQkvBias(true);
            plain = new VisionTransformer(withBias, LinearFactory.PLAIN);
            ModelWeights.load(
                    plain,
                    plain.inputShape(1),
                    new Checkpoint(plainTensors(checkpoint, withBias), Map.of()),
                    manager,
                    source);
            plain.freezeParameters(true);
            Map<String, Parameter> named = ModelWeights.named(plain);
            for (String layer : supernet.layers().keySet()) {
                linears.put(
                        layer,
                        new Parameter[] {named.get(layer + ".weight"), named.get(layer + ".bias")});
            }
            store = new OverrideStore(manager);
            embedAll(data, new Preprocess(arch), arch.imagesPerPass(batchSize));
            if (precision != Precision.FP32) {
                buildLowPrecision(precision.dataType());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The backbone's tensors of a supernet checkpoint, with a zero qkv bias where it has none. */
    private static Map<String, Tensor> plainTensors(Checkpoint checkpoint, VitArchitecture arch) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        checkpoint
                .tensors()
                .forEach(
                        (name, tensor) -> {
                            if (!Supernet.isTrainable(name) || name.startsWith("head.")) {
                                tensors.put(name, tensor);
                            }
                        });
        for (int i = 0; i < arch.depth(); i++) {
            tensors.putIfAbsent(
                    "blocks." + i + ".attn.qkv.bias", Tensor.zeros(3L * arch.embedDim()));
        }
        return tensors;
    }

    private void embedAll(ImageDataset data, Preprocess preprocess, int batchSize) {
        for (int start = 0; start < data.size(); start += batchSize) {
            int[] indices =
                    IntStream.range(start, Math.min(data.size(), start + batchSize)).toArray();
            NDArray embedded;
            try (NDScope scope = new NDScope()) {
                NDArray images = preprocess.images(manager, data, indices);
                embedded = plain.embed(store, images, false);
                scope.unregister(embedded);
            }
            embedded.attach(manager);
            tokens.add(embedded);
        }
    }

    /**
     * A copy in {@code type} of every weight of the plain network, served by its own store (DJL
     * blocks cannot be cast in place), and of the cached tokens.
     */
    private void buildLowPrecision(DataType type) {
        lowStore = new OverrideStore(manager);
        for (Pair<String, Parameter> named : plain.getParameters()) {
            NDArray cast = named.getValue().getArray().toType(type, true);
            cast.attach(manager);
            lowStore.keep(named.getValue(), cast);
        }
        for (NDArray batch : tokens) {
            NDArray cast = batch.toType(type, true);
            cast.attach(manager);
            lowTokens.add(cast);
        }
    }

    /**
     * @return the number of examples scored per configuration
     */
    public int size() {
        return labels.length;
    }

    /**
     * @param config a configuration for every GLoRA layer of the supernet
     * @return its accuracy on the data set
     */
    public Accuracy score(SubnetConfig config) {
        config.checkFits(new ArrayList<>(supernet.layers().keySet()), supernet.rank());
        return exact(config, Racing.OFF, 0);
    }

    /**
     * Scores with racing: after each cached batch (a stage), stops once {@code racing} says the
     * configuration cannot beat {@code mustBeat}. The result then covers the images seen so far.
     *
     * <p>With a reduced-precision screen, the candidate first runs in that format on every image. A
     * wrong prediction whose true class's logit is within the margin of the highest is uncertain:
     * float32 might predict it right. If even every uncertain image counted right leaves the
     * candidate below {@code mustBeat}, the screen's accuracy is returned, incomplete; otherwise
     * the float32 score. So every candidate that could enter the top k gets its float32 score, and
     * the search's parents and best are those of float32 scoring whenever no logit moves by half
     * the margin.
     *
     * @param config the configuration
     * @param racing when to stop early
     * @param mustBeat the accuracy a candidate must beat to matter (the search's k-th best)
     * @return the accuracy and whether it is the exact float32 one on every image
     */
    public Scored score(SubnetConfig config, Racing racing, double mustBeat) {
        config.checkFits(new ArrayList<>(supernet.layers().keySet()), supernet.rank());
        if (precision != Precision.FP32 && Double.isFinite(mustBeat)) {
            Screen screened = screen(config);
            if (screened.accuracy().correct() + screened.couldTurnRight()
                    < mustBeat * labels.length) {
                return new Scored(screened.accuracy(), false);
            }
        }
        Accuracy accuracy = exact(config, racing, mustBeat);
        return new Scored(accuracy, accuracy.n() == labels.length);
    }

    /**
     * @param accuracy the screen's accuracy
     * @param couldTurnRight wrong predictions whose true class's logit is within the margin of the
     *     highest: float32 could predict them right
     */
    private record Screen(Accuracy accuracy, long couldTurnRight) {}

    private Screen screen(SubnetConfig config) {
        float[] logits = checkedLogits(config, precision);
        long[] correctPerClass = new long[classes];
        long[] countPerClass = new long[classes];
        long correct = 0;
        long couldTurnRight = 0;
        for (int i = 0; i < labels.length; i++) {
            int row = i * classes;
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[row + c] > logits[row + best]) {
                    best = c;
                }
            }
            int label = labels[i];
            countPerClass[label]++;
            if (best == label) {
                correct++;
                correctPerClass[label]++;
            } else if (logits[row + best] - logits[row + label] < margin) {
                couldTurnRight++;
            }
        }
        return new Screen(
                new Accuracy(correct, labels.length, correctPerClass, countPerClass),
                couldTurnRight);
    }

    /**
     * Every image's logits for one configuration, in float32 or through the reduced-precision
     * network (then widened to float32), row-major (images × classes). For measuring how the two
     * formats differ.
     *
     * @param config the configuration
     * @param format which network runs it; a reduced format needs a scorer built with it
     * @return the logits, {@code size() * classes} values
     */
    public float[] logits(SubnetConfig config, Precision format) {
        config.checkFits(new ArrayList<>(supernet.layers().keySet()), supernet.rank());
        return checkedLogits(config, format);
    }

    private float[] checkedLogits(SubnetConfig config, Precision format) {
        boolean lowPrecision = format != Precision.FP32;
        if (lowPrecision && format != precision) {
            throw new IllegalStateException(
                    "this scorer was built for " + precision + ", not " + format);
        }
        OverrideStore target = lowPrecision ? lowStore : store;
        float[] out = new float[labels.length * classes];
        int offset = 0;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            merge(config, target, linears, lowPrecision ? format.dataType() : null);
            for (NDArray batch : lowPrecision ? lowTokens : tokens) {
                float[] values;
                try (NDScope batchScope = new NDScope()) {
                    batchScope.suppressNotUsedWarning();
                    values =
                            plain.fromTokens(target, batch, false)
                                    .toType(DataType.FLOAT32, false)
                                    .toFloatArray();
                }
                System.arraycopy(values, 0, out, offset, values.length);
                offset += values.length;
            }
        } finally {
            target.clear();
        }
        return out;
    }

    private Accuracy exact(SubnetConfig config, Racing racing, double mustBeat) {
        long[] correctPerClass = new long[classes];
        long[] countPerClass = new long[classes];
        long correct = 0;
        int seen = 0;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            merge(config, store, linears, null);
            for (int b = 0; b < tokens.size(); b++) {
                long[] predicted;
                try (NDScope batchScope = new NDScope()) {
                    batchScope.suppressNotUsedWarning();
                    predicted =
                            plain.fromTokens(store, tokens.get(b), false).argMax(1).toLongArray();
                }
                for (long p : predicted) {
                    int label = labels[seen++];
                    countPerClass[label]++;
                    if (p == label) {
                        correct++;
                        correctPerClass[label]++;
                    }
                }
                if (racing.cannotBeat(correct, seen, labels.length, mustBeat)) {
                    break;
                }
            }
        } finally {
            store.clear();
        }
        return new Accuracy(correct, seen, correctPerClass, countPerClass);
    }

    /**
     * Puts the configuration's merged weights into {@code target}, cast to {@code type} if not
     * null.
     */
    private void merge(
            SubnetConfig config,
            OverrideStore target,
            Map<String, Parameter[]> into,
            DataType type) {
        ParameterStore own = new ParameterStore(manager, false);
        supernet.layers()
                .forEach(
                        (path, layer) -> {
                            LayerConfig modes = config.layer(path);
                            if (modes.equals(LayerConfig.FROZEN)) {
                                return;
                            }
                            GloraTensors t = layer.tensors(own, manager.getDevice(), false);
                            Parameter[] parameters = into.get(path);
                            target.put(
                                    parameters[0], cast(GloraLinear.mergedWeight(t, modes), type));
                            NDArray bias = GloraLinear.mergedBias(t, modes);
                            if (bias != null) {
                                target.put(parameters[1], cast(bias, type));
                            }
                        });
    }

    private static NDArray cast(NDArray array, DataType type) {
        return type == null ? array : array.toType(type, false);
    }

    /**
     * Runs the plain backbone path from images, for comparing a candidate's cost with a plain
     * forward pass (benchmarks).
     *
     * @param images normalised images (B, C, H, W)
     * @return logits (B, numClasses)
     */
    public NDArray plainLogits(NDArray images) {
        return plain.fromTokens(store, plain.embed(store, images, false), false);
    }

    /**
     * @return the input shape of one batch of {@code batch} images
     */
    public Shape inputShape(int batch) {
        return plain.inputShape(batch);
    }

    @Override
    public void close() {
        tokens.forEach(NDArray::close);
        if (manager != null) {
            manager.close();
        }
        supernet.close();
    }
}
