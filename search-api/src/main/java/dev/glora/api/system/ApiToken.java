package dev.glora.api.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The service's API token, as notebook servers keep one: {@code glora.api-token} when configured;
 * otherwise, unless {@code glora.require-token=false} (loopback only, {@link ExposureCheck}), a
 * random 256-bit token made on first start in {@code glora.api-token-file} (default {@code
 * glora-data/api-token}, mode 0600, beside the embedded database's folder) and read from it on
 * every later start, so a local user who cannot read that file cannot drive the service.
 */
@Component
public class ApiToken {

    private final String value;
    private final Path file;

    /**
     * @param properties the settings
     */
    @Autowired
    ApiToken(GloraProperties properties) {
        this(properties.apiToken(), properties.requireToken(), properties.apiTokenFile());
    }

    /**
     * @param configured the configured token, or null
     * @param required whether a token is made when none is configured
     * @param file where a made token is kept
     */
    ApiToken(String configured, boolean required, Path file) {
        this.file = configured == null && required ? file : null;
        this.value = configured != null ? configured : required ? readOrMake(file) : null;
        if (this.file != null) {
            writeHeaderFile(this.file, this.value);
        }
    }

    /**
     * @param file the token's file
     * @return beside it, {@code <file>.header}: the request header that shows the token, for {@code
     *     curl -H @FILE}, so that the token never stands in a command line (a process list)
     */
    public static Path headerFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".header");
    }

    private static void writeHeaderFile(Path file, String token) {
        Path header = headerFile(file);
        String content = "Authorization: Bearer " + token + "\n";
        try {
            if (Files.isSymbolicLink(header)) {
                throw new IllegalStateException(
                        header
                                + " is a symbolic link: the header file is written only as a"
                                + " regular file");
            }
            if (Files.exists(header)
                    && Files.readString(header, StandardCharsets.US_ASCII).equals(content)) {
                return;
            }
            Files.deleteIfExists(header);
            Files.writeString(
                    createPrivate(header, PosixFilePermissions.fromString("rw-------")),
                    content,
                    StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    header + ": cannot write the API token's header file: " + e.getMessage(), e);
        }
    }

    /**
     * @return the token, or null when the service runs without one (loopback, require-token off)
     */
    public String value() {
        return value;
    }

    /**
     * @return the file the token was read from or made in, or null when it was configured or is off
     */
    public Path file() {
        return file;
    }

    /**
     * @param file where the token is kept
     * @return the token in it, made first (0600, created exclusively) when there is none
     */
    static String readOrMake(Path file) {
        try {
            if (!Files.exists(file)) {
                byte[] bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
                String made = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                Path parent = file.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rw-------");
                try {
                    Files.writeString(
                            createPrivate(file, owner), made + "\n", StandardCharsets.US_ASCII);
                    return made;
                } catch (FileAlreadyExistsException e) {
                    // another start made it first: read that one
                }
            }
            if (Files.isSymbolicLink(file)) {
                throw new IllegalStateException(
                        file
                                + " is a symbolic link: the API token is read only from a"
                                + " regular file");
            }
            String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (token.length() < 16) {
                throw new IllegalStateException(
                        file
                                + " holds no usable API token (at least 16 characters);"
                                + " delete it and a new one is made at the next start");
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    file + ": cannot read or make the API token: " + e.getMessage(), e);
        }
    }

    private static Path createPrivate(Path file, Set<PosixFilePermission> owner)
            throws IOException {
        try {
            return Files.createFile(file, PosixFilePermissions.asFileAttribute(owner));
        } catch (UnsupportedOperationException e) {
            return Files.createFile(file); // not POSIX: the platform's defaults
        }
    }
}
