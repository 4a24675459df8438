package dev.glora.supernet.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * One sub-folder per class: the classes are the sub-folder names in sorted order, label i for the
 * i-th; every regular file inside, at any depth (not hidden), is an image of that class.
 */
public final class ImageFolders {

    private ImageFolders() {}

    /**
     * @param root the folder holding one sub-folder per class
     * @return the class names, sorted; their indices are the labels
     */
    public static List<String> classes(Path root) {
        try (Stream<Path> children = Files.list(root)) {
            List<String> classes =
                    children.filter(Files::isDirectory)
                            .map(p -> p.getFileName().toString())
                            .filter(name -> !name.startsWith("."))
                            .sorted()
                            .toList();
            if (classes.isEmpty()) {
                throw new DataException(root + ": no class sub-folders");
            }
            return classes;
        } catch (IOException e) {
            throw new DataException(root + ": unreadable folder: " + e.getMessage(), e);
        }
    }

    /**
     * An image file and its label.
     *
     * @param file the file
     * @param label its class's index
     */
    public record Labelled(Path file, int label) {}

    /**
     * Lists the images of a folder whose class sub-folders are named in {@code classes}, labelled
     * by their index there (a training folder's classes, for the validation or test folder of the
     * same data set).
     *
     * @param root the folder holding one sub-folder per class
     * @param classes the class names; a sub-folder of {@code root} must be one of them
     * @return every image, classes in the order of {@code classes}, files in sorted path order
     *     within a class
     * @throws DataException if a sub-folder names no class of {@code classes}, or a class folder of
     *     {@code root} is empty
     */
    public static List<Labelled> files(Path root, List<String> classes) {
        List<String> present = classes(root);
        for (String name : present) {
            if (!classes.contains(name)) {
                throw new DataException(
                        root.resolve(name)
                                + ": class \""
                                + name
                                + "\" is not one of the "
                                + classes.size()
                                + " classes "
                                + classes);
            }
        }
        List<Labelled> files = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            if (!present.contains(classes.get(label))) {
                continue;
            }
            Path dir = root.resolve(classes.get(label));
            List<Path> images;
            // every file under the class folder, as torchvision's ImageFolder walks it; hidden ones
            // left out
            try (Stream<Path> children = Files.walk(dir)) {
                images =
                        children.filter(Files::isRegularFile)
                                .filter(p -> !hidden(dir.relativize(p)))
                                .sorted()
                                .toList();
            } catch (IOException | UncheckedIOException e) {
                throw new DataException(dir + ": unreadable folder: " + e.getMessage(), e);
            }
            if (images.isEmpty()) {
                throw new DataException(
                        dir + ": class \"" + classes.get(label) + "\" has no images");
            }
            for (Path image : images) {
                files.add(new Labelled(image, label));
            }
        }
        return files;
    }

    /**
     * @param relative a path relative to a folder being listed
     * @return whether any of its parts is hidden (starts with a dot)
     */
    public static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param root the folder holding one sub-folder per class
     * @return every image, classes in sorted order, files in sorted order within a class
     * @throws DataException if a class folder is empty or a file is not a readable image
     */
    public static ImageDataset read(Path root) {
        List<Labelled> files = files(root, classes(root));
        Image[] images = new Image[files.size()];
        IntStream.range(0, images.length)
                .parallel()
                .forEach(i -> images[i] = ImageCodec.read(files.get(i).file()));
        return new ImageDataset(
                root.toString(),
                List.of(images),
                files.stream().mapToInt(Labelled::label).toArray(),
                files.stream().map(f -> f.file().toString()).toList());
    }
}
