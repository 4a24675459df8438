package dev.glora.supernet.checkpoint;

import dev.glora.supernet.ConfinedFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What every artefact records about its making (as Tribuo's {@code ModelProvenance} does): the code
 * version and checksums of its sources. No timestamps, so the same inputs give the same bytes.
 */
public final class Provenance {

    private Provenance() {}

    /**
     * @return the version of this code, from the jar manifest, or {@code dev} when run from classes
     */
    public static String codeVersion() {
        String version = Provenance.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /**
     * @param file a file
     * @return its SHA-256 in lower-case hex
     * @throws CheckpointException if it cannot be read
     */
    public static String sha256(Path file) {
        return sha256(null, file);
    }

    /**
     * @param root the folder the file must lie in, opened by {@link ConfinedFiles}; null: any file
     * @param file a file
     * @return its SHA-256 in lower-case hex
     * @throws CheckpointException if it cannot be read, or lies outside the root
     */
    public static String sha256(Path root, Path file) {
        try (InputStream in =
                root == null
                        ? Files.newInputStream(file)
                        : Channels.newInputStream(ConfinedFiles.open(root, file))) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
