package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** The embedded server starts wherever a user runs it, and keeps its data across restarts. */
class EmbeddedPostgresTest {

    private static long count(EmbeddedPostgres pg, String sql) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.jdbcUrl());
        config.setPassword(pg.password());
        try (HikariDataSource source = new HikariDataSource(config);
                Connection c = source.getConnection();
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
        assumeTrue(
                "root".equals(System.getProperty("user.name")),
                "only root runs the server as nobody");
        Path privateDir = privateDir();
        Path data = privateDir.resolve("glora-data").resolve("postgres");
        Path cluster;
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0)) {
            cluster = pg.dataDir();
            assertNotEquals(
                    data,
                    cluster,
                    "nobody cannot enter " + privateDir + ", so the cluster lives elsewhere");
            assertEquals(1, count(pg, "INSERT INTO kept VALUES (1)"));
        }
        try (EmbeddedPostgres again = EmbeddedPostgres.start(data, 0)) {
            assertEquals(cluster, again.dataDir());
            assertEquals(
                    2, count(again, "INSERT INTO kept VALUES (2)"), "the first run's row survived");
        } finally {
            for (Path dir : new Path[] {cluster, privateDir}) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /**
     * As root, a user who removes the data folder to start afresh gets a new cluster: the old
     * stand-in, whose password went with the folder, is set aside, not reused (which failed every
     * start with "password authentication failed").
     */
    @Test
    void asRootARemovedDataFolderStartsAfreshAndSetsTheOldClusterAside() throws Exception {
        assumeTrue(
                "root".equals(System.getProperty("user.name")),
                "only root runs the server as nobody");
        Path privateDir = privateDir();
        Path data = privateDir.resolve("glora-data").resolve("postgres");
        Path cluster = null;
        try {
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0)) {
                cluster = pg.dataDir();
                assertEquals(1, count(pg, "INSERT INTO kept VALUES (1)"));
            }
            delete(privateDir.resolve("glora-data"));
            try (EmbeddedPostgres again = EmbeddedPostgres.start(data, 0)) {
                assertEquals(cluster, again.dataDir());
                assertEquals(
                        1, count(again, "INSERT INTO kept VALUES (1)"), "a new, empty cluster");
            }
            String name = cluster.getFileName() + ".orphaned-";
            try (Stream<Path> siblings = Files.list(cluster.getParent())) {
                List<Path> aside =
                        siblings.filter(p -> p.getFileName().toString().startsWith(name)).toList();
                assertEquals(1, aside.size(), "the old cluster is kept aside");
                assertTrue(Files.exists(aside.get(0).resolve("PG_VERSION")));
                delete(aside.get(0));
            }
        } finally {
            if (cluster != null) {
                delete(cluster);
            }
            delete(privateDir);
        }
    }

    /**
     * @return a folder only its owner can enter (mktemp -d): nobody, the server's user as root,
     *     cannot
     */
    private static Path privateDir() throws Exception {
        Path dir = Files.createTempDirectory("glora-private-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    private static Path reachableDir() throws Exception {
        Path dir = Files.createTempDirectory("glora-pg-");
        Files.setPosixFilePermissions(
                dir, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody, when root
        return dir;
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void itAsksForARandomPasswordKeptBesideTheDataFolderAndSwitchesATrustingClusterToIt()
            throws Exception {
        Path dir = reachableDir();
        Path data = dir.resolve("postgres");
        try {
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0)) {
                Path secret = dir.resolve("postgres.secret");
                assertEquals(secret, pg.secretFile());
                assertEquals(
                        "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
                assertEquals(pg.password(), Files.readString(secret).strip());
                assertTrue(pg.password().matches("[0-9a-f]{64}"), "256 random bits");
                SQLException refused =
                        Assertions.assertThrows(
                                SQLException.class,
                                () -> DriverManager.getConnection(pg.jdbcUrl()).close());
                assertTrue(refused.getMessage().contains("password"), refused.getMessage());
                assertEquals(1, count(pg, "INSERT INTO kept VALUES (1)"));
            }
            // a cluster an older version made trusts every local connection: the next start ends
            // that
            Path hba = data.resolve("pg_hba.conf");
            Files.writeString(
                    hba,
                    "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0)) {
                assertTrue(
                        Files.readAllLines(hba).stream()
                                .noneMatch(l -> !l.startsWith("#") && l.endsWith("trust")),
                        String.join("\n", Files.readAllLines(hba)));
                Assertions.assertThrows(
                        SQLException.class,
                        () -> DriverManager.getConnection(pg.jdbcUrl()).close());
                assertEquals(
                        2,
                        count(pg, "INSERT INTO kept VALUES (2)"),
                        "the data and the password carried over");
            }
        } finally {
            delete(dir);
        }
    }

    @Test
    void aSecondServiceOnTheSameDataFolderIsRefusedAndStopsNothing() throws Exception {
        Path dir = reachableDir();
        Path data = dir.resolve("postgres");
        try (EmbeddedPostgres first = EmbeddedPostgres.start(data, 0)) {
            assertEquals(1, count(first, "INSERT INTO kept VALUES (1)"));
            DatabaseException refused =
                    Assertions.assertThrows(
                            DatabaseException.class, () -> EmbeddedPostgres.start(data, 0));
            assertTrue(
                    refused.getMessage().contains("another service is running on " + data),
                    refused.getMessage());
            assertEquals(
                    2, count(first, "INSERT INTO kept VALUES (2)"), "the first server still runs");
        } finally {
            delete(dir);
        }
    }

    /**
     * Issue 31: the lock is the data folder's real path's, so an alias through a link is refused
     * too.
     */
    @Test
    void aSecondServiceThroughALinkToTheDataFolderIsRefusedAndStopsNothing() throws Exception {
        Path dir = reachableDir();
        Path data = dir.resolve("postgres");
        Path alias = Files.createSymbolicLink(dir.resolve("alias"), dir);
        try (EmbeddedPostgres first = EmbeddedPostgres.start(data, 0)) {
            assertEquals(1, count(first, "INSERT INTO kept VALUES (1)"));
            DatabaseException refused =
                    Assertions.assertThrows(
                            DatabaseException.class,
                            () -> EmbeddedPostgres.start(alias.resolve("postgres"), 0));
            assertTrue(
                    refused.getMessage().contains("another service is running on"),
                    refused.getMessage());
            assertEquals(
                    2, count(first, "INSERT INTO kept VALUES (2)"), "the first server still runs");
        } finally {
            Files.deleteIfExists(alias);
            delete(dir);
        }
    }

    /**
     * Issue 31: a local user who takes the chosen port before the server binds it (on 127.0.0.1, or
     * on ::1 where a server on "localhost" would only warn) never receives the connection: the
     * server listens on 127.0.0.1 alone, the client connects there, and a port taken there is given
     * up for another.
     */
    @Test
    void aPortAnotherProcessTookFirstNeverReceivesTheConnection() throws Exception {
        Path dir = reachableDir();
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket impostor = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
                ServerSocket impostor6 = v6Impostor()) {
            for (ServerSocket socket : new ServerSocket[] {impostor, impostor6}) {
                if (socket != null) {
                    Thread listener =
                            new Thread(
                                    () -> {
                                        try {
                                            while (true) {
                                                socket.accept().close();
                                                accepted.incrementAndGet();
                                            }
                                        } catch (IOException closed) {
                                            // the test is over
                                        }
                                    });
                    listener.setDaemon(true);
                    listener.start();
                }
            }
            int[] offered = {
                impostor.getLocalPort(), impostor6 == null ? 0 : impostor6.getLocalPort()
            };
            AtomicInteger calls = new AtomicInteger();
            IntSupplier ports =
                    () -> {
                        int call = calls.getAndIncrement();
                        if (call == 0) {
                            return offered[0];
                        }
                        if (call == 1 && offered[1] != 0) {
                            return offered[1]; // free on 127.0.0.1, taken on ::1
                        }
                        try (ServerSocket free = new ServerSocket(0)) {
                            return free.getLocalPort();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    };
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir.resolve("postgres"), 0, ports)) {
                assertNotEquals(offered[0], pg.port(), "the port taken on 127.0.0.1 was given up");
                assertEquals(2, calls.get(), "one port given up, the second used");
                assertEquals(1, count(pg, "INSERT INTO kept VALUES (1)"));
                assertTrue(pg.jdbcUrl().startsWith("jdbc:postgresql://127.0.0.1:"), pg.jdbcUrl());
            }
            DatabaseException taken =
                    Assertions.assertThrows(
                            DatabaseException.class,
                            () ->
                                    EmbeddedPostgres.start(dir.resolve("postgres"), offered[0])
                                            .close());
            assertTrue(taken.getMessage().contains("Address already in use"), taken.getMessage());
            assertEquals(0, accepted.get(), "no connection reached a server that is not this one");
        } finally {
            delete(dir);
        }
    }

    /**
     * @return a listener on [::1] at a port free on 127.0.0.1, or null where there is no IPv6
     *     loopback
     */
    private static ServerSocket v6Impostor() {
        for (int i = 0; i < 20; i++) {
            try {
                ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName("::1"));
                try (ServerSocket v4 =
                        new ServerSocket(
                                socket.getLocalPort(), 50, InetAddress.getByName("127.0.0.1"))) {
                    return socket;
                } catch (IOException takenOnV4) {
                    socket.close();
                }
            } catch (IOException noV6) {
                return null;
            }
        }
        return null;
    }

    /**
     * Issue 31: the service connects as a role of its own, no superuser, so no SQL it runs reaches
     * the operating system; what an older version made as {@code postgres} is handed to it.
     */
    @Test
    void theServiceConnectsAsARoleThatIsNoSuperuserAndOwnsTheSchema() throws Exception {
        Path dir = reachableDir();
        Path data = dir.resolve("postgres");
        try {
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0);
                    Connection admin =
                            DriverManager.getConnection(
                                    "jdbc:postgresql://127.0.0.1:"
                                            + pg.port()
                                            + "/postgres?user=postgres",
                                    "postgres",
                                    pg.password());
                    Statement s = admin.createStatement()) {
                // as an older version left it: a table, its sequence and a function owned by
                // postgres
                s.execute("CREATE TABLE legacy (id bigserial PRIMARY KEY, v int)");
                s.execute("CREATE FUNCTION legacy_f() RETURNS int AS 'SELECT 1' LANGUAGE sql");
            }
            try (EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0);
                    Connection c =
                            DriverManager.getConnection(pg.jdbcUrl(), "glora", pg.password());
                    Statement s = c.createStatement()) {
                assertTrue(pg.jdbcUrl().contains("user=glora"), pg.jdbcUrl());
                try (ResultSet r =
                        s.executeQuery(
                                "SELECT current_user, rolsuper FROM pg_roles"
                                        + " WHERE rolname = current_user")) {
                    r.next();
                    assertEquals("glora", r.getString(1));
                    assertFalse(r.getBoolean(2), "the service's role is no superuser");
                }
                SQLException program =
                        Assertions.assertThrows(
                                SQLException.class,
                                () -> s.execute("COPY (SELECT 1) TO PROGRAM 'true'"));
                assertTrue(
                        program.getMessage().contains("permission denied")
                                || program.getMessage().contains("must be superuser"),
                        program.getMessage());
                s.execute("INSERT INTO legacy (v) VALUES (1)");
                s.execute("ALTER TABLE legacy ADD COLUMN w int"); // only an owner may
                s.execute(
                        "CREATE OR REPLACE FUNCTION legacy_f() RETURNS int AS 'SELECT 2' LANGUAGE sql");
                try (ResultSet r = s.executeQuery("SELECT legacy_f()")) {
                    r.next();
                    assertEquals(2, r.getInt(1));
                }
            }
        } finally {
            delete(dir);
        }
    }

    /** Issue 31: a stale postmaster.pid whose pid now names another process is not signalled. */
    @Test
    void aStalePidOfAnotherProcessIsNotSignalled() throws Exception {
        Path pidFile = Files.createTempFile("postmaster", ".pid");
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(pidFile, other.pid() + "\n/some/data\n");
            assertFalse(
                    EmbeddedPostgres.postgresStillRuns(pidFile), "sleep is no PostgreSQL server");
            Files.writeString(pidFile, "not a pid\n");
            assertFalse(EmbeddedPostgres.postgresStillRuns(pidFile));
            assertTrue(other.isAlive());
        } finally {
            other.destroy();
            Files.deleteIfExists(pidFile);
        }
    }
}
