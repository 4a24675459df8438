package dev.glora.supernet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * One sub-folder per class: the classes are the sub-folder names in sorted order, label i for the
 * i-th; every regular file inside (not hidden) is an image of that class.
 */
public final class ImageFolders {

    private ImageFolders() {}

    /**
     * @param root the folder holding one sub-folder per class
     * @return the class names, sorted; their indices are the labels
     */
    public static List<String> classes(Path root) {
        try (Stream<Path> children = Files.list(root)) {
            List<String> classes = children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> !name.startsWith(".")).sorted().toList();
            if (classes.isEmpty()) {
                throw new DataException(root + ": no class sub-folders");
            }
            return classes;
        } catch (IOException e) {
            throw new DataException(root + ": unreadable folder: " + e.getMessage(), e);
        }
    }

    /**
     * @param root the folder holding one sub-folder per class
     * @return every image, classes in sorted order, files in sorted order within a class
     * @throws DataException if a class folder is empty or a file is not a readable image
     */
    public static ImageDataset read(Path root) {
        List<String> classes = classes(root);
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            Path dir = root.resolve(classes.get(label));
            List<Path> images;
            try (Stream<Path> children = Files.list(dir)) {
                images = children.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
            } catch (IOException e) {
                throw new DataException(dir + ": unreadable folder: " + e.getMessage(), e);
            }
            if (images.isEmpty()) {
                throw new DataException(dir + ": class \"" + classes.get(label) + "\" has no images");
            }
            for (Path image : images) {
                files.add(image);
                labels.add(label);
            }
        }
        Image[] images = new Image[files.size()];
        IntStream.range(0, images.length).parallel().forEach(i -> images[i] = ImageCodec.read(files.get(i)));
        return new ImageDataset(root.toString(), List.of(images), labels.stream().mapToInt(Integer::intValue).toArray(),
                files.stream().map(Path::toString).toList());
    }
}
