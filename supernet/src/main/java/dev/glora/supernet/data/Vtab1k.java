package dev.glora.supernet.data;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.glora.supernet.ConfinedFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A VTAB-1K task folder as its users prepare it: list files {@code train800.txt}, {@code
 * val200.txt}, {@code train800val200.txt} and {@code test.txt}, each line {@code
 * images/<split>/<name>.<ext> <label>} with the path relative to the folder. An optional {@code
 * task.json} may state {@code num_classes}; without it the class count is one more than the largest
 * label in any of the four lists.
 */
public final class Vtab1k {

    /** The four lists every task has, in the order the protocol uses them. */
    public static final List<String> LISTS =
            List.of("train800", "val200", "train800val200", "test");

    /** The optional description of a task. */
    public static final String TASK_FILE = "task.json";

    private Vtab1k() {}

    /** One line of a list file. */
    record Entry(Path image, int label, String origin) {}

    /**
     * @param taskDir the task folder
     * @param list a list name ({@code train800}, {@code val200}, {@code test}, …) or file name
     * @return the list's file
     */
    public static Path listFile(Path taskDir, String list) {
        return taskDir.resolve(list.endsWith(".txt") ? list : list + ".txt");
    }

    /**
     * Reads a list and decodes every image it names.
     *
     * @param taskDir the task folder
     * @param list a list name or file name
     * @return the split, origins {@code <list file>:<line>}
     * @throws DataException naming the file and line of the first problem
     */
    public static ImageDataset read(Path taskDir, String list) {
        return read(null, taskDir, list);
    }

    /**
     * Reads a list and decodes every image it names, each opened by a walk from {@code root}
     * ({@link ConfinedFiles}): the service passes its data root, so that not even the task folder
     * swapped for a link after the job's check leads out of it.
     *
     * @param root the folder every file must lie in; null: the task folder
     * @param taskDir the task folder
     * @param list a list name or file name
     * @return the split, origins {@code <list file>:<line>}
     * @throws DataException naming the file and line of the first problem
     */
    public static ImageDataset read(Path root, Path taskDir, String list) {
        List<Entry> entries = entries(taskDir, list);
        Path within = root != null ? root : realFolder(taskDir);
        Image[] images = new Image[entries.size()];
        IntStream.range(0, images.length)
                .parallel()
                .forEach(
                        i -> {
                            Entry entry = entries.get(i);
                            try {
                                // opened within the task folder, whatever was swapped in since the
                                // list was checked
                                images[i] = ImageCodec.read(within, entry.image());
                            } catch (DataException e) {
                                throw new DataException(entry.origin() + ": " + e.getMessage(), e);
                            }
                        });
        int[] labels = entries.stream().mapToInt(Entry::label).toArray();
        return new ImageDataset(
                listFile(taskDir, list).toString(),
                List.of(images),
                labels,
                entries.stream().map(Entry::origin).toList());
    }

    /** The task folder's real path: every file read from it must lie under it. */
    private static Path realFolder(Path taskDir) {
        try {
            return taskDir.toRealPath();
        } catch (IOException e) {
            throw new DataException(taskDir + ": no such task folder");
        }
    }

    /**
     * A file's real path, if it lies under {@code root}: a symbolic link inside the task folder
     * that leads out of it is refused, and the file is then read by the path that was checked. A
     * file that does not exist is returned as it is (reading it names it).
     */
    private static Path confined(Path file, Path root, String what) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return file;
        }
        try {
            Path real = file.toRealPath();
            if (!real.startsWith(root)) {
                throw new DataException(
                        what
                                + " leads out of the task folder "
                                + root
                                + " through a symbolic link"
                                + " (to "
                                + real
                                + ")");
            }
            return real;
        } catch (IOException e) {
            // a dangling link: not outside, and reading it will say it is missing
            return file;
        }
    }

    /**
     * Parses a list without decoding its images.
     *
     * @param taskDir the task folder
     * @param list a list name or file name
     * @return its entries, in file order
     */
    static List<Entry> entries(Path taskDir, String list) {
        Path root = realFolder(taskDir);
        Path file =
                confined(listFile(root, list), root, listFile(taskDir, list) + ": the list file");
        List<String> lines;
        try (BufferedReader in =
                new BufferedReader(
                        Channels.newReader(
                                ConfinedFiles.open(root, file), StandardCharsets.UTF_8))) {
            lines = in.lines().toList();
        } catch (ConfinedFiles.OutsideRoot e) {
            throw new DataException(listFile(taskDir, list) + ": the list file " + e.getReason());
        } catch (NoSuchFileException e) {
            throw new DataException(
                    file
                            + ": no such list file (a VTAB-1K task folder holds "
                            + String.join(".txt, ", LISTS)
                            + ".txt)");
        } catch (IOException | UncheckedIOException e) {
            throw new DataException(file + ": unreadable: " + e.getMessage(), e);
        }
        List<Entry> entries = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) {
                continue;
            }
            String origin = file + ":" + (n + 1);
            int space = Math.max(line.lastIndexOf(' '), line.lastIndexOf('\t'));
            if (space < 0) {
                throw new DataException(
                        origin + ": expected \"<image path> <label>\", got \"" + line + "\"");
            }
            String path = line.substring(0, space).strip();
            String labelText = line.substring(space + 1);
            int label;
            try {
                label = Integer.parseInt(labelText);
            } catch (NumberFormatException e) {
                throw new DataException(origin + ": label \"" + labelText + "\" is not an integer");
            }
            if (label < 0) {
                throw new DataException(origin + ": label " + label + " is negative");
            }
            Path image = root.resolve(path).normalize();
            if (Path.of(path).isAbsolute() || !image.startsWith(root)) {
                throw new DataException(
                        origin + ": image path \"" + path + "\" leaves the task folder");
            }
            entries.add(
                    new Entry(
                            confined(image, root, origin + ": image \"" + path + "\""),
                            label,
                            origin));
        }
        if (entries.isEmpty()) {
            throw new DataException(file + ": the split is empty");
        }
        return entries;
    }

    /**
     * Whether two lists name an image in common, compared by real path: {@code train800val200}
     * holds every image of {@code val200}, so accuracy on val200 after training on it is not a
     * held-out figure.
     *
     * @param taskDir the task folder
     * @param list a list name or file name
     * @param other another
     * @return true when some image is in both
     * @throws DataException naming the file and line of the first problem in either list
     */
    public static boolean shareImages(Path taskDir, String list, String other) {
        Set<Path> images = new HashSet<>();
        entries(taskDir, list).forEach(entry -> images.add(entry.image()));
        return entries(taskDir, other).stream().anyMatch(entry -> images.contains(entry.image()));
    }

    /**
     * The task's class count: {@code num_classes} from {@code task.json} when present, else one
     * more than the largest label in the lists present.
     *
     * @param taskDir the task folder
     * @return the number of classes
     */
    public static int classCount(Path taskDir) {
        Path description = taskDir.resolve(TASK_FILE);
        if (Files.isRegularFile(description)) {
            try {
                JsonObject json =
                        JsonParser.parseString(Files.readString(description)).getAsJsonObject();
                if (json.has("num_classes")) {
                    int classes = json.get("num_classes").getAsInt();
                    if (classes < 1) {
                        throw new DataException(
                                description + ": num_classes must be positive, got " + classes);
                    }
                    return classes;
                }
            } catch (IOException
                    | JsonParseException
                    | IllegalStateException
                    | UnsupportedOperationException e) {
                throw new DataException(
                        description + ": not a task description: " + e.getMessage(), e);
            }
        }
        int max = -1;
        for (String list : LISTS) {
            if (Files.isRegularFile(listFile(taskDir, list))) {
                for (Entry entry : entries(taskDir, list)) {
                    max = Math.max(max, entry.label());
                }
            }
        }
        if (max < 0) {
            throw new DataException(
                    taskDir
                            + ": not a VTAB-1K task folder (no "
                            + String.join(".txt, ", LISTS)
                            + ".txt)");
        }
        return max + 1;
    }

    /**
     * The class names a task folder's {@code task.json} gives ({@code "classes"}, in label order,
     * as {@code glora data folders} writes them).
     *
     * @param taskDir the task folder
     * @return the names, or an empty list when the folder names none
     * @throws DataException if {@code task.json} is not valid, or its names do not match its class
     *     count
     */
    public static List<String> classNames(Path taskDir) {
        Path description = taskDir.resolve(TASK_FILE);
        if (!Files.isRegularFile(description)) {
            return List.of();
        }
        try {
            JsonObject json =
                    JsonParser.parseString(Files.readString(description)).getAsJsonObject();
            if (!json.has("classes")) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            json.get("classes").getAsJsonArray().forEach(name -> names.add(name.getAsString()));
            // the stated count when there is one (glora data folders states it), not a second read
            // of the lists
            int classes =
                    json.has("num_classes")
                            ? json.get("num_classes").getAsInt()
                            : classCount(taskDir);
            if (names.size() != classes) {
                throw new DataException(
                        description
                                + ": \"classes\" names "
                                + names.size()
                                + " classes, the task has "
                                + classes);
            }
            return List.copyOf(names);
        } catch (IOException
                | JsonParseException
                | IllegalStateException
                | UnsupportedOperationException e) {
            throw new DataException(description + ": not a task description: " + e.getMessage(), e);
        }
    }

    /**
     * Image paths relative to a task folder, with their labels.
     *
     * @param paths the paths
     * @param labels one label per path
     */
    public record Listed(List<String> paths, int[] labels) {

        /** Checks that every path has its label. */
        public Listed {
            if (paths.size() != labels.length) {
                throw new IllegalArgumentException(
                        paths.size() + " paths but " + labels.length + " labels");
            }
        }
    }

    /**
     * Writes a task's four lists: {@code train800}, {@code val200}, {@code train800val200} (the
     * two, in that order) and {@code test}.
     *
     * @param taskDir the task folder
     * @param train the training images
     * @param val the validation images
     * @param test the test images
     */
    public static void writeLists(Path taskDir, Listed train, Listed val, Listed test) {
        writeList(taskDir, "train800", train.paths(), train.labels());
        writeList(taskDir, "val200", val.paths(), val.labels());
        List<String> both = new ArrayList<>(train.paths());
        both.addAll(val.paths());
        writeList(
                taskDir,
                "train800val200",
                both,
                IntStream.concat(Arrays.stream(train.labels()), Arrays.stream(val.labels()))
                        .toArray());
        writeList(taskDir, "test", test.paths(), test.labels());
    }

    /**
     * Writes a list file, atomically.
     *
     * @param taskDir the task folder
     * @param list the list name
     * @param paths image paths relative to the folder
     * @param labels one label per path
     */
    public static void writeList(Path taskDir, String list, List<String> paths, int[] labels) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < paths.size(); i++) {
            text.append(paths.get(i)).append(' ').append(labels[i]).append('\n');
        }
        Path file = listFile(taskDir, list);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DataException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
