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
     * @param train the split trained on
     * @param val the split scored
     * @return what to say after a val figure: nothing, or that it is not held out
     */
    static String heldOutNote(Path task, String train, String val) {
        return Vtab1k.shareImages(task, list(train), list(val))
                ? " (not held out: " + list(train) + " holds " + list(val) + "'s images)"
                : "";
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
