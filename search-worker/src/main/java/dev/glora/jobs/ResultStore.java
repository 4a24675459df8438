package dev.glora.jobs;

import com.google.gson.Gson;
import dev.glora.db.Sql;
import dev.glora.search.Candidate;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.GenerationStats;
import dev.glora.supernet.train.EpochResult;
import java.lang.reflect.Type;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** What jobs produce: supernet epochs, generations, candidates and artefacts. */
public final class ResultStore {

    private static final Gson GSON = JobStore.gson();
    private static final Type VALIDATION = new com.google.gson.reflect.TypeToken<Map<String, Double>>() { }.getType();

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
    public void recordEpoch(Connection connection, long jobId, EpochResult epoch) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO supernet_epoch (job_id, epoch,"
                + " epochs, lr, loss, images_per_second, seconds, validation) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb)"
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
        return Sql.inTransaction(database, "reading epochs of job " + jobId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT epoch, epochs, lr, loss,"
                    + " images_per_second, seconds, validation::text FROM supernet_epoch WHERE job_id = ?"
                    + " ORDER BY epoch")) {
                select.setLong(1, jobId);
                List<EpochResult> epochs = new ArrayList<>();
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        epochs.add(new EpochResult(r.getInt(1), r.getInt(2), r.getDouble(3), r.getDouble(4),
                                r.getDouble(5), r.getDouble(6), GSON.fromJson(r.getString(7), VALIDATION)));
                    }
                }
                return epochs;
            }
        });
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
    public void recordGeneration(Connection connection, long jobId, GenerationStats stats, List<Candidate> population,
            Candidate best) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO generation (job_id, generation, best,"
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
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO candidate (job_id, ordinal,"
                + " config_key, alleles, accuracy, parameters, generation, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < population.size(); i++) {
                Candidate c = population.get(i);
                insert.setLong(1, jobId);
                insert.setInt(2, first + i);
                insert.setString(3, c.key());
                insert.setArray(4, connection.createArrayOf("integer",
                        java.util.Arrays.stream(c.alleles()).boxed().toArray()));
                insert.setDouble(5, c.accuracy());
                insert.setLong(6, c.parameters());
                insert.setInt(7, c.generation());
                insert.setBoolean(8, c.complete());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        jobs.progress(connection, jobId, Map.of("generations_done", stats.generation() + 1, "candidates_evaluated",
                stats.evaluated(), "best_accuracy", best.accuracy(), "best_parameters", best.parameters()));
        jobs.event(connection, jobId, "generation", stats);
    }

    /**
     * @param jobId a job
     * @return its generations, in order
     */
    public List<GenerationStats> generations(long jobId) {
        return Sql.inTransaction(database, "reading generations of job " + jobId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT generation, best, mean, worst,"
                    + " best_parameters, best_so_far, evaluated, seconds, raced FROM generation WHERE job_id = ?"
                    + " ORDER BY generation")) {
                select.setLong(1, jobId);
                List<GenerationStats> generations = new ArrayList<>();
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        generations.add(new GenerationStats(r.getInt(1), r.getDouble(2), r.getDouble(3),
                                r.getDouble(4), r.getLong(5), r.getDouble(6), r.getInt(7), r.getDouble(8),
                                r.getInt(9)));
                    }
                }
                return generations;
            }
        });
    }

    /**
     * @param jobId a job
     * @param order {@code ordinal} (evaluation order) or {@code best} (accuracy, then fewer parameters)
     * @param limit most returned
     * @return its candidates
     */
    public List<Candidate> candidates(long jobId, String order, int limit) {
        String by = "best".equals(order) ? "accuracy DESC, parameters, config_key" : "ordinal";
        return Sql.inTransaction(database, "reading candidates of job " + jobId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT config_key, alleles, parameters,"
                    + " accuracy, generation, complete FROM candidate WHERE job_id = ? ORDER BY " + by + " LIMIT ?")) {
                select.setLong(1, jobId);
                select.setInt(2, limit);
                List<Candidate> candidates = new ArrayList<>();
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        Array alleles = r.getArray(2);
                        Integer[] boxed = (Integer[]) alleles.getArray();
                        candidates.add(new Candidate(r.getString(1), java.util.Arrays.stream(boxed)
                                .mapToInt(Integer::intValue).toArray(), r.getLong(3), r.getDouble(4), r.getInt(5),
                                r.getBoolean(6)));
                    }
                }
                return candidates;
            }
        });
    }

    /**
     * @param jobId a job
     * @return everything its search persisted: enough to resume after the last generation
     */
    public EvolutionarySearch.State searchState(long jobId) {
        return new EvolutionarySearch.State(candidates(jobId, "ordinal", Integer.MAX_VALUE), generations(jobId));
    }

    /**
     * Stores (or replaces) an artefact.
     *
     * @param connection the transaction
     * @param jobId the job
     * @param kind which artefact
     * @param content its bytes
     * @throws SQLException from the driver
     */
    public void putArtefact(Connection connection, long jobId, ArtefactKind kind, byte[] content) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO artefact (job_id, kind, content, size,"
                + " sha256, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, kind) DO UPDATE SET"
                + " content = excluded.content, size = excluded.size, sha256 = excluded.sha256,"
                + " created_at = excluded.created_at")) {
            upsert.setLong(1, jobId);
            upsert.setString(2, kind.label());
            upsert.setBytes(3, content);
            upsert.setLong(4, content.length);
            upsert.setString(5, sha256(content));
            upsert.setTimestamp(6, Timestamp.from(clock.instant()));
            upsert.executeUpdate();
        }
    }

    /**
     * @param connection the transaction
     * @param jobId the job
     * @param kind which artefact
     * @throws SQLException from the driver
     */
    public void deleteArtefact(Connection connection, long jobId, ArtefactKind kind) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM artefact WHERE job_id = ?"
                + " AND kind = ?")) {
            delete.setLong(1, jobId);
            delete.setString(2, kind.label());
            delete.executeUpdate();
        }
    }

    /**
     * @param jobId a job
     * @param kind which artefact
     * @return it, content included, if stored
     */
    public Optional<Artefact> artefact(long jobId, ArtefactKind kind) {
        return Sql.inTransaction(database, "reading the " + kind + " of job " + jobId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT size, sha256, content FROM artefact"
                    + " WHERE job_id = ? AND kind = ?")) {
                select.setLong(1, jobId);
                select.setString(2, kind.label());
                try (ResultSet r = select.executeQuery()) {
                    return r.next() ? Optional.of(new Artefact(kind, r.getLong(1), r.getString(2), r.getBytes(3)))
                            : Optional.<Artefact>empty();
                }
            }
        });
    }

    /**
     * @param jobId a job
     * @param kind which artefact
     * @return its kind, size and digest, without the content, if stored
     */
    public Optional<Artefact> artefactInfo(long jobId, ArtefactKind kind) {
        return Sql.inTransaction(database, "reading the " + kind + " of job " + jobId, connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT size, sha256 FROM artefact"
                    + " WHERE job_id = ? AND kind = ?")) {
                select.setLong(1, jobId);
                select.setString(2, kind.label());
                try (ResultSet r = select.executeQuery()) {
                    return r.next() ? Optional.of(new Artefact(kind, r.getLong(1), r.getString(2), null))
                            : Optional.<Artefact>empty();
                }
            }
        });
    }

    /**
     * Writes an artefact's content to {@code out} a chunk at a time, so that neither this process
     * nor the database holds the whole (the column is stored uncompressed, V3, so a chunk costs
     * only its own bytes).
     *
     * @param jobId a job
     * @param kind which artefact
     * @param size its size ({@link #artefactInfo})
     * @param chunk bytes per read
     * @param out where to write
     * @throws IOException from {@code out}
     */
    public void copyArtefact(long jobId, ArtefactKind kind, long size, int chunk, java.io.OutputStream out)
            throws java.io.IOException {
        for (long offset = 0; offset < size; offset += chunk) {
            long from = offset;
            byte[] part = Sql.inTransaction(database, "reading the " + kind + " of job " + jobId, connection -> {
                try (PreparedStatement select = connection.prepareStatement("SELECT substring(content FROM ? FOR ?)"
                        + " FROM artefact WHERE job_id = ? AND kind = ?")) {
                    select.setInt(1, Math.toIntExact(from + 1)); // bytea holds at most 1 GB
                    select.setInt(2, chunk);
                    select.setLong(3, jobId);
                    select.setString(4, kind.label());
                    try (ResultSet r = select.executeQuery()) {
                        return r.next() ? r.getBytes(1) : null;
                    }
                }
            });
            if (part == null || part.length == 0) {
                throw new java.io.IOException("the " + kind + " of job " + jobId + " ended at byte " + from + " of "
                        + size);
            }
            out.write(part);
        }
    }

    /**
     * @param content bytes
     * @return their SHA-256, hex
     */
    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
