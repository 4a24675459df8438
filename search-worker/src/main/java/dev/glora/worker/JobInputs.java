package dev.glora.worker;

import dev.glora.db.Sql;
import dev.glora.jobs.Artefact;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobException;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.Stores;
import dev.glora.queue.Lease;
import dev.glora.search.Encoding;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the search tasks of one job need, loaded once per worker and kept for the next task: the
 * trained supernet (fetched from the artefact store into the local cache folder), the search
 * encoding, the validation set, and idle scorers. Only the most recent jobs are kept.
 */
final class JobInputs implements AutoCloseable {

    private static final int JOBS_KEPT = 2;

    /** One job's inputs. */
    static final class Entry {
        final long jobId;
        final JobSpec spec;
        final Checkpoint supernet;
        final String sha256;
        final Encoding encoding;
        final ImageDataset val;
        final Path task;
        private final int imageBatch;
        private final Deque<SubnetScorer> idle = new ArrayDeque<>();
        private boolean closed;

        Entry(
                long jobId,
                JobSpec spec,
                Checkpoint supernet,
                String sha256,
                Path task,
                Path dataRoot,
                int imageBatch) {
            this.jobId = jobId;
            this.spec = spec;
            this.supernet = supernet;
            this.sha256 = sha256;
            this.task = task;
            this.imageBatch = imageBatch;
            VitArchitecture arch = VitArchitecture.fromMetadata(supernet.metadata(), source());
            this.encoding = new Encoding(Supernet.layerShapes(arch), spec.space());
            this.val = Vtab1k.read(dataRoot, task, JobSpec.VAL_LIST);
        }

        String source() {
            return "supernet of job " + jobId;
        }

        synchronized SubnetScorer borrow() {
            SubnetScorer scorer = idle.pollFirst();
            return scorer != null ? scorer : new SubnetScorer(supernet, val, imageBatch, source());
        }

        synchronized void giveBack(SubnetScorer scorer) {
            if (closed) {
                scorer.close();
            } else {
                idle.addFirst(scorer);
            }
        }

        synchronized void close() {
            closed = true;
            idle.forEach(SubnetScorer::close);
            idle.clear();
        }
    }

    private final Stores stores;
    private final WorkerSettings settings;
    private final Map<Long, Entry> entries = new LinkedHashMap<>(4, 0.75f, true);

    JobInputs(Stores stores, WorkerSettings settings) {
        this.stores = stores;
        this.settings = settings;
    }

    /**
     * @param jobId a job whose supernet is trained
     * @return its inputs
     */
    synchronized Entry entry(long jobId) {
        Entry entry = entries.get(jobId);
        if (entry == null) {
            JobSpec spec = stores.jobs().spec(jobId);
            Path task = settings.roots().task(spec.data());
            Artefact artefact =
                    stores.results()
                            .artefactInfo(jobId, ArtefactKind.SUPERNET)
                            .orElseThrow(
                                    () ->
                                            new JobException(
                                                    null,
                                                    "job "
                                                            + jobId
                                                            + " has no trained supernet to search"));
            Path file =
                    cache(
                            jobId,
                            artefact,
                            "job-"
                                    + jobId
                                    + "-supernet-"
                                    + artefact.sha256().substring(0, 16)
                                    + ".safetensors");
            entry =
                    new Entry(
                            jobId,
                            spec,
                            Safetensors.read(file),
                            artefact.sha256(),
                            task,
                            settings.roots().data(),
                            settings.imageBatch());
            entries.put(jobId, entry);
            for (Iterator<Entry> oldest = entries.values().iterator();
                    entries.size() > JOBS_KEPT; ) {
                oldest.next().close();
                oldest.remove();
            }
        }
        return entry;
    }

    /**
     * Writes an artefact into the cache folder, a chunk at a time, unless it is there already.
     *
     * @param jobId its job
     * @param artefact the artefact, without its content ({@code ResultStore.artefactInfo})
     * @param name the file's name
     * @return the file
     */
    Path cache(long jobId, Artefact artefact, String name) {
        Path file = settings.cacheDir().resolve(name);
        try {
            // a file already there is used only if its content is the artefact's, byte for byte
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    || Files.size(file) != artefact.size()
                    || !Provenance.sha256(file).equals(artefact.sha256())) {
                Files.createDirectories(settings.cacheDir());
                stores.results().saveArtefact(jobId, artefact, file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    file + ": cannot write the cached " + artefact.kind() + ": " + e.getMessage(),
                    e);
        }
        return file;
    }

    /**
     * Writes a checkpoint to a temporary safetensors file in the cache folder and stores it, a
     * chunk at a time, as one of a job's artefacts in a fenced transaction with {@code more}.
     *
     * @param lease the task's claim
     * @param jobId the job
     * @param kind which artefact
     * @param checkpoint the checkpoint
     * @param more the transaction's other writes
     * @return what {@code more} returned
     */
    <T> T store(
            Lease lease, long jobId, ArtefactKind kind, Checkpoint checkpoint, Sql.Work<T> more) {
        String name = "job-" + jobId + "-" + kind.label();
        Path file;
        try {
            Files.createDirectories(settings.cacheDir());
            file = Files.createTempFile(settings.cacheDir(), name, ".safetensors");
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write " + name + " to " + settings.cacheDir() + ": " + e.getMessage(),
                    e);
        }
        try {
            Safetensors.write(checkpoint, file);
            return stores.queue()
                    .fenced(
                            lease,
                            "storing the " + kind + " of job " + jobId,
                            c -> {
                                stores.results().putArtefact(c, jobId, kind, file);
                                return more.run(c);
                            });
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover temporary file in the cache folder; nothing reads it
            }
        }
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(Entry::close);
        entries.clear();
    }
}
