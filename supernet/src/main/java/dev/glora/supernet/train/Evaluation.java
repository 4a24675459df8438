package dev.glora.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/** Accuracy of a model on a data set, in batches, each batch in its own native-memory scope. */
public final class Evaluation {

    private Evaluation() {}

    /**
     * @param logits the model: normalised images (B, C, H, W) to logits (B, K)
     * @param preprocess the model's input preprocessing
     * @param data the examples; every label must be below K
     * @param numClasses K
     * @param batchSize examples per forward pass
     * @return the accuracy
     */
    public static Accuracy accuracy(
            UnaryOperator<NDArray> logits,
            Preprocess preprocess,
            ImageDataset data,
            int numClasses,
            int batchSize) {
        data.requireLabelsBelow(numClasses);
        long[] correctPerClass = new long[numClasses];
        long[] countPerClass = new long[numClasses];
        long correct = 0;
        int batch = preprocess.architecture().imagesPerPass(batchSize);
        try (NDManager manager = TorchRuntime.newManager()) {
            for (int start = 0; start < data.size(); start += batch) {
                int[] indices =
                        IntStream.range(start, Math.min(data.size(), start + batch)).toArray();
                long[] predicted;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    predicted =
                            logits.apply(preprocess.images(manager, data, indices))
                                    .argMax(1)
                                    .toLongArray();
                }
                for (int i = 0; i < indices.length; i++) {
                    int label = data.label(indices[i]);
                    countPerClass[label]++;
                    if (predicted[i] == label) {
                        correct++;
                        correctPerClass[label]++;
                    }
                }
            }
        }
        return new Accuracy(correct, data.size(), correctPerClass, countPerClass);
    }

    /**
     * The model's class probabilities for every image: the softmax of its logits, \(p_k = e^{z_k} /
     * \sum_j e^{z_j}\), in batches, each in its own native-memory scope.
     *
     * @param logits the model: normalised images (B, C, H, W) to logits (B, K)
     * @param preprocess the model's input preprocessing
     * @param data the images (their labels are not read)
     * @param batchSize images per forward pass
     * @return (N, K): row i holds image i's probabilities
     */
    public static float[][] probabilities(
            UnaryOperator<NDArray> logits,
            Preprocess preprocess,
            ImageDataset data,
            int batchSize) {
        float[][] probabilities = new float[data.size()][];
        int batch = preprocess.architecture().imagesPerPass(batchSize);
        try (NDManager manager = TorchRuntime.newManager()) {
            for (int start = 0; start < data.size(); start += batch) {
                int[] indices =
                        IntStream.range(start, Math.min(data.size(), start + batch)).toArray();
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray p = logits.apply(preprocess.images(manager, data, indices)).softmax(1);
                    int classes = (int) p.getShape().get(1);
                    float[] flat = p.toFloatArray();
                    for (int i = 0; i < indices.length; i++) {
                        probabilities[indices[i]] =
                                Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                    }
                }
            }
        }
        return probabilities;
    }
}
