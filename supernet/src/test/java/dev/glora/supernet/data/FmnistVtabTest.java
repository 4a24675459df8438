package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.data.FmnistVtab.Sizes;
import dev.glora.supernet.data.FmnistVtab.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FmnistVtabTest {

    private static final Sizes SIZES = new Sizes(40, 10, 30, 0);

    @TempDir static Path dir;

    private static ImageDataset train;
    private static ImageDataset test;

    /**
     * Synthetic splits: every image is bright (200) in its top-left 14x14 quadrant and black
     * elsewhere, so a transform's effect is visible on the pixels whatever image was drawn.
     */
    @BeforeAll
    static void generate() {
        train = synthetic(100);
        test = synthetic(40);
        FmnistVtab.write(train, test, dir.resolve("a"), 7, SIZES, Map.of("source", "synthetic"));
        FmnistVtab.write(train, test, dir.resolve("b"), 7, SIZES, Map.of("source", "synthetic"));
        FmnistVtab.write(train, test, dir.resolve("c"), 8, SIZES, Map.of("source", "synthetic"));
    }

    private static ImageDataset synthetic(int n) {
        List<Image> images = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Image image = Image.blankGrey(28, 28);
            for (int y = 0; y < 14; y++) {
                for (int x = 0; x < 14; x++) {
                    image.set(0, y, x, 200);
                }
            }
            image.set(0, 27, 27, i % 50);
            images.add(image);
            labels[i] = i % 10;
            origins.add("synthetic#" + i);
        }
        return new ImageDataset("synthetic", images, labels, origins);
    }

    @Test
    void everyTaskHasTheProtocolsListsCountsAndLabelRanges() {
        for (Task task : Task.values()) {
            Path folder = dir.resolve("a").resolve(task.folder());
            ImageDataset trainSet = Vtab1k.read(folder, "train800");
            ImageDataset val = Vtab1k.read(folder, "val200");
            ImageDataset both = Vtab1k.read(folder, "train800val200");
            ImageDataset testSet = Vtab1k.read(folder, "test");
            assertEquals(40, trainSet.size(), task + " train");
            assertEquals(10, val.size(), task + " val");
            assertEquals(50, both.size(), task + " train+val");
            assertEquals(task == Task.NEW5 ? 20 : 30, testSet.size(), task + " test");
            for (ImageDataset set : List.of(trainSet, val, testSet)) {
                set.requireLabelsBelow(task.classes());
            }
            assertEquals(task.classes(), Vtab1k.classCount(folder));
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedDoesNot() throws IOException {
        for (Task task : Task.values()) {
            for (String list : List.of("train800.txt", "val200.txt", "test.txt")) {
                String a = Files.readString(dir.resolve("a").resolve(task.folder()).resolve(list));
                assertEquals(
                        a,
                        Files.readString(dir.resolve("b").resolve(task.folder()).resolve(list)),
                        task + list);
            }
            Path image = Path.of(task.folder(), "images", "train", "00003.png");
            assertArrayEquals(
                    Files.readAllBytes(dir.resolve("a").resolve(image)),
                    Files.readAllBytes(dir.resolve("b").resolve(image)));
        }
        assertNotEquals(
                Files.readString(dir.resolve("a/rotation/train800.txt")),
                Files.readString(dir.resolve("c/rotation/train800.txt")));
    }

    @Test
    void aLargerSelectionListLeavesTheProtocolsListsAsTheyWereAndSharesNoImageWithThem()
            throws IOException {
        ImageDataset numbered = synthetic(100);
        for (int i = 0; i < numbered.size(); i++) {
            numbered.images().get(i).set(0, 27, 27, i); // unique: all10 keeps every pixel
        }
        FmnistVtab.write(Task.ALL10, numbered, test, dir.resolve("plain"), 7, SIZES, Map.of());
        FmnistVtab.write(
                Task.ALL10,
                numbered,
                test,
                dir.resolve("large"),
                7,
                new Sizes(40, 10, 30, 45),
                Map.of());
        for (String list : List.of("train800", "val200", "train800val200", "test")) {
            assertEquals(
                    Files.readString(dir.resolve("plain").resolve(list + ".txt")),
                    Files.readString(dir.resolve("large").resolve(list + ".txt")),
                    list);
            ImageDataset plain = Vtab1k.read(dir.resolve("plain"), list);
            ImageDataset large = Vtab1k.read(dir.resolve("large"), list);
            for (int i = 0; i < plain.size(); i++) {
                assertArrayEquals(
                        plain.images().get(i).pixels(),
                        large.images().get(i).pixels(),
                        list + " " + i);
            }
        }
        ImageDataset selection = Vtab1k.read(dir.resolve("large"), "val45");
        assertEquals(45, selection.size());
        Set<Integer> used = new HashSet<>();
        Vtab1k.read(dir.resolve("large"), "train800val200")
                .images()
                .forEach(image -> used.add(image.at(0, 27, 27)));
        selection
                .images()
                .forEach(
                        image ->
                                assertTrue(
                                        used.add(image.at(0, 27, 27)),
                                        "image "
                                                + image.at(0, 27, 27)
                                                + " is in val45 and in train800val200 (or twice in val45)"));
        assertTrue(
                Files.readString(dir.resolve("large").resolve(Vtab1k.TASK_FILE))
                        .contains("\"val45\": 45"));
        DataException tooFew =
                Assertions.assertThrows(
                        DataException.class,
                        () ->
                                FmnistVtab.write(
                                        Task.ALL10,
                                        numbered,
                                        test,
                                        dir.resolve("short"),
                                        7,
                                        new Sizes(40, 10, 30, 51),
                                        Map.of()));
        assertTrue(
                tooFew.getMessage().contains("needs 101 images, the split has 100"),
                tooFew.getMessage());
    }

    @Test
    void rotationTurnsTheBrightQuadrantCounterClockwise() {
        // quarter turns counter-clockwise move the top-left quadrant to: TL, BL, BR, TR
        int[][] corner = {{0, 0}, {14, 0}, {14, 14}, {0, 14}};
        ImageDataset set = Vtab1k.read(dir.resolve("a/rotation"), "train800val200");
        int[] seen = new int[4];
        for (int i = 0; i < set.size(); i++) {
            int k = set.label(i);
            seen[k]++;
            Image image = set.images().get(i);
            assertEquals(200, image.at(0, corner[k][0] + 3, corner[k][1] + 3), "rotation " + k);
            assertEquals(
                    0,
                    image.at(0, corner[(k + 2) % 4][0] + 7, corner[(k + 2) % 4][1] + 7),
                    "rotation " + k);
        }
        for (int count : seen) {
            assertTrue(count > 0, "every rotation occurs");
        }
    }

    @Test
    void locationPutsTheShrunkImageInTheLabelledCell() {
        ImageDataset set = Vtab1k.read(dir.resolve("a/location"), "test");
        for (int i = 0; i < set.size(); i++) {
            int cell = set.label(i);
            int top = 7 * (cell / 3);
            int left = 7 * (cell % 3);
            Image image = set.images().get(i);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean bright = y >= top && y < top + 7 && x >= left && x < left + 7;
                    boolean outside = y < top || y >= top + 14 || x < left || x >= left + 14;
                    if (bright) {
                        assertEquals(200, image.at(0, y, x), "cell " + cell + " at " + y + "," + x);
                    } else if (outside) {
                        assertEquals(0, image.at(0, y, x), "cell " + cell + " at " + y + "," + x);
                    }
                }
            }
        }
    }

    @Test
    void countShowsAsManyObjectsAsTheLabelSaysPlusOne() {
        ImageDataset set = Vtab1k.read(dir.resolve("a/count"), "train800val200");
        for (int i = 0; i < set.size(); i++) {
            Image image = set.images().get(i);
            int objects = 0;
            for (int cell = 0; cell < 9; cell++) {
                // each object's bright quadrant lands in the top-left 4x4 of its 9x9 cell
                objects += image.at(0, 9 * (cell / 3) + 1, 9 * (cell % 3) + 1) > 100 ? 1 : 0;
            }
            assertEquals(set.label(i) + 1, objects, "example " + i);
        }
    }

    @Test
    void invertFlipsEveryPixelAndNew5KeepsOnlyUnseenClasses() {
        ImageDataset set = Vtab1k.read(dir.resolve("a/invert"), "val200");
        for (Image image : set.images()) {
            assertEquals(55, image.at(0, 0, 0));
            assertEquals(255, image.at(0, 20, 3));
        }
        ImageDataset new5 = Vtab1k.read(dir.resolve("a/new5"), "test");
        for (int i = 0; i < new5.size(); i++) {
            int source = Integer.parseInt(new5.origins().get(i).replaceAll(".*:", "")) - 1;
            assertEquals(test.label(5 + 10 * (source / 5) + source % 5) - 5, new5.label(i));
        }
    }

    @Test
    void fewShotListsHoldKPerClassAndNest() {
        Path folder = dir.resolve("a/new5");
        List<String> previous = List.of();
        for (int shots : FmnistVtab.SHOTS) {
            ImageDataset set = Vtab1k.read(folder, "train" + shots + "shot");
            int[] perClass = new int[5];
            for (int label : set.labels()) {
                perClass[label]++;
            }
            for (int count : perClass) {
                assertTrue(count <= shots && count > 0, shots + "-shot: " + count);
            }
            List<String> origins =
                    set.origins().stream().map(o -> o.replaceAll(".*:", "")).toList();
            assertTrue(origins.size() >= previous.size());
            previous = origins;
        }
    }
}
