package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.Sql;
import dev.glora.db.TestDatabase;
import dev.glora.queue.QueueSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.SplittableRandom;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Artefacts go into the database and come back out of it a chunk at a time, byte for byte. */
class ResultStoreTest {

    private HikariDataSource database;
    private Stores stores;
    private long job;

    @BeforeEach
    void open() {
        database = TestDatabase.pool(TestDatabase.createDatabase(true), 2);
        stores = Stores.open(database, Clock.systemUTC(), QueueSettings.DEFAULTS);
        job =
                stores.jobs()
                        .submit(new JobRequest("chunks", "b", "d", null, null, 1L).withDefaults());
    }

    @AfterEach
    void close() {
        database.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] content = new byte[n];
        new SplittableRandom(seed).nextBytes(content);
        return content;
    }

    private void put(byte[] content, int chunk) {
        Sql.inTransaction(
                database,
                "storing",
                c -> {
                    try {
                        stores.results()
                                .putArtefact(
                                        c,
                                        job,
                                        ArtefactKind.MODEL,
                                        new ByteArrayInputStream(content),
                                        chunk);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                });
    }

    private long chunksStored() {
        return Sql.inTransaction(
                database,
                "counting",
                c -> {
                    try (PreparedStatement count =
                                    c.prepareStatement("SELECT count(*) FROM artefact_chunk");
                            ResultSet row = count.executeQuery()) {
                        row.next();
                        return row.getLong(1);
                    }
                });
    }

    @Test
    void anArtefactStoredInManyChunksIsCopiedBackByteForByteWhateverThePieceSize()
            throws Exception {
        byte[] content = random(100_003, 5);
        put(content, 1_000);
        assertEquals(101, chunksStored(), "100 full chunks and one of 3 bytes");
        Artefact info = stores.results().artefactInfo(job, ArtefactKind.MODEL).orElseThrow();
        assertEquals(content.length, info.size());
        assertEquals(ResultStore.sha256(content), info.sha256());
        for (int piece : new int[] {7, 1_000, 4096, 1 << 20}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            stores.results().copyArtefact(job, ArtefactKind.MODEL, info.size(), piece, out);
            assertArrayEquals(content, out.toByteArray(), "piece " + piece);
        }
        assertArrayEquals(
                content,
                stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().content());
    }

    @Test
    void aReplacedArtefactKeepsNoChunkOfTheOldOneAndDeletingItsJobDeletesTheRest()
            throws Exception {
        put(random(2_500, 1), 1_000);
        byte[] shorter = random(10, 2);
        put(shorter, 1_000);
        assertEquals(1, chunksStored());
        assertArrayEquals(
                shorter,
                stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().content());
        put(new byte[0], 1_000);
        assertEquals(0, chunksStored());
        assertEquals(
                0,
                stores.results().artefact(job, ArtefactKind.MODEL).orElseThrow().content().length);
        put(shorter, 4);
        assertEquals(3, chunksStored());
        assertTrue(stores.jobs().cancel(job));
        assertEquals(JobStore.Deletion.DELETED, stores.jobs().delete(job));
        assertEquals(0, chunksStored());
    }

    @Test
    void aFileIsStoredAndSavedBackWholeAndASavedCopyThatDoesNotMatchItsDigestReplacesNothing(
            @TempDir Path dir) throws Exception {
        byte[] content = random(3 * ResultStore.CHUNK / 2 + 17, 3);
        Path file = Files.write(dir.resolve("model.safetensors"), content);
        Sql.inTransaction(
                database,
                "storing",
                c -> {
                    stores.results().putArtefact(c, job, ArtefactKind.MODEL, file);
                    return null;
                });
        assertEquals(2, chunksStored(), "one full chunk and the rest");
        Artefact info = stores.results().artefactInfo(job, ArtefactKind.MODEL).orElseThrow();
        Path saved = dir.resolve("saved.safetensors");
        stores.results().saveArtefact(job, info, saved);
        assertArrayEquals(content, Files.readAllBytes(saved));

        Path kept = Files.write(dir.resolve("kept.safetensors"), new byte[] {1, 2, 3});
        Artefact wrong =
                new Artefact(info.kind(), info.size(), ResultStore.sha256(new byte[] {9}), null);
        IOException e =
                assertThrows(
                        IOException.class, () -> stores.results().saveArtefact(job, wrong, kept));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(kept));
        try (var left = Files.list(dir)) {
            assertFalse(
                    left.anyMatch(p -> p.toString().endsWith(".tmp")),
                    "the temporary file is gone");
        }
    }

    @Test
    void anArtefactStoredBeforeTheChunksIsReadAfterTheMigration() throws Exception {
        String url = TestDatabase.createDatabase(false);
        Flyway.configure()
                .dataSource(url, null, null)
                .locations("classpath:db/migration")
                .target("3")
                .load()
                .migrate();
        byte[] content = random(70_001, 4);
        long id;
        try (HikariDataSource old = TestDatabase.pool(url, 2)) {
            id =
                    Stores.open(old, Clock.systemUTC(), QueueSettings.DEFAULTS)
                            .jobs()
                            .submit(new JobRequest("old", "b", "d", null, null, 1L).withDefaults());
            Sql.inTransaction(
                    old,
                    "a version 3 artefact",
                    c -> {
                        try (PreparedStatement artefact =
                                c.prepareStatement(
                                        "INSERT INTO artefact (job_id, kind, content,"
                                                + " size, sha256, created_at) VALUES (?, 'model', ?, ?, ?, now())")) {
                            artefact.setLong(1, id);
                            artefact.setBytes(2, content);
                            artefact.setLong(3, content.length);
                            artefact.setString(4, ResultStore.sha256(content));
                            artefact.executeUpdate();
                        }
                        return null;
                    });
        }
        Flyway.configure()
                .dataSource(url, null, null)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        try (HikariDataSource migrated = TestDatabase.pool(url, 2)) {
            Stores after = Stores.open(migrated, Clock.systemUTC(), QueueSettings.DEFAULTS);
            Artefact artefact = after.results().artefact(id, ArtefactKind.MODEL).orElseThrow();
            assertArrayEquals(content, artefact.content());
            assertEquals(ResultStore.sha256(content), artefact.sha256());
        }
    }
}
