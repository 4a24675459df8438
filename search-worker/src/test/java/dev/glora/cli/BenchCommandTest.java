package dev.glora.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The bench's page-fault count: the kernel's own, read from {@code /proc/self/stat}. */
class BenchCommandTest {

    @Test
    void touchingFreshMemoryCountsItsPages() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "Linux");
        long before = BenchCommand.minorFaults();
        assertTrue(before > 0, "a running JVM has faulted pages in: " + before);
        int bytes = 64 << 20;
        ByteBuffer fresh = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i += 4096) {
            fresh.put(i, (byte) 1);
        }
        long faults = BenchCommand.minorFaults() - before;
        // 16,384 pages of 4 KiB; fewer where the kernel backs the buffer with huge pages
        assertTrue(faults >= 32, "64 MiB touched page by page faulted " + faults + " times");
        assertTrue(faults < 1_000_000, "a count of pages, not bytes: " + faults);
    }
}
