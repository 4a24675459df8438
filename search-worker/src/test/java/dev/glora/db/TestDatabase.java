package dev.glora.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;

/**
 * A real PostgreSQL for tests: one embedded server per test JVM, a fresh database per call,
 * migrated by Flyway from {@code migrations/} unless asked otherwise. The server and its folder go
 * when the JVM exits.
 */
public final class TestDatabase {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestDatabase() {}

    /**
     * @return the shared server, started on first use
     */
    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                Path dir = Files.createTempDirectory("glora-test-pg-");
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                EmbeddedPostgres started = EmbeddedPostgres.start(dir.resolve("data"), 0);
                started.throwaway();
                Runtime.getRuntime()
                        .addShutdownHook(
                                new Thread(
                                        () -> {
                                            started.close();
                                            delete(dir);
                                        }));
                server = started;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return server;
    }

    /**
     * @param migrated whether to apply the migrations
     * @return the JDBC URL of a new, empty database, with the password (for this process only: hand
     *     a child process {@link #withoutPassword} and {@code GLORA_DB_PASSWORD})
     */
    public static String createDatabase(boolean migrated) {
        String name =
                "glora_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        EmbeddedPostgres pg = server();
        HikariConfig admin = new HikariConfig();
        admin.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres?user=postgres");
        admin.setPassword(pg.password());
        try (HikariDataSource source = new HikariDataSource(admin);
                Connection c = source.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        String url =
                "jdbc:postgresql://127.0.0.1:"
                        + pg.port()
                        + "/"
                        + name
                        + "?user=postgres&password="
                        + pg.password();
        if (migrated) {
            Flyway.configure()
                    .dataSource(url, "postgres", pg.password())
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        }
        return url;
    }

    /**
     * @param url a URL from {@link #createDatabase}
     * @return it without the password
     */
    public static String withoutPassword(String url) {
        return url.replaceAll("&password=[^&]*", "");
    }

    /**
     * @param url a database
     * @param poolSize connections
     * @return a pool on it; the caller closes it
     */
    public static HikariDataSource pool(String url, int poolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(poolSize);
        return new HikariDataSource(config);
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
