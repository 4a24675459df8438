package dev.glora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code glora data folders}: a VTAB-1K task from image folders, one sub-folder per class. */
class DataFoldersTest {

    private static final List<String> CLASSES = List.of("cat", "dog", "red fox");

    @TempDir Path dir;

    private Path train;
    private Path test;

    /**
     * An image whose grey level encodes its class and number, so a copy can be traced to its
     * source.
     */
    private static void image(Path file, int label, int i) throws IOException {
        BufferedImage image = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(0, 0, 0, label * 60 + i);
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    private static Path folder(Path root, int perClass) throws IOException {
        for (int label = 0; label < CLASSES.size(); label++) {
            for (int i = 0; i < perClass; i++) {
                image(root.resolve(CLASSES.get(label)).resolve("img " + i + ".PNG"), label, i);
            }
        }
        return root;
    }

    @BeforeEach
    void folders() throws IOException {
        train = folder(dir.resolve("train"), 10);
        test = folder(dir.resolve("test"), 2);
    }

    private static List<String> lines(Path task, String list) throws IOException {
        return Files.readAllLines(Vtab1k.listFile(task, list));
    }

    @Test
    void theListsAreDrawnFromTheFoldersDisjointAndLabelledByClassAndTheTaskReads()
            throws IOException {
        Path task = dir.resolve("tasks").resolve("pets");
        CliRun run =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "12",
                        "--val-size",
                        "6",
                        "--large-val",
                        "5",
                        "--seed",
                        "3");
        assertEquals(0, run.status(), run.err());
        assertTrue(
                run.out()
                        .contains(
                                "3 classes (cat, dog, red fox); train800 12, val200 6, train800val200 18,"
                                        + " test 6, val5 5 images"),
                run.out());

        assertEquals(12, lines(task, "train800").size());
        assertEquals(6, lines(task, "val200").size());
        assertEquals(6, lines(task, "test").size());
        assertEquals(5, lines(task, "val5").size());
        List<String> both = new ArrayList<>(lines(task, "train800"));
        both.addAll(lines(task, "val200"));
        assertEquals(both, lines(task, "train800val200"));

        // every drawn image is a different source image, and carries its class's label
        Set<Integer> sources = new HashSet<>();
        for (String list : List.of("train800", "val200", "val5")) {
            ImageDataset read = Vtab1k.read(task, list);
            for (int i = 0; i < read.size(); i++) {
                int level = read.images().get(i).at(0, 0, 0);
                assertEquals(level / 60, read.label(i), list + " " + i);
                assertTrue(sources.add(level), "drawn twice: " + level);
            }
        }
        assertEquals(23, sources.size());
        ImageDataset tests = Vtab1k.read(task, "test");
        assertArrayEquals(
                new int[] {0, 0, 1, 1, 2, 2}, tests.labels(), "the whole test folder, in order");

        JsonObject description =
                JsonParser.parseString(Files.readString(task.resolve("task.json")))
                        .getAsJsonObject();
        assertEquals(3, description.get("num_classes").getAsInt());
        assertEquals("red fox", description.get("classes").getAsJsonArray().get(2).getAsString());
        assertEquals(3, Vtab1k.classCount(task));
        assertEquals(CLASSES, Vtab1k.classNames(task));
        try (Stream<Path> left = Files.list(task.getParent())) {
            assertEquals(
                    List.of(task), left.toList(), "no temporary folder is left beside the task");
        }
    }

    @Test
    void aValidationFolderOfItsOwnGivesVal200AndTrainKeepsAllItsImagesForTraining()
            throws IOException {
        Path val = folder(dir.resolve("val"), 2);
        // a class folder's sub-folders hold images of the class too, as ImageFolder walks them;
        // hidden ones do not
        image(val.resolve("dog").resolve("night").resolve("n.png"), 1, 2);
        image(val.resolve("cat").resolve(".thumbs").resolve("t.png"), 0, 9);
        image(val.resolve("cat").resolve("z.png"), 0, 2);
        image(val.resolve("red fox").resolve("z.png"), 2, 2);
        Path task = dir.resolve("task");
        CliRun run =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--val",
                        val.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "30",
                        "--val-size",
                        "9");
        assertEquals(0, run.status(), run.err());
        ImageDataset read = Vtab1k.read(task, "val200");
        Set<Integer> levels = new HashSet<>();
        for (int i = 0; i < read.size(); i++) {
            levels.add(read.images().get(i).at(0, 0, 0));
            assertEquals(read.images().get(i).at(0, 0, 0) / 60, read.label(i));
        }
        assertEquals(
                Set.of(0, 1, 2, 60, 61, 62, 120, 121, 122), levels, "all nine of the val folder");
        assertEquals(30, Vtab1k.read(task, "train800").size(), "the whole train folder");
    }

    @Test
    void theTasksClassNamesReachEveryModelTrainedOnItAndPredictNamesItsClasses()
            throws IOException {
        Path task = dir.resolve("task");
        assertEquals(
                0,
                CliRun.glora(
                                "data",
                                "folders",
                                "--train",
                                train.toString(),
                                "--test",
                                test.toString(),
                                "--out",
                                task.toString(),
                                "--train-size",
                                "20",
                                "--val-size",
                                "10")
                        .status());
        Path supernet = dir.resolve("supernet.safetensors");
        CliRun trained =
                CliRun.glora(
                        "train-supernet",
                        "--backbone",
                        Path.of("..", "models", "fmnist-vit-upstream.safetensors").toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        supernet.toString(),
                        "--epochs",
                        "1",
                        "--threads",
                        "1");
        assertEquals(0, trained.status(), trained.err());
        String names = "[\"cat\",\"dog\",\"red fox\"]";
        assertEquals(names, Safetensors.header(supernet).metadata().get("class_names"));
        Path searched = dir.resolve("search");
        CliRun search =
                CliRun.glora(
                        "search",
                        "--supernet",
                        supernet.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        searched.toString(),
                        "--generations",
                        "1",
                        "--population",
                        "4",
                        "--mutations",
                        "1",
                        "--crossovers",
                        "1",
                        "--top-k",
                        "2",
                        "--threads",
                        "1");
        assertEquals(0, search.status(), search.err());
        assertEquals(
                names,
                Safetensors.header(searched.resolve("model.safetensors"))
                        .metadata()
                        .get("class_names"));
        Path lora = dir.resolve("lora.safetensors");
        CliRun finetuned =
                CliRun.glora(
                        "finetune",
                        "--method",
                        "lora",
                        "--backbone",
                        Path.of("..", "models", "fmnist-vit-upstream.safetensors").toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        lora.toString(),
                        "--epochs",
                        "1",
                        "--threads",
                        "1");
        assertEquals(0, finetuned.status(), finetuned.err());
        assertEquals(names, Safetensors.header(lora).metadata().get("class_names"));

        // glora predict names the classes, and its top-1 agrees with glora evaluate on the same
        // images
        CliRun predicted =
                CliRun.glora(
                        "predict",
                        "--model",
                        lora.toString(),
                        "--json",
                        "--top",
                        "3",
                        "--batch",
                        "4",
                        "--threads",
                        "1",
                        test.toString());
        assertEquals(0, predicted.status(), predicted.err());
        JsonArray answers = JsonParser.parseString(predicted.out()).getAsJsonArray();
        assertEquals(6, answers.size(), "every image of the test folder");
        int correct = 0;
        for (var answer : answers) {
            Path image = Path.of(answer.getAsJsonObject().get("image").getAsString());
            JsonArray ranked = answer.getAsJsonObject().get("top").getAsJsonArray();
            double sum = 0;
            for (var c : ranked) {
                sum += c.getAsJsonObject().get("probability").getAsDouble();
                assertEquals(
                        CLASSES.get(c.getAsJsonObject().get("class").getAsInt()),
                        c.getAsJsonObject().get("name").getAsString());
            }
            assertEquals(1.0, sum, 1e-5, "all three classes' probabilities");
            if (ranked.get(0)
                    .getAsJsonObject()
                    .get("name")
                    .getAsString()
                    .equals(image.getParent().getFileName().toString())) {
                correct++;
            }
        }
        CliRun evaluated =
                CliRun.glora(
                        "evaluate",
                        "--model",
                        lora.toString(),
                        "--task",
                        task.toString(),
                        "--split",
                        "test",
                        "--json",
                        "--threads",
                        "1");
        assertEquals(
                correct,
                JsonParser.parseString(evaluated.out()).getAsJsonObject().get("correct").getAsInt(),
                predicted.out());
        CliRun plain =
                CliRun.glora(
                        "predict",
                        "--model",
                        lora.toString(),
                        "--top",
                        "1",
                        "--threads",
                        "1",
                        test.resolve("dog").resolve("img 0.PNG").toString());
        assertTrue(
                plain.out()
                        .matches(
                                Pattern.quote(test.resolve("dog").resolve("img 0.PNG").toString())
                                        + "\t(cat|dog|red fox) [01]\\.\\d{4}\\R"),
                plain.out());
        CliRun missing =
                CliRun.glora(
                        "predict", "--model", lora.toString(), dir.resolve("none.png").toString());
        assertEquals(2, missing.status());
        assertTrue(
                missing.err().contains(dir.resolve("none.png") + ": no such image file"),
                missing.err());
        assertEquals(
                2,
                CliRun.glora("predict", "--model", lora.toString(), "--batch", "0", test.toString())
                        .status());
        CliRun noConfig = CliRun.glora("predict", "--model", supernet.toString(), test.toString());
        assertTrue(
                noConfig.err().contains("is a supernet; --config names the subnet to use"),
                noConfig.err());
    }

    @Test
    void theSameSeedGivesTheSameTaskAndAnotherSeedAnotherDraw() throws IOException {
        String[] common = {
            "data",
            "folders",
            "--train",
            train.toString(),
            "--test-size",
            "4",
            "--train-size",
            "9",
            "--val-size",
            "3"
        };
        List<List<String>> draws = new ArrayList<>();
        for (String[] run : new String[][] {{"a", "0"}, {"b", "0"}, {"c", "1"}}) {
            Path task = dir.resolve(run[0]);
            String[] args =
                    Stream.concat(
                                    Stream.of(common),
                                    Stream.of("--out", task.toString(), "--seed", run[1]))
                            .toArray(String[]::new);
            assertEquals(0, CliRun.glora(args).status());
            List<String> draw = new ArrayList<>();
            for (String list : Vtab1k.LISTS) {
                ImageDataset read = Vtab1k.read(task, list);
                for (int i = 0; i < read.size(); i++) {
                    draw.add(list + " " + read.images().get(i).at(0, 0, 0));
                }
            }
            draws.add(draw);
        }
        assertEquals(draws.get(0), draws.get(1));
        assertNotEquals(draws.get(0), draws.get(2));
        assertEquals(
                4 + 9 + 3 + 12, draws.get(0).size(), "test 4, train 9, val 3, train800val200 12");
    }

    @Test
    void badFoldersAreOneClearErrorAndWriteNothing() throws IOException {
        Path task = dir.resolve("task");
        CliRun tooFew =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString());
        assertEquals(2, tooFew.status());
        assertTrue(
                tooFew.err()
                        .contains(
                                train
                                        + ": 30 images, but the lists drawn from it need 1000 (train 800,"
                                        + " val 200); ask for fewer"),
                tooFew.err());

        image(dir.resolve("other").resolve("wolf").resolve("w.png"), 0, 0);
        CliRun unknown =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        dir.resolve("other").toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "5",
                        "--val-size",
                        "5");
        assertTrue(
                unknown.err()
                        .contains("class \"wolf\" is not one of the 3 classes [cat, dog, red fox]"),
                unknown.err());

        Files.writeString(train.resolve("dog").resolve("notes.png"), "not an image");
        CliRun corrupt =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "31",
                        "--val-size",
                        "0");
        assertTrue(corrupt.err().contains("at least one image each"), corrupt.err());
        corrupt =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "30",
                        "--val-size",
                        "1");
        assertEquals(2, corrupt.status());
        assertTrue(
                corrupt.err()
                        .contains(
                                train.resolve("dog").resolve("notes.png")
                                        + ": not an image in a format the JDK reads"),
                corrupt.err());

        CliRun noTest =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "5",
                        "--val-size",
                        "5");
        assertTrue(noTest.err().contains("give its size"), noTest.err());
        assertFalse(Files.exists(task), "nothing was written");

        Files.createDirectories(task.resolve("kept"));
        CliRun taken =
                CliRun.glora(
                        "data",
                        "folders",
                        "--train",
                        train.toString(),
                        "--test",
                        test.toString(),
                        "--out",
                        task.toString(),
                        "--train-size",
                        "5",
                        "--val-size",
                        "5");
        assertTrue(taken.err().contains(task + ": exists and is not an empty folder"), taken.err());
        assertTrue(Files.isDirectory(task.resolve("kept")), "what was there is kept");
    }
}
