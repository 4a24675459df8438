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
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Workers run only against the schema version they were written for. */
class SchemaTest {

    @Test
    void theVersionIsTheHighestMigration() throws IOException {
        Pattern name = Pattern.compile("V(\\d+)__.+\\.sql");
        int highest;
        try (Stream<Path> files = Files.list(Path.of("..", "migrations"))) {
            highest = files.map(f -> name.matcher(f.getFileName().toString())).filter(Matcher::matches)
                    .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElseThrow();
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
            try (Connection c = migrated.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                        + " installed_by, execution_time, success) VALUES (99, '" + (Schema.VERSION + 1)
                        + "', 'future', 'SQL', 'V99__future.sql',"
                        + " 'test', 0, true)");
            }
            DatabaseException e = assertThrows(DatabaseException.class, () -> Schema.check(migrated));
            assertTrue(e.getMessage().contains("version " + (Schema.VERSION + 1) + ", newer than version "
                    + Schema.VERSION), e.getMessage());
        }
    }

    @Test
    void theWorkerCommandRefusesADatabaseWithoutTheSchema() {
        StringWriter err = new StringWriter();
        int status = Glora.run(new String[] {"worker", "--db", TestDatabase.createDatabase(false)},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(Glora.DATABASE_ERROR, status, "a database error, not bad input");
        assertTrue(err.toString().startsWith("glora: database error: ") && err.toString().contains("no GLoRA schema"),
                err.toString());
    }
}
