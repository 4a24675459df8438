package dev.glora.jobs;

import com.google.gson.JsonParser;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.train.Evaluation;
import dev.glora.supernet.train.SupernetSetup;
import dev.glora.supernet.vit.VitModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A plain model's most probable classes for images, as {@code glora predict} ranks them: softmax
 * over the head, highest first, ties by class index.
 */
public final class Predictor {

    private Predictor() {}

    /**
     * One class of an image's ranking.
     *
     * @param index the class's index in the head
     * @param name its name, or {@code class i} when the model names none
     * @param probability its softmax probability
     */
    public record Ranked(int index, String name, double probability) {}

    /**
     * @param plain a plain (merged) model
     * @param images the images, any size (resized as the model's preprocessing says)
     * @param names the class names in head order, or empty
     * @param top how many classes per image
     * @return each image's {@code top} most probable classes
     * @throws GloraException if the names do not match the head
     */
    public static List<List<Ranked>> top(
            Checkpoint plain, List<Image> images, List<String> names, int top) {
        try (VitModel model = VitModel.load(plain, null, "the model")) {
            int classes = model.architecture().numClasses();
            if (!names.isEmpty() && names.size() != classes) {
                throw new GloraException(
                        "the model names " + names.size() + " classes, its head has " + classes);
            }
            float[][] p =
                    Evaluation.probabilities(
                            model::logits,
                            new Preprocess(model.architecture()),
                            new ImageDataset(
                                    "images",
                                    images,
                                    new int[images.size()],
                                    IntStream.range(0, images.size())
                                            .mapToObj(i -> "image " + i)
                                            .toList()),
                            images.size());
            List<List<Ranked>> ranked = new ArrayList<>();
            for (float[] row : p) {
                ranked.add(rank(row, names, top));
            }
            return ranked;
        }
    }

    /**
     * @param probabilities one image's class probabilities
     * @param names the class names in head order, or empty
     * @param top how many classes
     * @return its {@code top} most probable classes, highest first, ties by class index
     */
    public static List<Ranked> rank(float[] probabilities, List<String> names, int top) {
        return IntStream.range(0, probabilities.length)
                .boxed()
                .sorted(
                        Comparator.comparingDouble((Integer k) -> -probabilities[k])
                                .thenComparingInt(k -> k))
                .limit(top)
                .map(
                        k ->
                                new Ranked(
                                        k,
                                        names.isEmpty() ? "class " + k : names.get(k),
                                        probabilities[k]))
                .toList();
    }

    /**
     * @param checkpoint a model
     * @return the class names its metadata keeps ({@code class_names}), or empty when it keeps none
     *     or they are not a JSON array of names
     */
    public static List<String> classNames(Checkpoint checkpoint) {
        try {
            return classNames(checkpoint.metadata(), "the model");
        } catch (GloraException e) {
            return List.of();
        }
    }

    /**
     * @param metadata a model's metadata
     * @param source the model, for the error
     * @return the class names it keeps ({@code class_names}), or empty
     * @throws GloraException if they are not a JSON array of names
     */
    public static List<String> classNames(Map<String, String> metadata, String source) {
        String text = metadata.get(SupernetSetup.CLASS_NAMES_KEY);
        if (text == null) {
            return List.of();
        }
        try {
            List<String> names = new ArrayList<>();
            JsonParser.parseString(text).getAsJsonArray().forEach(n -> names.add(n.getAsString()));
            return names;
        } catch (RuntimeException e) {
            throw new GloraException(
                    source + ": class_names is not a JSON array of names: " + text);
        }
    }
}
