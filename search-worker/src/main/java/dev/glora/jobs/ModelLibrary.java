package dev.glora.jobs;

import dev.glora.supernet.ConfinedFiles;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.importer.CheckpointImporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Adds checkpoints to the model root: a body streamed to disk (never held in memory) under a size
 * limit, imported and validated ({@link CheckpointImporter}), and made visible under its name only
 * when whole; a name that exists is refused, and nothing of a failed upload stays behind.
 */
public final class ModelLibrary {

    /** A model's file name: letters, digits, {@code . _ -}; no folder. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private ModelLibrary() {}

    /** Why an upload was refused. */
    public enum Refusal {
        /** the name or an option is not valid */
        INVALID,
        /** the body is over the limit */
        TOO_LARGE,
        /** a model of that name exists */
        CONFLICT,
        /** the file is not a checkpoint that can be imported */
        UNUSABLE,
        /** the disk would be left with less than {@link #RESERVE_BYTES} free */
        NO_SPACE
    }

    /** Uploads stop before they leave the disk holding the roots with less than this free. */
    public static final long RESERVE_BYTES = 512L << 20;

    /**
     * @param file a file being written
     * @param reserve the free bytes to keep
     * @throws UploadException when the disk holding it has less than {@code reserve} free
     */
    static void requireSpace(Path file, long reserve) throws IOException {
        long usable =
                Files.getFileStore(Files.exists(file) ? file : file.toAbsolutePath().getParent())
                        .getUsableSpace();
        if (usable < reserve) {
            throw new UploadException(
                    Refusal.NO_SPACE,
                    "file",
                    "the disk holding the service's roots has "
                            + usable
                            + " bytes free, less than the "
                            + reserve
                            + " an upload must leave: nothing was kept");
        }
    }

    /**
     * Removes what uploads killed mid-way left in a root ({@code .upload-*}, {@code .import-*},
     * {@code .unpack-*} at its top, older than {@code age}); an upload in progress is younger.
     *
     * @param root the model or data root
     * @param age how old a leftover must be
     * @return how many were removed
     */
    public static int sweep(Path root, Duration age) {
        int removed = 0;
        if (!Files.isDirectory(root)) {
            return 0;
        }
        Instant before = Instant.now().minus(age);
        try (Stream<Path> entries = Files.list(root)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if ((name.startsWith(".upload-")
                                || name.startsWith(".import-")
                                || name.startsWith(".unpack-"))
                        && Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS)
                                .toInstant()
                                .isBefore(before)) {
                    if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                        ConfinedFiles.deleteTree(entry);
                    } else {
                        Files.deleteIfExists(entry);
                    }
                    removed++;
                }
            }
        } catch (IOException e) {
            // a root that cannot be listed has nothing this could sweep; the next start tries again
        }
        return removed;
    }

    /** An upload refused, saying why. */
    public static final class UploadException extends JobException {

        private static final long serialVersionUID = 1L;

        private final Refusal refusal;

        /**
         * @param refusal why
         * @param field the request field at fault
         * @param message what is wrong with it
         */
        public UploadException(Refusal refusal, String field, String message) {
            super(field, message);
            this.refusal = refusal;
        }

        /**
         * @return why it was refused
         */
        public Refusal refusal() {
            return refusal;
        }
    }

    /**
     * @param name a requested model name
     * @return the file name it is stored as ({@code .safetensors} added when missing)
     * @throws UploadException if the name is not valid
     */
    public static String fileName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new UploadException(
                    Refusal.INVALID,
                    "name",
                    "'"
                            + name
                            + "' is not a valid model name (letters,"
                            + " digits, '.', '_' and '-', at most 128, no folders)");
        }
        return name.endsWith(".safetensors") ? name : name + ".safetensors";
    }

    /**
     * Imports run one at a time in a process (uploads stream to disk concurrently, then queue
     * here).
     */
    private static final Semaphore IMPORTS = new Semaphore(1, true);

    /**
     * Streams a checkpoint into the model root, imports it and makes it visible.
     *
     * @param root the model root
     * @param name the model's name
     * @param body the file's bytes (a timm-named {@code .safetensors} or a Google ViT {@code .npz})
     * @param maxBytes the largest body accepted
     * @param options what the user says about the file
     * @return the new model as the catalog lists it
     * @throws UploadException saying why it was refused
     */
    public static Catalog.Model add(
            Path root,
            String name,
            InputStream body,
            long maxBytes,
            CheckpointImporter.Options options) {
        String fileName = fileName(name);
        Path target = root.resolve(fileName);
        if (Files.exists(target)) {
            throw new UploadException(
                    Refusal.CONFLICT, "name", "a model named '" + fileName + "' exists");
        }
        Path upload = null;
        Path imported = null;
        try {
            Files.createDirectories(root);
            upload = Files.createTempFile(root, ".upload-", ".part");
            copy(body, upload, maxBytes);
            CheckpointImporter.Imported result;
            // one import at a time: each holds tensors on the heap (a .npz all of them, a
            // safetensors
            // file one at a time), within a budget of what the heap has left (Npz.defaultBudget),
            // which two at once would each count as theirs
            IMPORTS.acquireUninterruptibly();
            try {
                try {
                    result = CheckpointImporter.read(upload, fileName, options);
                } catch (GloraException e) {
                    throw new UploadException(Refusal.UNUSABLE, "file", e.getMessage());
                }
                imported = Files.createTempFile(root, ".import-", ".safetensors");
                result.write(imported);
            } finally {
                IMPORTS.release();
            }
            publish(imported, target, fileName);
            return Catalog.model(root, target);
        } catch (IOException e) {
            throw new JobException(
                    null, "cannot store the upload under " + root + ": " + e.getMessage());
        } finally {
            deleteQuietly(upload);
            deleteQuietly(imported);
        }
    }

    /**
     * Deletes a checkpoint the catalog lists (never a path resolved from the name alone, so no name
     * reaches outside the root); the caller checks that no unfinished job uses it.
     *
     * @param root the model root
     * @param name its name in {@link Catalog#models}
     * @return whether it was there
     */
    public static boolean delete(Path root, String name) {
        if (Catalog.models(root).stream().noneMatch(m -> m.name().equals(name))) {
            return false;
        }
        try {
            Files.delete(root.resolve(name)); // listed: a regular file under the root, not a link
            return true;
        } catch (IOException e) {
            throw new JobException(
                    null, "cannot delete " + name + " under the model root: " + e.getMessage());
        }
    }

    /** Streams a request body to a file, refusing one over {@code maxBytes} or empty. */
    static void copy(InputStream body, Path file, long maxBytes) throws IOException {
        copy(body, file, maxBytes, RESERVE_BYTES);
    }

    static void copy(InputStream body, Path file, long maxBytes, long reserve) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        requireSpace(file, reserve);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int n; (n = body.read(buffer)) > 0; ) {
                if (total / SPACE_CHECK != (total + n) / SPACE_CHECK) {
                    requireSpace(file, reserve);
                }
                total += n;
                if (total > maxBytes) {
                    throw new UploadException(
                            Refusal.TOO_LARGE,
                            "file",
                            "uploads are limited to "
                                    + maxBytes
                                    + " bytes (glora.max-upload-bytes)");
                }
                out.write(buffer, 0, n);
            }
        }
        if (total == 0) {
            throw new UploadException(
                    Refusal.INVALID, "file", "the request body is empty: send the file's bytes");
        }
    }

    /** Bytes between two checks of the disk's free space while an upload streams in. */
    static final long SPACE_CHECK = 16L << 20;

    /** A hard link appears whole and never replaces a file of that name. */
    private static void publish(Path imported, Path target, String fileName) throws IOException {
        try {
            Files.createLink(target, imported);
        } catch (FileAlreadyExistsException e) {
            throw new UploadException(
                    Refusal.CONFLICT, "name", "a model named '" + fileName + "' exists");
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(target)) {
                throw new UploadException(
                        Refusal.CONFLICT, "name", "a model named '" + fileName + "' exists");
            }
            Files.move(imported, target);
        }
    }

    static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover hidden temporary file is listed by nobody and harms nothing
            }
        }
    }
}
