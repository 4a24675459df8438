package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.cli.Glora;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers run only against the schema version they were written for. */
class SchemaTest {

    @Test
    void theVersionIsTheHighestMigration() throws IOException {
        Pattern name = Pattern.compile("V(\\d+)__.+\\.sql");
        int highest;
        try (Stream<Path> files = Files.list(Path.of("..", "migrations"))) {
            highest =
                    files.map(f -> name.matcher(f.getFileName().toString()))
                            .filter(Matcher::matches)
                            .mapToInt(m -> Integer.parseInt(m.group(1)))
                            .max()
                            .orElseThrow();
        }
        assertEquals(highest, Schema.VERSION);
    }

    @Test
    void aMigratedDatabasePassesAndAnEmptyOrNewerOneIsRefusedWithTheReason() throws Exception {
        try (HikariDataSource empty = TestDatabase.pool(TestDatabase.createDatabase(false), 2)) {
            DatabaseException e = assertThrows(DatabaseException.class, () -> Schema.check(empty));
            assertTrue(e.getMessage().contains("no GLoRA schema"), e.getMessage());
        }
        try (HikariDataSource migrated = TestDatabase.pool(TestDatabase.createDatabase(true), 2)) {
            Schema.check(migrated);
            try (Connection c = migrated.getConnection();
                    Statement s = c.createStatement()) {
                s.execute(
                        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                                + " installed_by, execution_time, success) VALUES (99, '"
                                + (Schema.VERSION + 1)
                                + "', 'future', 'SQL', 'V99__future.sql',"
                                + " 'test', 0, true)");
            }
            DatabaseException e =
                    assertThrows(DatabaseException.class, () -> Schema.check(migrated));
            assertTrue(
                    e.getMessage()
                            .contains(
                                    "version "
                                            + (Schema.VERSION + 1)
                                            + ", newer than version "
                                            + Schema.VERSION),
                    e.getMessage());
        }
    }

    /**
     * Issue 35: V5 was edited after it landed. A database that ran it as it first landed starts
     * with today's migrations: it gets the column V5 gained and passes Flyway's validation.
     */
    @Test
    void aDatabaseThatRanV5AsItFirstLandedMigratesToday(@TempDir Path old) throws Exception {
        try (Stream<Path> files = Files.list(Path.of("..", "migrations"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.matches("V[1-4]__.+\\.sql")) {
                    Files.copy(f, old.resolve(n));
                }
            }
        }
        Files.writeString(
                old.resolve("V5__baseline_model.sql"),
                """
                -- a job's LoRA baseline (spec field baseline), merged into a plain model like the job's own, is
                -- stored beside it as the artefact 'baseline-model'
                ALTER TABLE artefact DROP CONSTRAINT artefact_kind_check;
                ALTER TABLE artefact ADD CONSTRAINT artefact_kind_check
                    CHECK (kind IN ('supernet', 'supernet-resume', 'best-config', 'pareto', 'model', 'baseline-model'));
                """);
        String url = TestDatabase.createDatabase(false);
        Flyway.configure()
                .dataSource(url, null, null)
                .locations("filesystem:" + old)
                .load()
                .migrate();
        try (HikariDataSource database = TestDatabase.pool(url, 2)) {
            assertEquals(734022448, v5Checksum(database), "V5 as it first landed");
            Flyway.configure()
                    .dataSource(database)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            Schema.check(database);
            assertEquals(2094035630, v5Checksum(database), "the edited V5's");
            try (Connection c = database.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("UPDATE job SET baseline_test_accuracy = 0.5 WHERE false"); // the column
                // exists
            }
            // and at the next start nothing changes: validation passes as it is
            Flyway.configure()
                    .dataSource(database)
                    .locations("classpath:db/migration")
                    .load()
                    .validate();
        }
    }

    private static int v5Checksum(HikariDataSource database) throws Exception {
        try (Connection c = database.getConnection();
                Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "SELECT checksum FROM flyway_schema_history WHERE version = '5'")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void theWorkerCommandRefusesADatabaseWithoutTheSchema() {
        StringWriter err = new StringWriter();
        int status =
                Glora.run(
                        new String[] {"worker", "--db", TestDatabase.createDatabase(false)},
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err));
        assertEquals(Glora.DATABASE_ERROR, status, "a database error, not bad input");
        assertTrue(
                err.toString().startsWith("glora: database error: ")
                        && err.toString().contains("no GLoRA schema"),
                err.toString());
    }
}
