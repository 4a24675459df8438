package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A landed migration never changes (issue 35): a database that ran it would fail Flyway's
 * validation. Each one's SHA-256, over its lines (line endings aside, as Flyway's own checksum), is
 * frozen here; a change to the schema is a new {@code V<n>__….sql}, and its hash is added below
 * when it lands. (V5 was edited once after landing; {@code migrations/beforeValidate.sql} repairs
 * the databases that ran the first version, and this test keeps it from happening again.)
 */
class MigrationsFrozenTest {

    private static final Map<String, String> LANDED =
            Map.of(
                    "V1__jobs_queue_results.sql",
                            "84d401805dfb54738157dcdb1f0ef8fb66dd60f63ee0733074c4a17147898540",
                    "V2__job_backbone_architecture.sql",
                            "719d70628a451fa363f43d53a15947f3b3209f4f377cf6c7342665b23cc5310e",
                    "V3__task_failures_artefact_storage.sql",
                            "0996da761287cce987bdd8ef1dfd5881a73b8f69ccaf1b184feca8fd253f8271",
                    "V4__artefact_chunks.sql",
                            "c3b414f43799de3eb96853b04b4e8867e86ccf34386d98961feb2d118773e0f1",
                    "V5__baseline_model.sql",
                            "8c16a3ae281033b9a5caa0b18c81e4b7e786ef97562ab56f642b12e5fda21718",
                    "V6__seeds_finalists.sql",
                            "f6b995668e480dac9eff4691c6e3083a177bee8881fd02966b820b46eb2f6e66");

    @Test
    void everyLandedMigrationIsAsItLandedAndEveryMigrationIsListed() throws Exception {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(Path.of("..", "migrations"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.matches("V\\d+__.*\\.sql")) {
                    found.put(name, sha256OfLines(file));
                }
            }
        }
        assertEquals(
                new TreeMap<>(LANDED),
                found,
                "a landed migration was edited, or a new one is not frozen"
                        + " here yet (add its hash when it lands; never change a landed one: write the next V<n>)");
    }

    private static String sha256OfLines(Path file) throws IOException, NoSuchAlgorithmException {
        String text = Files.readString(file, StandardCharsets.UTF_8).replace("\r\n", "\n");
        return HexFormat.of()
                .formatHex(
                        MessageDigest.getInstance("SHA-256")
                                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
