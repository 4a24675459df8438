package dev.glora.supernet.data;

import java.util.List;

/**
 * Labelled images in a fixed order, each with where it came from, so that an error about one
 * example (a label out of range) can name its file and line.
 *
 * @param name what the set is, e.g. {@code tasks/new5/val200.txt}
 * @param images the images
 * @param labels one class index per image, 0-based
 * @param origins one description per image, e.g. {@code tasks/new5/val200.txt:17}
 */
public record ImageDataset(String name, List<Image> images, int[] labels, List<String> origins) {

    /** Checks that the three lists line up and that the set is not empty. */
    public ImageDataset {
        if (images.size() != labels.length || origins.size() != labels.length) {
            throw new IllegalArgumentException(
                    name
                            + ": "
                            + images.size()
                            + " images, "
                            + labels.length
                            + " labels and "
                            + origins.size()
                            + " origins");
        }
        if (labels.length == 0) {
            throw new DataException(name + ": the split is empty");
        }
        images = List.copyOf(images);
        labels = labels.clone();
        origins = List.copyOf(origins);
    }

    /**
     * @return the number of examples
     */
    public int size() {
        return labels.length;
    }

    /**
     * @param i an index
     * @return the label of example i
     */
    public int label(int i) {
        return labels[i];
    }

    /**
     * @param numClasses the classes a model predicts
     * @return this set
     * @throws DataException naming the first example whose label is not below {@code numClasses}
     */
    public ImageDataset requireLabelsBelow(int numClasses) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new DataException(
                        origins.get(i)
                                + ": label "
                                + labels[i]
                                + " is outside the model's "
                                + numClasses
                                + " classes (0 to "
                                + (numClasses - 1)
                                + ")");
            }
        }
        return this;
    }

    /**
     * @param indices which examples, in which order
     * @param subsetName the name of the result
     * @return those examples
     */
    public ImageDataset subset(int[] indices, String subsetName) {
        int[] sub = new int[indices.length];
        Image[] subImages = new Image[indices.length];
        String[] subOrigins = new String[indices.length];
        for (int i = 0; i < indices.length; i++) {
            sub[i] = labels[indices[i]];
            subImages[i] = images.get(indices[i]);
            subOrigins[i] = origins.get(indices[i]);
        }
        return new ImageDataset(subsetName, List.of(subImages), sub, List.of(subOrigins));
    }
}
