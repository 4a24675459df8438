package dev.glora.jobs;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.glora.db.Sql;
import dev.glora.search.Candidate;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.GenerationStats;
import dev.glora.supernet.train.EpochResult;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** What jobs produce: supernet epochs, generations, candidates and artefacts. */
public final class ResultStore {

    private static final Gson GSON = JobStore.gson();

    /** Bytes per stored chunk of an artefact: what a writer holds of it at a time. */
    static final int CHUNK = 8 << 20;

    /** The largest artefact {@link #artefact} reads into memory. */
    static final int IN_MEMORY = 64 << 20;

    private static final Type VALIDATION = new TypeToken<Map<String, Double>>() {}.getType();

    private final DataSource database;
    private final JobStore jobs;
    private final Clock clock;

    /**
     * @param database the database
     * @param jobs the jobs, whose progress this updates
     * @param clock the time source
     */
    public ResultStore(DataSource database, JobStore jobs, Clock clock) {
        this.database = database;
        this.jobs = jobs;
        this.clock = clock;
    }

    /**
     * Records a finished supernet epoch, the job's progress, and an event.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param epoch the epoch
     * @throws SQLException from the driver
     */
    public void recordEpoch(Connection connection, long jobId, EpochResult epoch)
            throws SQLException {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO supernet_epoch (job_id, epoch,"
                                + " epochs, lr, loss, images_per_second, seconds, validation) VALUES (?, ?, ?, ?, ?,"
                                + " ?, ?, ?::jsonb)"
                                + " ON CONFLICT (job_id, epoch) DO NOTHING")) {
            insert.setLong(1, jobId);
            insert.setInt(2, epoch.epoch());
            insert.setInt(3, epoch.epochs());
            insert.setDouble(4, epoch.lr());
            insert.setDouble(5, epoch.loss());
            insert.setDouble(6, epoch.imagesPerSecond());
            insert.setDouble(7, epoch.seconds());
            insert.setString(8, GSON.toJson(epoch.validation()));
            insert.executeUpdate();
        }
        jobs.progress(connection, jobId, Map.of("epochs_done", epoch.epoch()));
        jobs.event(connection, jobId, "epoch", epoch);
    }

    /**
     * @param jobId a job
     * @return its supernet epochs, in order
     */
    public List<EpochResult> epochs(long jobId) {
        return Sql.list(
                database,
                "reading epochs of job " + jobId,
                "SELECT epoch, epochs, lr, loss, images_per_second, seconds, validation::text"
                        + " FROM supernet_epoch WHERE job_id = ? ORDER BY epoch",
                r ->
                        new EpochResult(
                                r.getInt(1),
                                r.getInt(2),
                                r.getDouble(3),
                                r.getDouble(4),
                                r.getDouble(5),
                                r.getDouble(6),
                                GSON.fromJson(r.getString(7), VALIDATION)),
                jobId);
    }

    /**
     * Records a completed generation with its new candidates (numbered on from those before), the
     * job's progress, and an event.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param stats the generation's statistics
     * @param population its candidates, in evaluation order
     * @param best the best candidate so far
     * @throws SQLException from the driver
     */
    public void recordGeneration(
            Connection connection,
            long jobId,
            GenerationStats stats,
            List<Candidate> population,
            Candidate best)
            throws SQLException {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO generation (job_id, generation, best,"
                                + " mean, worst, best_parameters, best_so_far, evaluated, seconds, raced)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setLong(1, jobId);
            insert.setInt(2, stats.generation());
            insert.setDouble(3, stats.best());
            insert.setDouble(4, stats.mean());
            insert.setDouble(5, stats.worst());
            insert.setLong(6, stats.bestParameters());
            insert.setDouble(7, stats.bestSoFar());
            insert.setInt(8, stats.evaluated());
            insert.setDouble(9, stats.seconds());
            insert.setInt(10, stats.raced());
            insert.executeUpdate();
        }
        int first = stats.evaluated() - population.size();
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO candidate (job_id, ordinal,"
                                + " config_key, alleles, accuracy, parameters, generation, complete, seed) VALUES (?,"
                                + " ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < population.size(); i++) {
                Candidate c = population.get(i);
                insert.setLong(1, jobId);
                insert.setInt(2, first + i);
                insert.setString(3, c.key());
                insert.setArray(
                        4,
                        connection.createArrayOf(
                                "integer", Arrays.stream(c.alleles()).boxed().toArray()));
                insert.setDouble(5, c.accuracy());
                insert.setLong(6, c.parameters());
                insert.setInt(7, c.generation());
                insert.setBoolean(8, c.complete());
                insert.setString(9, c.seed());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        jobs.progress(
                connection,
                jobId,
                Map.of(
                        "generations_done",
                        stats.generation() + 1,
                        "candidates_evaluated",
                        stats.evaluated(),
                        "best_accuracy",
                        best.accuracy(),
                        "best_parameters",
                        best.parameters()));
        jobs.event(connection, jobId, "generation", stats);
    }

    /**
     * @param jobId a job
     * @return its generations, in order
     */
    public List<GenerationStats> generations(long jobId) {
        return Sql.list(
                database,
                "reading generations of job " + jobId,
                "SELECT generation, best, mean, worst, best_parameters, best_so_far, evaluated,"
                        + " seconds, raced FROM generation WHERE job_id = ? ORDER BY generation",
                r ->
                        new GenerationStats(
                                r.getInt(1),
                                r.getDouble(2),
                                r.getDouble(3),
                                r.getDouble(4),
                                r.getLong(5),
                                r.getDouble(6),
                                r.getInt(7),
                                r.getDouble(8),
                                r.getInt(9)),
                jobId);
    }

    /**
     * @param jobId a job
     * @param order {@code ordinal} (evaluation order) or {@code best} (accuracy, then fewer
     *     parameters)
     * @param limit most returned
     * @return its candidates
     */
    public List<Candidate> candidates(long jobId, String order, int limit) {
        String by = "best".equals(order) ? "accuracy DESC, parameters, config_key" : "ordinal";
        return Sql.list(
                database,
                "reading candidates of job " + jobId,
                "SELECT config_key, alleles, parameters, accuracy, generation, complete, seed"
                        + " FROM candidate WHERE job_id = ? ORDER BY "
                        + by
                        + " LIMIT ?",
                r ->
                        new Candidate(
                                r.getString(1),
                                Arrays.stream((Integer[]) r.getArray(2).getArray())
                                        .mapToInt(Integer::intValue)
                                        .toArray(),
                                r.getLong(3),
                                r.getDouble(4),
                                r.getInt(5),
                                r.getBoolean(6),
                                r.getString(7)),
                jobId,
                limit);
    }

    /**
     * Records one finalist's short training (issue 30), in the caller's fenced transaction.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param ordinal its place in the proxy's order of the finalists
     * @param candidate the finalist
     * @param accuracy its val accuracy after the short training
     * @param count how many finalists the job trains in all
     * @throws SQLException from the driver
     */
    public void recordFinalist(
            Connection connection,
            long jobId,
            int ordinal,
            Candidate candidate,
            double accuracy,
            int count)
            throws SQLException {
        // a finalist trained again after a takeover is recorded once, the first time
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO finalist (job_id, ordinal, config_key,"
                                + " proxy_accuracy, accuracy, parameters, seed) VALUES (?, ?, ?, ?, ?, ?, ?)"
                                + " ON CONFLICT (job_id, ordinal) DO NOTHING")) {
            insert.setLong(1, jobId);
            insert.setInt(2, ordinal);
            insert.setString(3, candidate.key());
            insert.setDouble(4, candidate.accuracy());
            insert.setDouble(5, accuracy);
            insert.setLong(6, candidate.parameters());
            insert.setString(7, candidate.seed());
            if (insert.executeUpdate() == 0) {
                return;
            }
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("ordinal", ordinal);
        event.put("count", count);
        event.put("proxyAccuracy", candidate.accuracy());
        event.put("accuracy", accuracy);
        event.put("parameters", candidate.parameters());
        if (candidate.seed() != null) {
            event.put("seed", candidate.seed());
        }
        jobs.event(connection, jobId, "finalist", event);
    }

    /**
     * One trained finalist as stored.
     *
     * @param ordinal its place in the proxy's order
     * @param key its configuration's key
     * @param proxyAccuracy val with the supernet's shared weights
     * @param accuracy val after the short training
     * @param parameters adapter parameters
     * @param seed the known adapter it was seeded as, or null
     */
    public record StoredFinalist(
            int ordinal,
            String key,
            double proxyAccuracy,
            double accuracy,
            long parameters,
            String seed) {}

    /**
     * @param jobId a job
     * @return its trained finalists, in the proxy's order
     */
    public List<StoredFinalist> finalists(long jobId) {
        return Sql.list(
                database,
                "reading finalists of job " + jobId,
                "SELECT ordinal, config_key, proxy_accuracy, accuracy, parameters, seed"
                        + " FROM finalist WHERE job_id = ? ORDER BY ordinal",
                r ->
                        new StoredFinalist(
                                r.getInt(1),
                                r.getString(2),
                                r.getDouble(3),
                                r.getDouble(4),
                                r.getLong(5),
                                r.getString(6)),
                jobId);
    }

    /**
     * @param jobId a job
     * @return everything its search persisted: enough to resume after the last generation
     */
    public EvolutionarySearch.State searchState(long jobId) {
        return new EvolutionarySearch.State(
                candidates(jobId, "ordinal", Integer.MAX_VALUE), generations(jobId));
    }

    /**
     * Stores (or replaces) a small artefact held in memory.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param kind which artefact
     * @param content its bytes
     * @throws SQLException from the driver
     */
    public void putArtefact(Connection connection, long jobId, ArtefactKind kind, byte[] content)
            throws SQLException {
        try {
            putArtefact(connection, jobId, kind, new ByteArrayInputStream(content), CHUNK);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /**
     * Stores (or replaces) an artefact from a file, a chunk at a time: neither this process nor the
     * database holds it whole, and there is no size limit but the disk's.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param kind which artefact
     * @param file its content
     * @throws SQLException from the driver
     * @throws UncheckedIOException naming the file if it cannot be read
     */
    public void putArtefact(Connection connection, long jobId, ArtefactKind kind, Path file)
            throws SQLException {
        try (InputStream in = Files.newInputStream(file)) {
            putArtefact(connection, jobId, kind, in, CHUNK);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    file
                            + ": cannot store it as the "
                            + kind
                            + " of job "
                            + jobId
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * As {@link #putArtefact(Connection, long, ArtefactKind, Path)}, in chunks of {@code chunk}
     * bytes.
     */
    void putArtefact(
            Connection connection, long jobId, ArtefactKind kind, InputStream in, int chunk)
            throws SQLException, IOException {
        try (PreparedStatement delete =
                connection.prepareStatement(
                        "DELETE FROM artefact_chunk WHERE job_id = ?" + " AND kind = ?")) {
            delete.setLong(1, jobId);
            delete.setString(2, kind.label());
            delete.executeUpdate();
        }
        MessageDigest digest = sha256();
        long size = 0;
        // the chunks first, the artefact's row (its size and digest known only now) last: the
        // foreign key is checked at commit (V4)
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO artefact_chunk (job_id, kind,"
                                + " ordinal, content) VALUES (?, ?, ?, ?)")) {
            byte[] buffer = new byte[chunk];
            for (int ordinal = 0, n; (n = in.readNBytes(buffer, 0, chunk)) > 0; ordinal++) {
                digest.update(buffer, 0, n);
                size += n;
                insert.setLong(1, jobId);
                insert.setString(2, kind.label());
                insert.setInt(3, ordinal);
                insert.setBytes(4, n == chunk ? buffer : Arrays.copyOf(buffer, n));
                insert.executeUpdate();
            }
        }
        try (PreparedStatement upsert =
                connection.prepareStatement(
                        "INSERT INTO artefact (job_id, kind, size,"
                                + " sha256, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id, kind) DO UPDATE SET"
                                + " size = excluded.size, sha256 = excluded.sha256, created_at = excluded.created_at")) {
            upsert.setLong(1, jobId);
            upsert.setString(2, kind.label());
            upsert.setLong(3, size);
            upsert.setString(4, HexFormat.of().formatHex(digest.digest()));
            upsert.setTimestamp(5, Timestamp.from(clock.instant()));
            upsert.executeUpdate();
        }
    }

    /**
     * @param connection the transaction
     * @param jobId the job
     * @param kind which artefact
     * @throws SQLException from the driver
     */
    public void deleteArtefact(Connection connection, long jobId, ArtefactKind kind)
            throws SQLException {
        try (PreparedStatement delete =
                connection.prepareStatement(
                        "DELETE FROM artefact WHERE job_id = ?" + " AND kind = ?")) {
            delete.setLong(1, jobId);
            delete.setString(2, kind.label());
            delete.executeUpdate();
        }
    }

    /**
     * A small artefact (a configuration, a Pareto front; a tiny model in tests), read whole into
     * memory; a checkpoint is read with {@link #saveArtefact} or {@link #copyArtefact}.
     *
     * @param jobId a job
     * @param kind which artefact
     * @return it, content included, if stored
     * @throws IllegalStateException if it is larger than {@value #IN_MEMORY} bytes
     */
    public Optional<Artefact> artefact(long jobId, ArtefactKind kind) {
        return artefactInfo(jobId, kind)
                .map(
                        info -> {
                            if (info.size() > IN_MEMORY) {
                                throw new IllegalStateException(
                                        "the "
                                                + kind
                                                + " of job "
                                                + jobId
                                                + " has "
                                                + info.size()
                                                + " bytes, too many to read into memory");
                            }
                            ByteArrayOutputStream out =
                                    new ByteArrayOutputStream((int) info.size());
                            try {
                                copyArtefact(jobId, kind, info.size(), CHUNK, out);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e.getMessage(), e);
                            }
                            return new Artefact(
                                    kind, info.size(), info.sha256(), out.toByteArray());
                        });
    }

    /**
     * @param jobId a job
     * @param kind which artefact
     * @return its kind, size and digest, without the content, if stored
     */
    public Optional<Artefact> artefactInfo(long jobId, ArtefactKind kind) {
        return Sql.inTransaction(
                database,
                "reading the " + kind + " of job " + jobId,
                connection -> {
                    try (PreparedStatement select =
                            connection.prepareStatement(
                                    "SELECT size, sha256 FROM artefact"
                                            + " WHERE job_id = ? AND kind = ?")) {
                        select.setLong(1, jobId);
                        select.setString(2, kind.label());
                        try (ResultSet r = select.executeQuery()) {
                            return r.next()
                                    ? Optional.of(
                                            new Artefact(kind, r.getLong(1), r.getString(2), null))
                                    : Optional.<Artefact>empty();
                        }
                    }
                });
    }

    /**
     * Writes an artefact into a file a chunk at a time, through a temporary file beside it that
     * replaces the file only once its content has the stored digest.
     *
     * @param jobId a job
     * @param info its artefact ({@link #artefactInfo})
     * @param file where to write it
     * @throws IOException if the file cannot be written, or the content read does not match the
     *     stored size and digest (it was replaced while being read)
     */
    public void saveArtefact(long jobId, Artefact info, Path file) throws IOException {
        Path tmp =
                Files.createTempFile(
                        file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            MessageDigest digest = sha256();
            try (OutputStream out =
                    new DigestOutputStream(
                            new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16),
                            digest)) {
                copyArtefact(jobId, info.kind(), info.size(), CHUNK, out);
            }
            if (!HexFormat.of().formatHex(digest.digest()).equals(info.sha256())) {
                throw new IOException(
                        "the "
                                + info.kind()
                                + " of job "
                                + jobId
                                + " read does not have its stored"
                                + " SHA-256 "
                                + info.sha256()
                                + ": it was replaced while being read");
            }
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes an artefact's content to {@code out} a piece at a time, each read in a transaction of
     * its own, so that neither this process nor the database holds more than a piece, and a slow
     * reader holds no transaction open (the chunks are stored uncompressed, V4, so a piece costs
     * only its own bytes).
     *
     * @param jobId a job
     * @param kind which artefact
     * @param size its size ({@link #artefactInfo})
     * @param piece bytes per read
     * @param out where to write
     * @throws IOException from {@code out}, or if the stored chunks do not hold {@code size} bytes
     */
    public void copyArtefact(long jobId, ArtefactKind kind, long size, int piece, OutputStream out)
            throws IOException {
        String what = "reading the " + kind + " of job " + jobId;
        List<Integer> lengths =
                Sql.list(
                        database,
                        what,
                        "SELECT octet_length(content) FROM artefact_chunk"
                                + " WHERE job_id = ? AND kind = ? ORDER BY ordinal",
                        r -> r.getInt(1),
                        jobId,
                        kind.label());
        long stored = lengths.stream().mapToLong(Integer::longValue).sum();
        if (stored != size) {
            throw new IOException(
                    "the "
                            + kind
                            + " of job "
                            + jobId
                            + " has "
                            + stored
                            + " bytes stored, not "
                            + size);
        }
        for (int ordinal = 0; ordinal < lengths.size(); ordinal++) {
            int chunk = ordinal;
            for (int offset = 0; offset < lengths.get(ordinal); offset += piece) {
                int from = offset;
                byte[] part =
                        Sql.inTransaction(
                                database,
                                what,
                                connection -> {
                                    try (PreparedStatement select =
                                            connection.prepareStatement(
                                                    "SELECT substring(content FROM ?"
                                                            + " FOR ?) FROM artefact_chunk WHERE job_id = ? AND kind ="
                                                            + " ? AND ordinal = ?")) {
                                        select.setInt(1, from + 1);
                                        select.setInt(2, piece);
                                        select.setLong(3, jobId);
                                        select.setString(4, kind.label());
                                        select.setInt(5, chunk);
                                        try (ResultSet r = select.executeQuery()) {
                                            return r.next() ? r.getBytes(1) : null;
                                        }
                                    }
                                });
                if (part == null || part.length != Math.min(piece, lengths.get(ordinal) - offset)) {
                    throw new IOException(
                            "the "
                                    + kind
                                    + " of job "
                                    + jobId
                                    + " changed while it was read, at chunk "
                                    + ordinal
                                    + ", byte "
                                    + from);
                }
                out.write(part);
            }
        }
    }

    /**
     * @param content bytes
     * @return their SHA-256, hex
     */
    public static String sha256(byte[] content) {
        return HexFormat.of().formatHex(sha256().digest(content));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
