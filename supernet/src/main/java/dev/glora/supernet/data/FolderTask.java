package dev.glora.supernet.data;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.glora.supernet.ConfinedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;

/**
 * A VTAB-1K task folder made from image folders, one sub-folder per class as torchvision's {@code
 * ImageFolder} reads them (the training folder's sorted class names give the labels): {@code
 * train800} and {@code val200} drawn at random from the training folder, as VTAB-1K draws its 1,000
 * labelled examples (or {@code val200} from a validation folder of its own), the whole test folder
 * as {@code test} (or a test list drawn from the training folder too, apart from the others), and
 * optionally a larger selection list {@code val<N>}. The images are copied into the task folder, so
 * it can be moved under a data root whole.
 */
public final class FolderTask {

    private FolderTask() {}

    /**
     * Where the images come from.
     *
     * @param train one sub-folder per class
     * @param val a folder of the same classes to draw val200 from, or null: from {@code train}
     * @param test a folder of the same classes, all of it the test list, or null: drawn from {@code
     *     train}
     */
    public record Sources(Path train, Path val, Path test) {}

    /**
     * How many images each list draws.
     *
     * @param train the training list's ({@code train800})
     * @param val the validation list's ({@code val200})
     * @param largeVal a larger selection list's, {@code val<N>}, drawn from the training folder
     *     apart from the others; 0: none
     * @param test the test list's when drawn from the training folder (without a test folder)
     */
    public record Sizes(int train, int val, int largeVal, int test) {

        /** Checks the sizes. */
        public Sizes {
            if (train < 1 || val < 1 || largeVal < 0 || test < 0) {
                throw new DataException(
                        "the training and validation lists need at least one image each, and no"
                                + " list a negative count: got train "
                                + train
                                + ", val "
                                + val
                                + ", large val "
                                + largeVal
                                + ", test "
                                + test);
            }
        }
    }

    /**
     * What was written.
     *
     * @param classes the class names, in label order
     * @param train images in {@code train800}
     * @param val images in {@code val200}
     * @param largeVal images in {@code val<N>}
     * @param test images in {@code test}
     */
    public record Summary(List<String> classes, int train, int val, int largeVal, int test) {}

    /**
     * Writes the task folder: every image is checked (it must decode) before anything is written,
     * and the folder appears whole or not at all.
     *
     * @param sources where the images come from
     * @param out the task folder to create; it must not exist, or be empty
     * @param seed the seed of every draw
     * @param sizes how many images each list draws
     * @param provenance recorded in {@code task.json}
     * @return what was written
     * @throws DataException naming the folder or file that is wrong, before anything is written
     */
    public static Summary write(
            Sources sources, Path out, long seed, Sizes sizes, Map<String, String> provenance) {
        if (Files.exists(out) && !isEmptyFolder(out)) {
            throw new DataException(out + ": exists and is not an empty folder; choose a new one");
        }
        if ((sources.test() == null) == (sizes.test() == 0)) {
            throw new DataException(
                    sources.test() == null
                            ? "without a test folder, the test list is drawn from the training folder: give its size"
                            : "a test folder is the test list, whole: give no test size beside it");
        }
        List<String> classes = ImageFolders.classes(sources.train());
        List<ImageFolders.Labelled> pool = ImageFolders.files(sources.train(), classes);
        SplittableRandom random = new SplittableRandom(seed);
        int[] order = Permutation.of(pool.size(), random);
        int fromTrain =
                sizes.train()
                        + (sources.val() == null ? sizes.val() : 0)
                        + sizes.largeVal()
                        + sizes.test();
        if (pool.size() < fromTrain) {
            throw new DataException(
                    sources.train()
                            + ": "
                            + pool.size()
                            + " images, but the lists drawn from it need "
                            + fromTrain
                            + " (train "
                            + sizes.train()
                            + (sources.val() == null ? ", val " + sizes.val() : "")
                            + (sizes.largeVal() > 0 ? ", large val " + sizes.largeVal() : "")
                            + (sizes.test() > 0 ? ", test " + sizes.test() : "")
                            + "); ask for fewer");
        }
        int next = 0;
        List<ImageFolders.Labelled> train = take(pool, order, next, sizes.train());
        next += sizes.train();
        List<ImageFolders.Labelled> val;
        if (sources.val() == null) {
            val = take(pool, order, next, sizes.val());
            next += sizes.val();
        } else {
            List<ImageFolders.Labelled> valPool = ImageFolders.files(sources.val(), classes);
            if (valPool.size() < sizes.val()) {
                throw new DataException(
                        sources.val()
                                + ": "
                                + valPool.size()
                                + " images, but val needs "
                                + sizes.val()
                                + "; ask for fewer");
            }
            val = take(valPool, Permutation.of(valPool.size(), random.split()), 0, sizes.val());
        }
        List<ImageFolders.Labelled> largeVal = take(pool, order, next, sizes.largeVal());
        next += sizes.largeVal();
        List<ImageFolders.Labelled> test =
                sources.test() == null
                        ? take(pool, order, next, sizes.test())
                        : ImageFolders.files(sources.test(), classes);

        List<ImageFolders.Labelled> all = new ArrayList<>(train);
        all.addAll(val);
        all.addAll(largeVal);
        all.addAll(test);
        // decoded (and dropped) in parallel, so a bad file stops the command before it writes
        // anything:
        // on a pool of its own, not the JVM's shared one, which a waiting decode (ImageCodec's
        // pixel
        // budget) would hold up for everything else in the process
        checkAll(all);

        Path parent = out.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".");
        } catch (IOException e) {
            throw new DataException(out + ": cannot create it: " + e.getMessage(), e);
        }
        try {
            Vtab1k.writeLists(
                    tmp,
                    new Vtab1k.Listed(copy(tmp, "train", train), labels(train)),
                    new Vtab1k.Listed(copy(tmp, "val", val), labels(val)),
                    new Vtab1k.Listed(copy(tmp, "test", test), labels(test)));
            String largeValList = "val" + sizes.largeVal();
            if (sizes.largeVal() > 0) {
                Vtab1k.writeList(
                        tmp, largeValList, copy(tmp, largeValList, largeVal), labels(largeVal));
            }
            describe(tmp, out.getFileName().toString(), classes, sources, seed, sizes, provenance);
            if (Files.exists(out)) {
                Files.delete(out); // empty, checked above
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DataException(out + ": cannot write the task: " + e.getMessage(), e);
        } finally {
            // a leftover is a hidden temporary folder beside the task; nothing reads it
            ConfinedFiles.deleteTree(tmp);
        }
        return new Summary(classes, train.size(), val.size(), largeVal.size(), test.size());
    }

    /** Threads that check one data set's images: at most 4, fewer on a smaller machine. */
    static final int CHECK_THREADS =
            Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private static void checkAll(List<ImageFolders.Labelled> images) {
        ForkJoinPool pool = new ForkJoinPool(CHECK_THREADS);
        try {
            pool.submit(
                            () ->
                                    images.parallelStream()
                                            .forEach(image -> ImageCodec.read(image.file())))
                    .get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new DataException("checking the images failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException("interrupted while checking the images");
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean isEmptyFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.findAny().isEmpty();
        } catch (IOException e) {
            throw new DataException(dir + ": unreadable folder: " + e.getMessage(), e);
        }
    }

    private static List<ImageFolders.Labelled> take(
            List<ImageFolders.Labelled> pool, int[] order, int from, int n) {
        List<ImageFolders.Labelled> taken = new ArrayList<>(n);
        for (int i = from; i < from + n; i++) {
            taken.add(pool.get(order[i]));
        }
        return taken;
    }

    private static int[] labels(List<ImageFolders.Labelled> images) {
        return images.stream().mapToInt(ImageFolders.Labelled::label).toArray();
    }

    /** Copies the images to {@code images/<split>/<index>.<extension>}; returns those paths. */
    private static List<String> copy(Path dir, String split, List<ImageFolders.Labelled> images)
            throws IOException {
        Path folder = Files.createDirectories(dir.resolve("images").resolve(split));
        List<String> paths = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            String name = images.get(i).file().getFileName().toString();
            int dot = name.lastIndexOf('.');
            String extension = dot > 0 ? name.substring(dot).toLowerCase(Locale.ROOT) : "";
            String file = String.format(Locale.ROOT, "%05d%s", i, extension);
            Files.copy(images.get(i).file(), folder.resolve(file));
            paths.add("images/" + split + "/" + file);
        }
        return paths;
    }

    private static void describe(
            Path dir,
            String name,
            List<String> classes,
            Sources sources,
            long seed,
            Sizes sizes,
            Map<String, String> provenance)
            throws IOException {
        JsonObject json = new JsonObject();
        json.addProperty("name", name);
        json.addProperty("num_classes", classes.size());
        JsonArray names = new JsonArray();
        classes.forEach(names::add);
        json.add("classes", names);
        json.addProperty("seed", seed);
        json.addProperty("train", sizes.train());
        json.addProperty("val", sizes.val());
        if (sizes.largeVal() > 0) {
            json.addProperty("val" + sizes.largeVal(), sizes.largeVal());
        }
        json.addProperty("source_train", sources.train().toAbsolutePath().normalize().toString());
        if (sources.val() != null) {
            json.addProperty("source_val", sources.val().toAbsolutePath().normalize().toString());
        }
        if (sources.test() != null) {
            json.addProperty("source_test", sources.test().toAbsolutePath().normalize().toString());
        }
        provenance.forEach(json::addProperty);
        Files.writeString(
                dir.resolve(Vtab1k.TASK_FILE),
                new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
    }
}
