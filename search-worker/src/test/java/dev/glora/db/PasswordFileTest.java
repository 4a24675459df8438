package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The password is made once, random, 0600, read back after; anything else in its place is refused.
 */
class PasswordFileTest {

    @TempDir Path dir;

    @Test
    void madeOnceReadAfterAndOnlyTheOwnerCanReadIt() throws Exception {
        Path file = dir.resolve("data.secret");
        String made = PasswordFile.readOrMake(file);
        assertTrue(made.matches("[0-9a-f]{64}"), made);
        assertEquals(
                "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(made, PasswordFile.readOrMake(file));
        assertNotEquals(
                made, PasswordFile.readOrMake(dir.resolve("other.secret")), "random, not derived");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        PasswordFile.readOrMake(file);
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "mode restored");
    }

    @Test
    void aLinkOrAForeignContentIsRefusedByName() throws Exception {
        Path target = dir.resolve("target");
        Files.writeString(target, "a".repeat(64));
        Path link = Files.createSymbolicLink(dir.resolve("link.secret"), target);
        DatabaseException e =
                assertThrows(DatabaseException.class, () -> PasswordFile.readOrMake(link));
        assertTrue(e.getMessage().contains(link + " is not a regular file"), e.getMessage());
        Path foreign = dir.resolve("foreign.secret");
        Files.writeString(foreign, "hunter2\n");
        e = assertThrows(DatabaseException.class, () -> PasswordFile.readOrMake(foreign));
        assertTrue(
                e.getMessage().contains(foreign + " does not hold a password this service wrote"),
                e.getMessage());
        assertEquals("hunter2\n", Files.readString(foreign), "left as it was");
    }
}
