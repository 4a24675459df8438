package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user id comes from the system, not from {@code /proc} (which macOS lacks). */
class PosixUserTest {

    @Test
    void theUidIsTheOwnerOfAFileThisProcessMakes(@TempDir Path dir) throws Exception {
        Path made = Files.createFile(dir.resolve("mine"));
        assertEquals(((Number) Files.getAttribute(made, "unix:uid")).longValue(), PosixUser.uid());
        assertEquals(PosixUser.uid() == 0, PosixUser.isRoot());
    }
}
