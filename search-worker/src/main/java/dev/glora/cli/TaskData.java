package dev.glora.cli;

import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.train.SupernetSetup;
import java.nio.file.Path;

/** The lists of a VTAB-1K task folder that the commands name by their split. */
final class TaskData {

    private TaskData() {}

    /**
     * @param split {@code train}, {@code val}, {@code trainval}, {@code test}, or a list name
     * @return the list it stands for
     */
    static String list(String split) {
        return switch (split) {
            case "train" -> "train800";
            case "val" -> "val200";
            case "trainval" -> "train800val200";
            default -> split;
        };
    }

    /**
     * @param task a task folder
     * @param split a split or list name
     * @return its examples
     */
    static ImageDataset read(Path task, String split) {
        return Vtab1k.read(task, list(split));
    }

    /**
     * @param task a task folder
     * @param split a split or list name
     * @return the list file's path and checksum, for provenance
     */
    static String describe(Path task, String split) {
        return SupernetSetup.describe(task, list(split));
    }
}
