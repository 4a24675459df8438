package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.Sql;
import dev.glora.db.TestDatabase;
import dev.glora.queue.QueueSettings;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Artefacts come back out of the database a chunk at a time, byte for byte. */
class ResultStoreTest {

    @Test
    void anArtefactCopiedInChunksIsTheStoredBytesWhateverTheChunkSize() throws Exception {
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(true), 2)) {
            Stores stores = Stores.open(database, Clock.systemUTC(), QueueSettings.DEFAULTS);
            long job = stores.jobs().submit(new JobRequest("chunks", "b", "d", null, null, 1L).withDefaults());
            byte[] content = new byte[100_003];
            new SplittableRandom(5).nextBytes(content);
            Sql.inTransaction(database, "storing", c -> {
                stores.results().putArtefact(c, job, ArtefactKind.MODEL, content);
                return null;
            });
            Artefact info = stores.results().artefactInfo(job, ArtefactKind.MODEL).orElseThrow();
            assertEquals(content.length, info.size());
            assertEquals(ResultStore.sha256(content), info.sha256());
            for (int chunk : new int[] {7, 4096, 100_003, 1 << 20}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                stores.results().copyArtefact(job, ArtefactKind.MODEL, info.size(), chunk, out);
                assertArrayEquals(content, out.toByteArray(), "chunk " + chunk);
            }
        }
    }
}
