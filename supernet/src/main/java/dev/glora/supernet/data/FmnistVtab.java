package dev.glora.supernet.data;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Builds the six FMNIST-VTAB tasks of BENCHMARK.md §1 from Fashion-MNIST, as VTAB-1K task folders
 * of PNG images, deterministically from one seed.
 *
 * <p>Each task draws (seeded, without replacement) {@code train + val} images from the train split
 * and transforms every test image the same way. Labels of the structured tasks: rotation k means
 * rotated k·90° counter-clockwise; location c places a 14x14 copy at row {@code 7·(c / 3)}, column
 * {@code 7·(c % 3)}; count c shows c + 1 images shrunk to 9x9 in distinct cells of a 3x3 grid of
 * 9-pixel cells. {@code new5} also gets the few-shot training lists {@code train<K>shot.txt}: the
 * first K examples of each class in {@code train800} order, so smaller shots are subsets of larger
 * ones.
 */
public final class FmnistVtab {

    /** The shots of the few-shot lists. */
    public static final int[] SHOTS = {1, 2, 4, 8, 16};

    /** The tasks, with their VTAB group and class count. */
    public enum Task {
        /** Classes 5–9, which the backbone never saw. */
        NEW5("new5", "natural", 5),
        /** All ten classes. */
        ALL10("all10", "natural", 10),
        /** All ten classes, pixel values inverted. */
        INVERT("invert", "specialized", 10),
        /** Which of four rotations. */
        ROTATION("rotation", "structured", 4),
        /** Which of nine positions. */
        LOCATION("location", "structured", 9),
        /** How many objects, less one. */
        COUNT("count", "structured", 4);

        private final String folder;
        private final String group;
        private final int classes;

        Task(String folder, String group, int classes) {
            this.folder = folder;
            this.group = group;
            this.classes = classes;
        }

        /**
         * @return the task folder's name
         */
        public String folder() {
            return folder;
        }

        /**
         * @return the number of classes
         */
        public int classes() {
            return classes;
        }
    }

    /**
     * How many examples each task gets.
     *
     * @param train training examples (the protocol: 800)
     * @param val validation examples (200)
     * @param test test examples, or -1 for the whole test split
     * @param largeVal examples of a larger selection list, {@code val<N>.txt}, drawn from the train
     *     split after (and apart from) train and val, so those stay exactly as without it; 0 for
     *     none
     */
    public record Sizes(int train, int val, int test, int largeVal) {

        /** The protocol's sizes, with no larger selection list. */
        public static final Sizes VTAB_1K = new Sizes(800, 200, -1, 0);

        /** Checks the counts. */
        public Sizes {
            if (train < 1 || val < 1 || test == 0 || test < -1 || largeVal < 0) {
                throw new IllegalArgumentException(
                        "train and val must be positive, test positive or -1 and the"
                                + " larger val not negative, got "
                                + train
                                + ", "
                                + val
                                + ", "
                                + test
                                + ", "
                                + largeVal);
            }
        }

        /**
         * @return the name of the larger selection list, e.g. {@code val2000}
         */
        public String largeValList() {
            return "val" + largeVal;
        }
    }

    private FmnistVtab() {}

    /**
     * Writes every task into {@code out/<task>/}.
     *
     * @param train the Fashion-MNIST train split
     * @param test the Fashion-MNIST test split
     * @param out the folder to fill
     * @param seed the seed of every draw
     * @param sizes examples per task
     * @param provenance recorded in every {@code task.json}
     */
    public static void write(
            ImageDataset train,
            ImageDataset test,
            Path out,
            long seed,
            Sizes sizes,
            Map<String, String> provenance) {
        for (Task task : Task.values()) {
            write(task, train, test, out.resolve(task.folder()), seed, sizes, provenance);
        }
    }

    /**
     * Writes one task folder.
     *
     * @param task the task
     * @param train the Fashion-MNIST train split
     * @param test the Fashion-MNIST test split
     * @param dir the task folder
     * @param seed the seed
     * @param sizes examples
     * @param provenance recorded in {@code task.json}
     */
    public static void write(
            Task task,
            ImageDataset train,
            ImageDataset test,
            Path dir,
            long seed,
            Sizes sizes,
            Map<String, String> provenance) {
        SplittableRandom random =
                new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (task.ordinal() + 1)));
        SplittableRandom testRandom = random.split();
        int[] pool = pool(task, train);
        int needed = sizes.train() + sizes.val() + sizes.largeVal();
        if (pool.length < needed) {
            throw new DataException(
                    train.name()
                            + ": task "
                            + task.folder()
                            + " needs "
                            + needed
                            + " images, the split has "
                            + pool.length
                            + " eligible");
        }
        Permutation.shuffle(pool, random);
        int[] drawn = Arrays.copyOf(pool, sizes.train() + sizes.val());
        List<Example> trainVal = new ArrayList<>();
        for (int index : drawn) {
            trainVal.add(make(task, train, index, pool, random));
        }
        // drawn after train and val from the same generator, so those are the same with or without
        // it
        List<Example> largeVal = new ArrayList<>();
        for (int i = 0; i < sizes.largeVal(); i++) {
            largeVal.add(make(task, train, pool[drawn.length + i], pool, random));
        }
        int[] testPool = pool(task, test);
        int testCount =
                sizes.test() < 0 ? testPool.length : Math.min(sizes.test(), testPool.length);
        List<Example> tests = new ArrayList<>();
        for (int i = 0; i < testCount; i++) {
            tests.add(make(task, test, testPool[i], testPool, testRandom));
        }
        List<Example> trainPart = trainVal.subList(0, sizes.train());
        List<Example> valPart = trainVal.subList(sizes.train(), trainVal.size());
        List<String> trainPaths = save(dir, "train", trainPart);
        Vtab1k.writeLists(
                dir,
                new Vtab1k.Listed(trainPaths, labels(trainPart)),
                new Vtab1k.Listed(save(dir, "val", valPart), labels(valPart)),
                new Vtab1k.Listed(save(dir, "test", tests), labels(tests)));
        if (sizes.largeVal() > 0) {
            Vtab1k.writeList(
                    dir,
                    sizes.largeValList(),
                    save(dir, sizes.largeValList(), largeVal),
                    labels(largeVal));
        }
        if (task == Task.NEW5) {
            writeShots(dir, trainPaths, labels(trainPart), task.classes());
        }
        describe(task, dir, seed, sizes, provenance);
    }

    private record Example(Image image, int label) {}

    private static int[] pool(Task task, ImageDataset split) {
        return IntStream.range(0, split.size())
                .filter(i -> task != Task.NEW5 || split.label(i) >= 5)
                .toArray();
    }

    private static Example make(
            Task task, ImageDataset split, int index, int[] pool, SplittableRandom random) {
        Image image = split.images().get(index);
        return switch (task) {
            case NEW5 -> new Example(image, split.label(index) - 5);
            case ALL10 -> new Example(image, split.label(index));
            case INVERT -> new Example(invert(image), split.label(index));
            case ROTATION -> {
                int k = random.nextInt(4);
                yield new Example(rotate(image, k), k);
            }
            case LOCATION -> {
                int cell = random.nextInt(9);
                yield new Example(locate(image, cell), cell);
            }
            case COUNT -> {
                int count = 1 + random.nextInt(4);
                int[] cells = IntStream.range(0, 9).toArray();
                Permutation.shuffle(cells, random);
                List<Image> objects = new ArrayList<>();
                objects.add(image);
                for (int i = 1; i < count; i++) {
                    objects.add(split.images().get(pool[random.nextInt(pool.length)]));
                }
                yield new Example(scatter(objects, Arrays.copyOf(cells, count)), count - 1);
            }
        };
    }

    /**
     * @param image a grey image
     * @return 255 minus every pixel
     */
    public static Image invert(Image image) {
        byte[] out = image.pixels().clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (255 - (out[i] & 0xff));
        }
        return new Image(image.channels(), image.height(), image.width(), out);
    }

    /**
     * @param image a square image
     * @param k quarter turns, counter-clockwise (as {@code numpy.rot90})
     * @return the rotated image
     */
    public static Image rotate(Image image, int k) {
        Image out = image;
        for (int turn = 0; turn < (k & 3); turn++) {
            Image src = out;
            Image next =
                    new Image(
                            src.channels(),
                            src.width(),
                            src.height(),
                            new byte[src.pixels().length]);
            for (int c = 0; c < src.channels(); c++) {
                for (int y = 0; y < next.height(); y++) {
                    for (int x = 0; x < next.width(); x++) {
                        next.set(c, y, x, src.at(c, x, src.width() - 1 - y));
                    }
                }
            }
            out = next;
        }
        return out;
    }

    /**
     * @param image a 28x28 image
     * @param cell 0 to 8, row-major
     * @return a black 28x28 canvas with the image shrunk to 14x14 at ({@code 7·(cell/3)}, {@code
     *     7·(cell%3)})
     */
    public static Image locate(Image image, int cell) {
        Image canvas = Image.blankGrey(image.height(), image.width());
        paste(image.resized(14, 14), canvas, 7 * (cell / 3), 7 * (cell % 3));
        return canvas;
    }

    /**
     * @param objects the images to place
     * @param cells one distinct cell (0 to 8, row-major) per image
     * @return a black 28x28 canvas with each image shrunk to 9x9 at ({@code 9·(cell/3)}, {@code
     *     9·(cell%3)})
     */
    public static Image scatter(List<Image> objects, int[] cells) {
        Image canvas = Image.blankGrey(28, 28);
        for (int i = 0; i < objects.size(); i++) {
            paste(objects.get(i).resized(9, 9), canvas, 9 * (cells[i] / 3), 9 * (cells[i] % 3));
        }
        return canvas;
    }

    private static void paste(Image small, Image canvas, int top, int left) {
        for (int y = 0; y < small.height(); y++) {
            for (int x = 0; x < small.width(); x++) {
                canvas.set(0, top + y, left + x, small.at(0, y, x));
            }
        }
    }

    private static List<String> save(Path dir, String split, List<Example> examples) {
        Path folder = dir.resolve("images").resolve(split);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new DataException(folder + ": cannot create: " + e.getMessage(), e);
        }
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            paths.add("images/" + split + "/" + String.format("%05d.png", i));
        }
        IntStream.range(0, examples.size())
                .parallel()
                .forEach(
                        i ->
                                ImageCodec.writePng(
                                        examples.get(i).image(), dir.resolve(paths.get(i))));
        return paths;
    }

    private static int[] labels(List<Example> examples) {
        return examples.stream().mapToInt(Example::label).toArray();
    }

    private static void writeShots(Path dir, List<String> paths, int[] labels, int classes) {
        for (int shots : SHOTS) {
            List<String> chosen = new ArrayList<>();
            List<Integer> chosenLabels = new ArrayList<>();
            int[] taken = new int[classes];
            for (int i = 0; i < paths.size(); i++) {
                if (taken[labels[i]] < shots) {
                    taken[labels[i]]++;
                    chosen.add(paths.get(i));
                    chosenLabels.add(labels[i]);
                }
            }
            Vtab1k.writeList(
                    dir,
                    "train" + shots + "shot",
                    chosen,
                    chosenLabels.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private static void describe(
            Task task, Path dir, long seed, Sizes sizes, Map<String, String> provenance) {
        JsonObject json = new JsonObject();
        json.addProperty("name", task.folder());
        json.addProperty("group", task.group);
        json.addProperty("num_classes", task.classes());
        json.addProperty("seed", seed);
        json.addProperty("train", sizes.train());
        json.addProperty("val", sizes.val());
        if (sizes.largeVal() > 0) {
            json.addProperty(sizes.largeValList(), sizes.largeVal());
        }
        provenance.forEach(json::addProperty);
        try {
            Files.writeString(
                    dir.resolve(Vtab1k.TASK_FILE),
                    new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        } catch (IOException e) {
            throw new DataException(
                    dir.resolve(Vtab1k.TASK_FILE) + ": cannot write: " + e.getMessage(), e);
        }
    }
}
