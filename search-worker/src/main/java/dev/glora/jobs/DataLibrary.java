package dev.glora.jobs;

import dev.glora.jobs.ModelLibrary.Refusal;
import dev.glora.jobs.ModelLibrary.UploadException;
import dev.glora.supernet.ConfinedFiles;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.data.DataException;
import dev.glora.supernet.data.FolderTask;
import dev.glora.supernet.data.ImageFolders;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Adds task folders to the data root from uploaded zip archives of image folders: {@code train/}
 * (one sub-folder per class), optionally {@code val/} and {@code test/} of the same classes, at the
 * archive's top or inside its one top-level folder. The body is streamed to disk under the upload
 * limit, unpacked under a limit of its own with every entry kept inside the unpacking folder, made
 * into a VTAB-1K task by {@link FolderTask}, and made visible under its name only when whole; a
 * name that exists is refused, and nothing of a failed upload stays behind.
 */
public final class DataLibrary {

    /** A task folder's name: letters, digits, {@code . _ -}; no folder. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** Unpacked bytes allowed per uploaded byte: a zip bomb stops here. */
    static final int EXPANSION = 4;

    /** Entries an archive may hold. */
    static final int MAX_ENTRIES = 1_000_000;

    private DataLibrary() {}

    /**
     * @param name a requested task folder name
     * @return it
     * @throws UploadException if it is not valid
     */
    public static String folderName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new UploadException(
                    Refusal.INVALID,
                    "name",
                    "'"
                            + name
                            + "' is not a valid data set name (letters,"
                            + " digits, '.', '_' and '-', at most 128, no folders)");
        }
        return name;
    }

    /**
     * Data set uploads at once: each may unpack to {@value #EXPANSION} × its size on disk and
     * decode its images.
     */
    public static final int CONCURRENT_UPLOADS = 2;

    private static final Semaphore UPLOADS = new Semaphore(CONCURRENT_UPLOADS, true);

    /**
     * Streams a zip archive of image folders into the data root and makes a task folder of it.
     *
     * @param root the data root
     * @param name the task folder's name
     * @param body the archive's bytes
     * @param maxBytes the largest body accepted; the unpacked images may take {@value #EXPANSION}
     *     times as much
     * @param seed the seed of the draws
     * @param sizes how many images each list draws
     * @return the new task folder as the catalog lists it
     * @throws UploadException saying why it was refused
     */
    public static Catalog.Dataset add(
            Path root,
            String name,
            InputStream body,
            long maxBytes,
            long seed,
            FolderTask.Sizes sizes) {
        // more wait their turn (their bodies wait in the socket, not in memory)
        UPLOADS.acquireUninterruptibly();
        try {
            return addNow(root, name, body, maxBytes, seed, sizes);
        } finally {
            UPLOADS.release();
        }
    }

    private static Catalog.Dataset addNow(
            Path root,
            String name,
            InputStream body,
            long maxBytes,
            long seed,
            FolderTask.Sizes sizes) {
        Path target = root.resolve(folderName(name));
        if (Files.exists(target)) {
            throw new UploadException(
                    Refusal.CONFLICT, "name", "a data set named '" + name + "' exists");
        }
        Path upload = null;
        Path unpacked = null;
        try {
            Files.createDirectories(root);
            upload = Files.createTempFile(root, ".upload-", ".zip");
            ModelLibrary.copy(body, upload, maxBytes);
            unpacked = Files.createTempDirectory(root, ".unpack-");
            unzip(upload, unpacked, maxBytes * EXPANSION);
            Path base = base(unpacked);
            Path val = base.resolve("val");
            Path test = base.resolve("test");
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put(
                    "producer",
                    "glora search service, data set upload " + Provenance.codeVersion());
            provenance.put("source_archive_sha256", Provenance.sha256(upload));
            provenance.put("source_train", "train/ of the uploaded archive");
            if (Files.isDirectory(val)) {
                provenance.put("source_val", "val/ of the uploaded archive");
            }
            if (Files.isDirectory(test)) {
                provenance.put("source_test", "test/ of the uploaded archive");
            }
            try {
                FolderTask.write(
                        new FolderTask.Sources(
                                base.resolve("train"),
                                Files.isDirectory(val) ? val : null,
                                Files.isDirectory(test) ? test : null),
                        target,
                        seed,
                        sizes,
                        provenance);
            } catch (DataException e) {
                if (Files.exists(target)) {
                    throw new UploadException(
                            Refusal.CONFLICT, "name", "a data set named '" + name + "' exists");
                }
                // the archive's own names, not where it was unpacked
                throw new UploadException(
                        Refusal.UNUSABLE,
                        "file",
                        e.getMessage()
                                .replace(base + "/", "")
                                .replace(base.toString(), "the archive"));
            }
            return Catalog.dataset(root, target);
        } catch (IOException e) {
            throw new JobException(
                    null, "cannot store the upload under " + root + ": " + e.getMessage());
        } finally {
            ModelLibrary.deleteQuietly(upload);
            ConfinedFiles.deleteTree(
                    unpacked); // a leftover is hidden in the data root; nobody lists it
        }
    }

    /**
     * Deletes a task folder the catalog lists, with its images (links inside it are removed, never
     * followed); the caller checks that no unfinished job uses it.
     *
     * @param root the data root
     * @param name its name in {@link Catalog#datasets}
     * @return whether it was there
     * @throws JobException if another listed task folder lies inside it
     */
    public static boolean delete(Path root, String name) {
        List<String> names = Catalog.datasets(root).stream().map(Catalog.Dataset::name).toList();
        if (!names.contains(name)) {
            return false;
        }
        Path folder = root.resolve(name);
        for (String other : names) {
            if (!other.equals(name) && root.resolve(other).startsWith(folder)) {
                throw new JobException(
                        "name",
                        "the data set '"
                                + name
                                + "' holds another, '"
                                + other
                                + "': delete that one first");
            }
        }
        if (!ConfinedFiles.deleteTree(folder)) {
            throw new JobException(null, "cannot delete all of " + name + " under the data root");
        }
        return true;
    }

    /** Unpacks every file entry, refusing one that would lead outside {@code into}, or too much. */
    private static void unzip(Path archive, Path into, long maxBytes) throws IOException {
        long total = 0;
        int count = 0;
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            byte[] buffer = new byte[1 << 16];
            for (Enumeration<? extends ZipEntry> entries = zip.entries();
                    entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (++count > MAX_ENTRIES) {
                    throw new UploadException(
                            Refusal.UNUSABLE,
                            "file",
                            "the archive holds more than " + MAX_ENTRIES + " entries");
                }
                String name = entry.getName().replace('\\', '/');
                Path file;
                try {
                    file = into.resolve(name).normalize();
                } catch (InvalidPathException e) {
                    throw new UploadException(
                            Refusal.UNUSABLE,
                            "file",
                            "the archive's entry name '"
                                    + entry.getName().replace("\0", "\\0")
                                    + "' is not a file name here: "
                                    + e.getReason());
                }
                if (!file.startsWith(into) || file.equals(into) || Path.of(name).isAbsolute()) {
                    throw new UploadException(
                            Refusal.UNUSABLE,
                            "file",
                            "the archive's entry '" + entry.getName() + "' leads outside it");
                }
                if (entry.isDirectory() || skipped(into.relativize(file))) {
                    continue;
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = zip.getInputStream(entry);
                        OutputStream out = Files.newOutputStream(file)) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        if (total / ModelLibrary.SPACE_CHECK
                                != (total + n) / ModelLibrary.SPACE_CHECK) {
                            ModelLibrary.requireSpace(file, ModelLibrary.RESERVE_BYTES);
                        }
                        total += n;
                        if (total > maxBytes) {
                            throw new UploadException(
                                    Refusal.TOO_LARGE,
                                    "file",
                                    "the archive unpacks to more than "
                                            + maxBytes
                                            + " bytes ("
                                            + EXPANSION
                                            + " × glora.max-upload-bytes)");
                        }
                        out.write(buffer, 0, n);
                    }
                }
            }
        } catch (ZipException e) {
            throw new UploadException(
                    Refusal.UNUSABLE, "file", "not a zip archive: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            // an entry name that is not valid UTF-8 (found by RequestsFuzzTest)
            throw new UploadException(
                    Refusal.UNUSABLE,
                    "file",
                    "the archive's entry names are not readable: " + e.getMessage());
        }
    }

    /** Hidden files and macOS's {@code __MACOSX} folder are not images of the data set. */
    private static boolean skipped(Path relative) {
        return ImageFolders.hidden(relative) || relative.getName(0).toString().equals("__MACOSX");
    }

    /** The folder holding {@code train/}: the archive's top, or its one top-level folder. */
    private static Path base(Path unpacked) throws IOException {
        if (Files.isDirectory(unpacked.resolve("train"))) {
            return unpacked;
        }
        List<Path> top;
        try (Stream<Path> children = Files.list(unpacked)) {
            top = children.filter(Files::isDirectory).toList();
        }
        if (top.size() == 1 && Files.isDirectory(top.get(0).resolve("train"))) {
            return top.get(0);
        }
        throw new UploadException(
                Refusal.UNUSABLE,
                "file",
                "the archive holds no train/ folder (one sub-folder per"
                        + " class), at its top or in its one top-level folder");
    }
}
