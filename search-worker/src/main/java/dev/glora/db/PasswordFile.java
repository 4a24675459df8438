package dev.glora.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The server's password, kept in {@code <data folder>.secret} (mode 0600, next to the data folder):
 * 32 random bytes as 64 hex digits, made on first use and read on every later start.
 */
final class PasswordFile {

    private PasswordFile() {}

    /**
     * @param file the password file
     * @return the password it holds, or a new one written there (atomically, 0600) when it is
     *     missing
     * @throws DatabaseException when the file is a link, not a regular file, or holds anything else
     */
    static String readOrMake(Path file) {
        try {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isSymbolicLink(file) || !Files.isRegularFile(file)) {
                    throw new DatabaseException(
                            "embedded PostgreSQL: " + file + " is not a regular file");
                }
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                String stored = Files.readString(file, StandardCharsets.US_ASCII).strip();
                if (!stored.matches("[0-9a-f]{64}")) {
                    throw new DatabaseException(
                            "embedded PostgreSQL: "
                                    + file
                                    + " does not hold a password this"
                                    + " service wrote (64 hex digits); remove it only together with the data folder");
                }
                return stored;
            }
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String made = HexFormat.of().formatHex(random);
            Path staging =
                    Files.createTempFile(
                            file.getParent(),
                            ".secret-",
                            ".tmp",
                            PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rw-------")));
            Files.writeString(staging, made + "\n", StandardCharsets.US_ASCII);
            Files.move(staging, file, StandardCopyOption.ATOMIC_MOVE);
            return made;
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot keep the password in "
                            + file
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
