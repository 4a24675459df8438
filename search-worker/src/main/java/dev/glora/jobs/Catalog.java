package dev.glora.jobs;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.Choice;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What a user can pick for a job: the checkpoints under the model root and the VTAB-1K task folders
 * under the data root. Only headers and list files are read, never a whole checkpoint.
 */
public final class Catalog {

    /** How deep under a root entries are looked for. */
    public static final int MAX_DEPTH = 4;

    /** Metadata keys shown as a checkpoint's provenance. */
    private static final List<String> PROVENANCE =
            List.of(
                    "producer",
                    "source_file",
                    "source_sha256",
                    "source_format",
                    "source_dropped",
                    "import_notes");

    private Catalog() {}

    /**
     * One checkpoint.
     *
     * @param name its path relative to the model root, as a job's {@code backbone} names it
     * @param bytes its size
     * @param kind what it is, written as {@code plain}, {@code supernet}, {@code undescribed} or
     *     {@code invalid}
     * @param architecture its architecture's name, or null
     * @param shape the architecture's entries (img_size, patch_size, embed_dim, …), empty when
     *     unknown
     * @param parameters values in all its tensors
     * @param provenance where it came from (producer, source file and SHA-256, what was dropped)
     * @param error why it cannot be used, or null
     */
    public record Model(
            String name,
            long bytes,
            Kind kind,
            String architecture,
            Map<String, String> shape,
            long parameters,
            Map<String, String> provenance,
            String error) {}

    /** What a checkpoint in the model root is. */
    public enum Kind implements Choice {
        /** A usable backbone. */
        PLAIN,
        /** A supernet a job trained. */
        SUPERNET,
        /** A foreign file without an architecture in its metadata: import it first. */
        UNDESCRIBED,
        /** Not a checkpoint this service can read. */
        INVALID
    }

    /**
     * One task folder.
     *
     * @param name its path relative to the data root, as a job's {@code data} names it
     * @param classes its class count, or 0 when it cannot be read
     * @param classNames the class names in label order, when its {@code task.json} gives them; else
     *     empty
     * @param splits images per list file present ({@code train800}, {@code val200}, …)
     * @param error why it cannot be used, or null
     */
    public record Dataset(
            String name,
            int classes,
            List<String> classNames,
            Map<String, Integer> splits,
            String error) {}

    /**
     * @param root the model root
     * @return every {@code .safetensors} file under it (hidden files and folders left out), by name
     */
    public static List<Model> models(Path root) {
        List<Model> models = new ArrayList<>();
        for (Path file : walk(root)) {
            if (Files.isRegularFile(file)
                    && file.getFileName().toString().endsWith(".safetensors")) {
                models.add(model(root, file));
            }
        }
        return models;
    }

    /**
     * @param root the model root
     * @param file a checkpoint under it
     * @return what its header says
     */
    public static Model model(Path root, Path file) {
        String name = root.relativize(file).toString();
        long bytes = size(file);
        // a header is parsed once per file version, not on every listing (issue 31: headers may be
        // up to 100 MiB of JSON, and GET /api/v1/models lists every file)
        Path key = file.toAbsolutePath().normalize();
        FileTime modified = modified(file);
        Cached cached = HEADERS.get(key);
        if (cached != null
                && cached.bytes() == bytes
                && cached.modified().equals(modified)
                && cached.model().name().equals(name)) {
            return cached.model();
        }
        Model model = readModel(name, bytes, file);
        if (HEADERS.size() >= MAX_CACHED) {
            HEADERS.clear();
        }
        HEADERS.put(key, new Cached(bytes, modified, model));
        return model;
    }

    /** A model as its file's header described it, for a size and modification time. */
    private record Cached(long bytes, FileTime modified, Model model) {}

    private static final ConcurrentHashMap<Path, Cached> HEADERS = new ConcurrentHashMap<>();
    private static final int MAX_CACHED = 4096;

    /** Headers parsed, for tests. */
    static final AtomicLong HEADERS_READ = new AtomicLong();

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static Model readModel(String name, long bytes, Path file) {
        HEADERS_READ.incrementAndGet();
        try {
            Safetensors.Header header = Safetensors.header(file);
            Map<String, String> meta = header.metadata();
            Map<String, String> provenance = new LinkedHashMap<>();
            PROVENANCE.forEach(
                    key -> {
                        if (meta.containsKey(key)) {
                            provenance.put(key, meta.get(key));
                        }
                    });
            if (!VitArchitecture.isDescribedBy(meta)) {
                return new Model(
                        name,
                        bytes,
                        Kind.UNDESCRIBED,
                        null,
                        Map.of(),
                        header.parameters(),
                        provenance,
                        "no architecture in its metadata: import it first (glora import, or POST /api/v1/models)");
            }
            VitArchitecture arch = VitArchitecture.fromMetadata(meta, name);
            Kind kind = meta.containsKey(Supernet.RANK_KEY) ? Kind.SUPERNET : Kind.PLAIN;
            return new Model(
                    name,
                    bytes,
                    kind,
                    VitArchitecture.nameOf(meta),
                    arch.toMetadata(),
                    header.parameters(),
                    provenance,
                    null);
        } catch (GloraException e) {
            return new Model(
                    name, bytes, Kind.INVALID, null, Map.of(), 0, Map.of(), e.getMessage());
        }
    }

    /**
     * @param root the data root
     * @return every VTAB-1K task folder under it, by name
     */
    public static List<Dataset> datasets(Path root) {
        List<Dataset> datasets = new ArrayList<>();
        for (Path folder : walk(root)) {
            if (!Files.isDirectory(folder)
                    || Vtab1k.LISTS.stream()
                            .noneMatch(
                                    list -> Files.isRegularFile(Vtab1k.listFile(folder, list)))) {
                continue;
            }
            datasets.add(dataset(root, folder));
        }
        return datasets;
    }

    /**
     * @param root the data root
     * @param folder a task folder under it
     * @return what its lists and {@code task.json} say, or why it cannot be used
     */
    public static Dataset dataset(Path root, Path folder) {
        String name = root.relativize(folder).toString();
        Map<String, Integer> splits = new LinkedHashMap<>();
        try {
            for (String list : Vtab1k.LISTS) {
                Path file = Vtab1k.listFile(folder, list);
                if (Files.isRegularFile(file)) {
                    try (Stream<String> lines = Files.lines(file)) {
                        splits.put(list, (int) lines.filter(l -> !l.isBlank()).count());
                    }
                }
            }
            return new Dataset(
                    name, Vtab1k.classCount(folder), Vtab1k.classNames(folder), splits, null);
        } catch (GloraException | IOException | UncheckedIOException e) {
            return new Dataset(name, 0, List.of(), splits, e.getMessage());
        }
    }

    private static List<Path> walk(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(root, MAX_DEPTH)) {
            // Links are not followed (no FileVisitOption.FOLLOW_LINKS), so nothing outside the root
            // is listed.
            return paths.filter(p -> !p.equals(root))
                    .filter(
                            p -> {
                                for (Path part : root.relativize(p)) {
                                    if (part.toString().startsWith(".")) {
                                        return false;
                                    }
                                }
                                return !Files.isSymbolicLink(p);
                            })
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new JobException(null, "cannot list " + root + ": " + e.getMessage());
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
