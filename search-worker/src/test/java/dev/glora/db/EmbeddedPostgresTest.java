package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The embedded server starts wherever a user runs it, and keeps its data across restarts. */
class EmbeddedPostgresTest {

    private static long count(EmbeddedPostgres pg, String sql) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.jdbcUrl());
        try (HikariDataSource source = new HikariDataSource(config); Connection c = source.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS kept (id int)");
            s.execute(sql);
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM kept")) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    @Test
    void asRootItStartsFromAFolderNobodyCanEnterAndKeepsItsDataAcrossRestarts() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "only root runs the server as nobody");
        Path privateDir = Files.createTempDirectory("glora-private-");
        Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
        Path data = privateDir.resolve("glora-data").resolve("postgres");
        Path cluster;
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0)) {
            cluster = pg.dataDir();
            assertNotEquals(data, cluster, "nobody cannot enter " + privateDir + ", so the cluster lives elsewhere");
            assertEquals(1, count(pg, "INSERT INTO kept VALUES (1)"));
        }
        try (EmbeddedPostgres again = EmbeddedPostgres.start(data, 0)) {
            assertEquals(cluster, again.dataDir());
            assertEquals(2, count(again, "INSERT INTO kept VALUES (2)"), "the first run's row survived");
        } finally {
            for (Path dir : new Path[] {cluster, privateDir}) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
