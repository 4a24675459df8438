package dev.glora.api.jobs;

import dev.glora.api.system.GloraProperties;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.ResultStore;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Models the service reads for predictions and conversions, held on the heap in a small cache
 * bounded by bytes ({@value #DEFAULT_CACHE_BYTES} by default: ViT-S/16 six times, ViT-B/16 once),
 * least recently used out first; a model larger than the whole cache is read for its request only.
 * One model is read or used at a time ({@link #use}), so the service holds at most the cache plus
 * one model's weights, on the heap and in native memory, however many clients ask at once.
 */
@Component
public class LoadedModels {

    /** The cache's default size in bytes of float32 weights. */
    public static final long DEFAULT_CACHE_BYTES = 512L << 20;

    private final Path scratch;
    private final ResultStore results;
    private final long capacity;
    private final Semaphore inUse = new Semaphore(1, true);
    private final Map<String, Checkpoint> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long held;

    @Autowired
    LoadedModels(GloraProperties properties, ResultStore results) {
        this(properties.cacheDir().toAbsolutePath(), results, DEFAULT_CACHE_BYTES);
    }

    LoadedModels(Path scratch, ResultStore results, long capacity) {
        this.scratch = scratch;
        this.results = results;
        this.capacity = capacity;
    }

    /**
     * Runs {@code use} on a job's merged model, read from the database into the cache if it is not
     * there (through a file in the cache folder, deleted at once).
     *
     * @param jobId the job
     * @param sha256 the model's stored digest: a replaced model is read again
     * @param use what to do with it; nothing else uses a model meanwhile
     * @return what {@code use} returned
     * @throws IOException if the model cannot be copied out of the database
     */
    public <T> T useJobModel(long jobId, String sha256, Function<Checkpoint, T> use)
            throws IOException {
        return use(
                "job:" + jobId + ":" + sha256,
                () -> {
                    Files.createDirectories(scratch);
                    Path copy =
                            Files.createTempFile(
                                    scratch, "model-job-" + jobId + "-", ".safetensors");
                    try {
                        results.saveArtefact(
                                jobId,
                                results.artefactInfo(jobId, ArtefactKind.MODEL)
                                        .orElseThrow(
                                                () ->
                                                        new ApiExceptions.NoSuchResult(
                                                                "job "
                                                                        + jobId
                                                                        + " has no merged model")),
                                copy);
                        return Safetensors.read(copy);
                    } finally {
                        Files.deleteIfExists(copy);
                    }
                },
                use);
    }

    /** Writes a converted model into a file. */
    public interface Conversion {
        /**
         * @param model the model
         * @param file the file to write
         * @throws IOException if it cannot be written
         */
        void write(Checkpoint model, Path file) throws IOException;
    }

    /**
     * Converts a job's merged model into a new file of the cache folder, one conversion at a time
     * ({@link #useJobModel}); the lock is let go before the caller streams the file, so a client
     * that reads slowly (or never) holds nothing but its own file. The caller deletes the file.
     *
     * @param jobId the job
     * @param sha256 the model's stored digest
     * @param suffix the file's suffix, e.g. {@code .onnx}
     * @param conversion what writes the file
     * @return the written file
     * @throws IOException if the model cannot be read or the file written
     */
    public Path convertJobModel(long jobId, String sha256, String suffix, Conversion conversion)
            throws IOException {
        Files.createDirectories(scratch);
        Path file = Files.createTempFile(scratch, "converted-job-" + jobId + "-", suffix);
        try {
            useJobModel(
                    jobId,
                    sha256,
                    model -> {
                        try {
                            conversion.write(model, file);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        return null;
                    });
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    /**
     * Runs {@code use} on a model file under the model root, read into the cache if this version of
     * the file (its path, size and modification time) is not there.
     *
     * @param root the model root
     * @param file the checkpoint, inside it
     * @param use what to do with it
     * @return what {@code use} returned
     * @throws IOException if the file's attributes cannot be read
     */
    public <T> T useModelFile(Path root, Path file, Function<Checkpoint, T> use)
            throws IOException {
        String key =
                "file:"
                        + file.toRealPath()
                        + ":"
                        + Files.size(file)
                        + ":"
                        + Files.getLastModifiedTime(file).toMillis();
        return use(key, () -> Safetensors.read(root, file), use);
    }

    /** Work on a scratch folder. */
    public interface FolderWork {
        /**
         * @param folder an empty folder, deleted with what it holds afterwards
         * @throws IOException if the work fails
         */
        void accept(Path folder) throws IOException;
    }

    /**
     * Runs {@code work} on a new empty folder in the cache folder and deletes it afterwards.
     *
     * @param work what to do
     * @throws IOException if the folder cannot be made, or the work fails
     */
    public void withScratchFolder(FolderWork work) throws IOException {
        Files.createDirectories(scratch);
        Path folder = Files.createTempDirectory(scratch, "export-");
        try {
            work.accept(folder);
        } finally {
            try (var files = Files.list(folder)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(folder);
        }
    }

    private interface Loader {
        Checkpoint load() throws IOException;
    }

    private <T> T use(String key, Loader loader, Function<Checkpoint, T> use) throws IOException {
        inUse.acquireUninterruptibly();
        try {
            Checkpoint model;
            synchronized (cache) {
                model = cache.get(key);
            }
            if (model == null) {
                model = loader.load();
                keep(key, model);
            }
            return use.apply(model);
        } finally {
            inUse.release();
        }
    }

    private void keep(String key, Checkpoint model) {
        long bytes = bytes(model);
        if (bytes > capacity) {
            return;
        }
        synchronized (cache) {
            for (Iterator<Map.Entry<String, Checkpoint>> it = cache.entrySet().iterator();
                    it.hasNext() && held + bytes > capacity; ) {
                held -= bytes(it.next().getValue());
                it.remove();
            }
            cache.put(key, model);
            held += bytes;
        }
    }

    /**
     * @return how many models the cache holds (tests)
     */
    int cached() {
        synchronized (cache) {
            return cache.size();
        }
    }

    private static long bytes(Checkpoint model) {
        return 4L * model.tensors().values().stream().mapToLong(t -> t.data().length).sum();
    }
}
