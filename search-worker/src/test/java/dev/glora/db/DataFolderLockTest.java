package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One owner per data folder, within a process and across processes; closing hands it on. */
class DataFolderLockTest {

    @TempDir Path dir;

    @Test
    void aSecondHolderIsRefusedUntilTheFirstLetsGo() throws Exception {
        Path file = dir.resolve("data.lock");
        try (DataFolderLock first = DataFolderLock.hold(file, dir.resolve("data"))) {
            DatabaseException e =
                    assertThrows(
                            DatabaseException.class,
                            () -> DataFolderLock.hold(file, dir.resolve("data")));
            assertTrue(
                    e.getMessage().contains("another service is running on " + dir.resolve("data")),
                    e.getMessage());
        }
        DataFolderLock.hold(file, dir.resolve("data")).close();
    }

    @Test
    void anotherProcessHoldingTheFileIsRefused() throws Exception {
        Path file = dir.resolve("data.lock");
        Files.createFile(file);
        // FileChannel.tryLock takes a POSIX record lock (fcntl), as Python's lockf does
        Process holder =
                new ProcessBuilder(
                                "python3",
                                "-c",
                                "import fcntl,sys,time\n"
                                        + "f=open(sys.argv[1],'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
                                file.toString())
                        .redirectErrorStream(true)
                        .start();
        try {
            assumeTrue(
                    new String(holder.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)
                            .equals("held"),
                    "python3 takes the lock");
            assertThrows(
                    DatabaseException.class, () -> DataFolderLock.hold(file, dir.resolve("data")));
        } finally {
            holder.destroyForcibly().waitFor();
        }
        DataFolderLock.hold(file, dir.resolve("data")).close();
    }
}
