package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** The binaries: the platform's archive, its pinned digest, a private folder checked against it. */
class PostgresBinariesTest {

    @Test
    void picksTheBinariesOfEachSupportedPlatformAndNamesAnyOther() {
        assertEquals("postgres-linux-x86_64.txz", PostgresBinaries.archiveFor("Linux", "amd64"));
        assertEquals("postgres-linux-arm_64.txz", PostgresBinaries.archiveFor("Linux", "aarch64"));
        assertEquals(
                "postgres-darwin-arm_64.txz", PostgresBinaries.archiveFor("Mac OS X", "aarch64"));
        assertEquals(
                "postgres-darwin-x86_64.txz", PostgresBinaries.archiveFor("Mac OS X", "x86_64"));
        DatabaseException refused =
                assertThrows(
                        DatabaseException.class,
                        () -> PostgresBinaries.archiveFor("Windows 11", "amd64"));
        assertTrue(
                refused.getMessage().contains("Windows 11")
                        && refused.getMessage().contains("spring.datasource.url"),
                refused.getMessage());
        // the binaries this build packs are the ones this machine's archive name finds
        assertNotNull(
                PostgresBinaries.class
                        .getClassLoader()
                        .getResource(
                                PostgresBinaries.archiveFor(
                                        System.getProperty("os.name"),
                                        System.getProperty("os.arch"))));
    }

    /** Issue 31: the binaries' archive is checked against a pinned digest, not against itself. */
    @Test
    void onlyThePinnedArchiveIsUnpacked() {
        PostgresBinaries.requirePinned(
                "postgres-linux-x86_64.txz",
                PostgresBinaries.PINNED.get("postgres-linux-x86_64.txz"));
        DatabaseException e =
                assertThrows(
                        DatabaseException.class,
                        () ->
                                PostgresBinaries.requirePinned(
                                        "postgres-linux-x86_64.txz", "00".repeat(32)));
        assertTrue(e.getMessage().contains("not the pinned"), e.getMessage());
        assertEquals(
                3, PostgresBinaries.PINNED.size(), "every platform the build's profiles choose");
    }

    @Test
    void theUnpackedBinariesAreThisUsersAndAFolderOthersCanWriteIsRefused() throws Exception {
        Path home = PostgresBinaries.unpacked();
        assertTrue(Files.isExecutable(home.resolve("bin").resolve("postgres")), home.toString());
        assertEquals(home, PostgresBinaries.unpacked(), "unpacked once, found again");
        // a folder others could write into is never run from
        Path shared = Files.createTempDirectory("glora-shared-");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
            DatabaseException e =
                    assertThrows(
                            DatabaseException.class, () -> PostgresBinaries.requirePrivate(shared));
            assertTrue(e.getMessage().contains("rwxrwxrwx"), e.getMessage());
        } finally {
            Files.delete(shared);
        }
    }
}
