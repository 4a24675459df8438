package dev.glora.supernet.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
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
 * one plain forward pass: the configuration is merged into plain weights once (GLORA.md §4, the
 * same functions the supernet runs), and a plain ViT runs its blocks over the whole set in large
 * batches, starting from tokens (patch embedding, class token, position embedding) that are
 * computed once, since no configuration changes them.
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

    /**
     * @param checkpoint a supernet checkpoint
     * @param data the examples to score on; labels below the supernet's classes
     * @param batchSize examples per forward pass (fewer for a large model:
     *     {@link VitArchitecture#imagesPerPass})
     * @param source the checkpoint's file, for error messages
     */
    public SubnetScorer(Checkpoint checkpoint, ImageDataset data, int batchSize, String source) {
        supernet = Supernet.load(checkpoint, source);
        manager = TorchRuntime.newManager();
        try {
            VitArchitecture arch = supernet.architecture();
            classes = arch.numClasses();
            data.requireLabelsBelow(classes);
            labels = data.labels();
            VitArchitecture withBias = new VitArchitecture(arch.imgSize(), arch.patchSize(), arch.inChans(),
                    arch.embedDim(), arch.depth(), arch.numHeads(), arch.mlpRatio(), arch.numClasses(), true,
                    arch.mean(), arch.std());
            plain = new VisionTransformer(withBias, LinearFactory.PLAIN);
            ModelWeights.load(plain, plain.inputShape(1), new Checkpoint(plainTensors(checkpoint, withBias), Map.of()),
                    manager, source);
            plain.freezeParameters(true);
            Map<String, Parameter> named = ModelWeights.named(plain);
            for (String layer : supernet.layers().keySet()) {
                linears.put(layer, new Parameter[] {named.get(layer + ".weight"), named.get(layer + ".bias")});
            }
            store = new OverrideStore(manager);
            embedAll(data, new Preprocess(arch), arch.imagesPerPass(batchSize));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The backbone's tensors of a supernet checkpoint, with a zero qkv bias where it has none. */
    private static Map<String, Tensor> plainTensors(Checkpoint checkpoint, VitArchitecture arch) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        checkpoint.tensors().forEach((name, tensor) -> {
            if (!Supernet.isTrainable(name) || name.startsWith("head.")) {
                tensors.put(name, tensor);
            }
        });
        for (int i = 0; i < arch.depth(); i++) {
            tensors.putIfAbsent("blocks." + i + ".attn.qkv.bias", Tensor.zeros(3L * arch.embedDim()));
        }
        return tensors;
    }

    private void embedAll(ImageDataset data, Preprocess preprocess, int batchSize) {
        for (int start = 0; start < data.size(); start += batchSize) {
            int[] indices = IntStream.range(start, Math.min(data.size(), start + batchSize)).toArray();
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

    /** @return the number of examples scored per configuration */
    public int size() {
        return labels.length;
    }

    /**
     * @param config a configuration for every GLoRA layer of the supernet
     * @return its accuracy on the data set
     */
    public Accuracy score(SubnetConfig config) {
        return score(config, Racing.OFF, 0);
    }

    /**
     * Scores with racing: after each cached batch (a stage), stops once {@code racing} says the
     * configuration cannot beat {@code mustBeat}. The result then covers the images seen so far.
     *
     * @param config the configuration
     * @param racing when to stop early
     * @param mustBeat the accuracy a candidate must beat to matter (the search's k-th best)
     * @return the accuracy on the images seen; {@code n()} tells how many
     */
    public Accuracy score(SubnetConfig config, Racing racing, double mustBeat) {
        config.checkFits(new ArrayList<>(supernet.layers().keySet()), supernet.rank());
        long[] correctPerClass = new long[classes];
        long[] countPerClass = new long[classes];
        long correct = 0;
        int seen = 0;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            merge(config);
            for (int b = 0; b < tokens.size(); b++) {
                long[] predicted;
                try (NDScope batchScope = new NDScope()) {
                    batchScope.suppressNotUsedWarning();
                    predicted = plain.fromTokens(store, tokens.get(b), false).argMax(1).toLongArray();
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

    private void merge(SubnetConfig config) {
        ai.djl.training.ParameterStore own = new ai.djl.training.ParameterStore(manager, false);
        supernet.layers().forEach((path, layer) -> {
            LayerConfig modes = config.layer(path);
            if (modes.equals(LayerConfig.FROZEN)) {
                return;
            }
            GloraTensors t = layer.tensors(own, manager.getDevice(), false);
            Parameter[] target = linears.get(path);
            store.put(target[0], GloraLinear.mergedWeight(t, modes));
            NDArray bias = GloraLinear.mergedBias(t, modes);
            if (bias != null) {
                store.put(target[1], bias);
            }
        });
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

    /** @return the input shape of one batch of {@code batch} images */
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
