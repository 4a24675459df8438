package dev.glora.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The folders a job's paths are resolved in: checkpoints under the model root, task folders under
 * the data root. A path resolves only inside its root: no {@code ..}, no absolute path, and no
 * symbolic link that leads out; what is returned is the checked real path. Inside a task folder,
 * list files and images are confined to the folder the same way ({@code Vtab1k}).
 *
 * @param models the model root
 * @param data the data root
 */
public record Roots(Path models, Path data) {

    /**
     * @param backbone a checkpoint path relative to the model root
     * @return the checkpoint file
     * @throws JobException naming the field {@code backbone} if it escapes or is not a file
     */
    public Path backbone(String backbone) {
        Path file = inside(models, backbone, "backbone", "model");
        if (!Files.isRegularFile(file)) {
            throw new JobException(
                    "backbone", "'" + backbone + "' is not a file under the model root");
        }
        return file;
    }

    /**
     * @param task a task folder relative to the data root
     * @return the folder
     * @throws JobException naming the field {@code data} if it escapes or is not a folder
     */
    public Path task(String task) {
        Path folder = inside(data, task, "data", "data");
        if (!Files.isDirectory(folder)) {
            throw new JobException("data", "'" + task + "' is not a folder under the data root");
        }
        return folder;
    }

    private static Path inside(Path root, String relative, String field, String rootName) {
        Path path;
        try {
            path = Path.of(relative);
        } catch (InvalidPathException e) {
            throw new JobException(field, "'" + relative + "' is not a path: " + e.getReason());
        }
        if (path.isAbsolute() || relative.isBlank()) {
            throw new JobException(
                    field, "'" + relative + "' must be relative to the " + rootName + " root");
        }
        for (Path part : path) {
            if (part.toString().equals("..")) {
                throw new JobException(field, "'" + relative + "' must not contain '..'");
            }
        }
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new JobException(
                    field,
                    "the " + rootName + " root " + root + " cannot be read: " + e.getMessage());
        }
        Path resolved = realRoot.resolve(path).normalize();
        try {
            // from here on the real path is used, so a link swapped in later is not followed out
            Path real = resolved.toRealPath();
            if (!real.startsWith(realRoot)) {
                throw new JobException(
                        field,
                        "'"
                                + relative
                                + "' leads out of the "
                                + rootName
                                + " root through a symbolic link");
            }
            return real;
        } catch (IOException e) {
            return resolved; // does not exist: the caller says so
        }
    }
}
