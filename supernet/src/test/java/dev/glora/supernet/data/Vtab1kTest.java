package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Vtab1kTest {

    @TempDir Path task;

    @BeforeEach
    void writeTask() throws IOException {
        Files.createDirectories(task.resolve("images/train"));
        ImageCodec.writePng(IdxFiles.pattern(10, 6), task.resolve("images/train/a.png"));
        BufferedImage rgb = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(1, 2, 0x123456);
        ImageIO.write(rgb, "bmp", task.resolve("images/train/b.bmp").toFile());
        ImageIO.write(rgb, "jpg", task.resolve("images/train/c.jpg").toFile());
        Files.writeString(
                task.resolve("train800.txt"),
                "images/train/a.png 2\n\nimages/train/b.bmp 0\nimages/train/c.jpg 1\n");
    }

    @Test
    void readsEveryFormatTheJdkReadsInListOrder() {
        ImageDataset set = Vtab1k.read(task, "train800");
        assertEquals(3, set.size());
        assertArrayEquals(new int[] {2, 0, 1}, set.labels());
        assertArrayEquals(
                IdxFiles.pattern(10, 6).pixels(),
                set.images().get(0).pixels(),
                "grey PNG is bit-exact");
        Image bmp = set.images().get(1);
        assertEquals(3, bmp.channels());
        assertEquals(0x12, bmp.at(0, 2, 1));
        assertEquals(0x34, bmp.at(1, 2, 1));
        assertEquals(0x56, bmp.at(2, 2, 1));
        assertEquals(3, set.images().get(2).height());
        assertTrue(set.origins().get(1).endsWith("train800.txt:3"), set.origins().get(1));
        assertEquals(3, Vtab1k.classCount(task));
    }

    @Test
    void everyMalformedListNamesItsFileAndLine() throws IOException {
        assertError(
                "images/train/a.png 1\nimages/train/missing.png 0\n",
                "train800.txt:2: ",
                "no such image file");
        Files.writeString(task.resolve("images/train/bad.png"), "not a png");
        assertError(
                "images/train/bad.png 0\n",
                "train800.txt:1: ",
                "not an image in a format the JDK reads");
        assertError(
                "images/train/a.png\n", "train800.txt:1: ", "expected \"<image path> <label>\"");
        assertError(
                "images/train/a.png 1\nimages/train/a.png x\n",
                "train800.txt:2: ",
                "label \"x\" is not an integer");
        assertError("images/train/a.png -1\n", "train800.txt:1: ", "label -1 is negative");
        assertError("../outside.png 1\n", "train800.txt:1: ", "leaves the task folder");
        assertError("\n\n", "train800.txt: ", "the split is empty");
        DataException missing =
                assertThrows(DataException.class, () -> Vtab1k.read(task, "val200"));
        assertTrue(
                missing.getMessage().contains("val200.txt: no such list file"),
                missing.getMessage());
    }

    @Test
    void symbolicLinksThatLeadOutOfTheTaskFolderAreRefusedAndThoseInsideFollowed(
            @TempDir Path outside) throws IOException {
        ImageCodec.writePng(IdxFiles.pattern(10, 6), outside.resolve("secret.png"));
        Files.createSymbolicLink(
                task.resolve("images/train/link.png"), outside.resolve("secret.png"));
        assertError(
                "images/train/link.png 0\n",
                "train800.txt:1: image \"images/train/link.png\"",
                "leads out of the task folder");
        Files.createSymbolicLink(task.resolve("images/out"), outside);
        assertError("images/out/secret.png 0\n", "train800.txt:1:", "leads out of the task folder");
        Files.writeString(outside.resolve("val200.txt"), "images/train/a.png 0\n");
        Files.createSymbolicLink(task.resolve("val200.txt"), outside.resolve("val200.txt"));
        DataException list = assertThrows(DataException.class, () -> Vtab1k.read(task, "val200"));
        assertTrue(
                list.getMessage()
                        .contains("val200.txt: the list file leads out of the task folder"),
                list.getMessage());
        Files.createSymbolicLink(
                task.resolve("images/train/alias.png"), task.resolve("images/train/a.png"));
        Files.writeString(task.resolve("train800.txt"), "images/train/alias.png 2\n");
        assertEquals(1, Vtab1k.read(task, "train800").size(), "a link that stays inside is fine");
    }

    @Test
    void listsShareImagesWhenSomeImageIsInBothWhateverPathNamesIt() throws IOException {
        Files.writeString(task.resolve("val200.txt"), "images/train/c.jpg 1\n");
        Files.writeString(task.resolve("test.txt"), "images/train/b.bmp 0\n");
        Files.writeString(
                task.resolve("train800val200.txt"),
                "images/train/a.png 2\nimages/../images/train/c.jpg 1\n");
        assertTrue(
                Vtab1k.shareImages(task, "train800val200", "val200"),
                "the same image by another path");
        assertFalse(Vtab1k.shareImages(task, "train800val200", "test"));
        assertFalse(Vtab1k.shareImages(task, "val200", "test.txt"));
        assertTrue(Vtab1k.shareImages(task, "train800", "test"));
    }

    @Test
    void aLabelOutsideTheModelsClassesNamesItsLine() {
        ImageDataset set = Vtab1k.read(task, "train800");
        DataException e = assertThrows(DataException.class, () -> set.requireLabelsBelow(2));
        assertTrue(
                e.getMessage()
                        .endsWith(
                                "train800.txt:1: label 2 is outside the model's 2 classes (0 to 1)"),
                e.getMessage());
        assertEquals(set, set.requireLabelsBelow(3));
    }

    @Test
    void taskJsonStatesTheClassCount() throws IOException {
        Files.writeString(task.resolve("task.json"), "{\"num_classes\": 7}");
        assertEquals(7, Vtab1k.classCount(task));
        Files.writeString(task.resolve("task.json"), "{\"num_classes\": 0}");
        assertThrows(DataException.class, () -> Vtab1k.classCount(task));
    }

    @Test
    void taskJsonMayNameTheClassesOneNamePerClass() throws IOException {
        assertEquals(List.of(), Vtab1k.classNames(task));
        Files.writeString(
                task.resolve("task.json"), "{\"num_classes\": 2, \"classes\": [\"ant\", \"bee\"]}");
        assertEquals(List.of("ant", "bee"), Vtab1k.classNames(task));
        Files.writeString(
                task.resolve("task.json"), "{\"num_classes\": 3, \"classes\": [\"ant\", \"bee\"]}");
        String message =
                assertThrows(DataException.class, () -> Vtab1k.classNames(task)).getMessage();
        assertTrue(
                message.endsWith("task.json: \"classes\" names 2 classes, the task has 3"),
                message);
    }

    @Test
    void imageFoldersLabelClassesInSortedOrder() throws IOException {
        Path root = task.resolve("folders");
        for (String name : List.of("zebra", "ant")) {
            Files.createDirectories(root.resolve(name));
        }
        ImageCodec.writePng(IdxFiles.pattern(1, 4), root.resolve("zebra/1.png"));
        ImageCodec.writePng(IdxFiles.pattern(2, 4), root.resolve("ant/2.png"));
        ImageCodec.writePng(IdxFiles.pattern(3, 4), root.resolve("ant/3.png"));
        assertEquals(List.of("ant", "zebra"), ImageFolders.classes(root));
        ImageDataset set = ImageFolders.read(root);
        assertArrayEquals(new int[] {0, 0, 1}, set.labels());
        assertArrayEquals(IdxFiles.pattern(1, 4).pixels(), set.images().get(2).pixels());

        Files.createDirectories(root.resolve("empty"));
        DataException e = assertThrows(DataException.class, () -> ImageFolders.read(root));
        assertTrue(e.getMessage().contains("class \"empty\" has no images"), e.getMessage());
    }

    private void assertError(String list, String where, String what) throws IOException {
        Files.writeString(task.resolve("train800.txt"), list);
        DataException e = assertThrows(DataException.class, () -> Vtab1k.read(task, "train800"));
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what), e.getMessage());
    }
}
