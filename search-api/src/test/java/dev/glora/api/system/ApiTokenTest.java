package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 31: a token by default, in a file only the service's user can read. */
class ApiTokenTest {

    @TempDir Path dir;

    @Test
    void aTokenIsMadeOnFirstStartReadableByItsOwnerAloneAndKept() throws Exception {
        Path file = dir.resolve("glora-data").resolve("api-token");
        ApiToken first = new ApiToken(null, true, file);
        assertTrue(first.value().length() >= 40, "256 random bits: " + first.value().length());
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(file, first.file());
        assertEquals(
                first.value(), new ApiToken(null, true, file).value(), "the next start reads it");
        Path header = ApiToken.headerFile(file);
        assertEquals(
                "Authorization: Bearer " + first.value() + "\n",
                Files.readString(header),
                "for curl -H @FILE: the token never stands in a command line");
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(header)));
        assertTrue(!first.value().equals(new ApiToken(null, true, dir.resolve("other")).value()));
    }

    @Test
    void aConfiguredTokenWinsAndNoTokenIsOnlyByChoice() {
        ApiToken configured = new ApiToken("configured-token-123", true, dir.resolve("api-token"));
        assertEquals("configured-token-123", configured.value());
        assertNull(configured.file());
        assertTrue(!Files.exists(dir.resolve("api-token")), "nothing made when one is configured");
        assertNull(
                new ApiToken(null, false, dir.resolve("api-token")).value(),
                "glora.require-token=false");
        IllegalStateException exposed =
                assertThrows(
                        IllegalStateException.class,
                        () -> ExposureCheck.requireTokenIfExposed("0.0.0.0", null));
        assertTrue(exposed.getMessage().contains("glora.require-token"), exposed.getMessage());
    }

    @Test
    void aLinkOrAnEmptyFileIsNotATokenFile() throws Exception {
        Path real = dir.resolve("elsewhere");
        Files.writeString(real, "a-token-someone-planted-here\n");
        Path link = Files.createSymbolicLink(dir.resolve("api-token"), real);
        assertTrue(
                assertThrows(IllegalStateException.class, () -> new ApiToken(null, true, link))
                        .getMessage()
                        .contains("symbolic link"));
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertTrue(
                assertThrows(IllegalStateException.class, () -> new ApiToken(null, true, empty))
                        .getMessage()
                        .contains("no usable API token"));
    }
}
