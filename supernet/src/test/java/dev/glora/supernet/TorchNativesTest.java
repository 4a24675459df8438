package dev.glora.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's build: OpenBLAS libtorch by default on x86-64 Linux, unpacked safely, chosen by a
 * setting.
 */
@Timeout(300)
class TorchNativesTest {

    private static boolean linuxX86() {
        return TorchNatives.unavailableReason() == null;
    }

    @Test
    void theEngineThisProcessLoadedIsTheOpenBlasBuildOnX86Linux() throws IOException {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        assumeTrue(
                System.getenv("PYTORCH_LIBRARY_PATH") == null
                        && System.getenv(TorchNatives.ENV) == null,
                "the user chose the engine's build");
        TorchRuntime.engine();
        assertEquals("openblas", TorchNatives.choose());
        String maps = Files.readString(Path.of("/proc/self/maps"));
        assertTrue(
                maps.contains("/2.7.1-openblas-1.5.12-linux-x86_64/libtorch_cpu.so"),
                "libtorch_cpu.so is Bytedeco's");
        assertTrue(maps.contains("/libopenblas.so.0"), "OpenBLAS is loaded");
        assertFalse(maps.contains("libmkl"), "no MKL library is loaded");
        assertFalse(
                maps.contains("-cpu-linux-x86_64/libtorch_cpu.so"),
                "DJL's MKL libtorch is not loaded");
    }

    /**
     * Issue 32: OpenBLAS runs its matrix products on a thread pool of its own (every core by
     * default), which libtorch's thread count does not reach; the project's thread count does.
     */
    @Test
    void theThreadCountReachesOpenBlassOwnThreads() {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        assumeTrue(
                System.getenv("PYTORCH_LIBRARY_PATH") == null
                        && System.getenv(TorchNatives.ENV) == null,
                "the user chose the engine's build");
        TorchRuntime.engine();
        int before = TorchRuntime.threads();
        try {
            TorchRuntime.setThreads(1);
            assertEquals(1, TorchNatives.blasThreads());
            TorchRuntime.setThreads(2);
            assertEquals(2, TorchNatives.blasThreads());
        } finally {
            TorchRuntime.setThreads(
                    before > 0 ? before : Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void processesStartingTogetherEachGetOneCompleteCopy(@TempDir Path cache) throws Exception {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Path>> unpacked = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                unpacked.add(pool.submit(() -> TorchNatives.unpack(cache)));
            }
            Path folder = unpacked.get(0).get();
            assertEquals(folder, unpacked.get(1).get());
            assertEquals(cache.resolve("2.7.1-openblas-1.5.12-linux-x86_64"), folder);
            for (String library : TorchNatives.LIBRARIES) {
                Path file = folder.resolve(library.substring(library.lastIndexOf('/') + 1));
                try (InputStream in =
                        TorchNatives.class.getClassLoader().getResourceAsStream(library)) {
                    assertEquals(
                            in.transferTo(OutputStream.nullOutputStream()),
                            Files.size(file),
                            file + " is whole");
                }
            }
            try (Stream<Path> entries = Files.list(cache)) {
                assertEquals(
                        List.of(folder), entries.toList(), "no half-written folder is left behind");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCompleteCopyIsReusedNotWrittenAgain(@TempDir Path cache) throws IOException {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        Path folder = cache.resolve("2.7.1-openblas-1.5.12-linux-x86_64");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("libtorch.so"), "a copy made earlier");
        assertEquals(folder, TorchNatives.unpack(cache));
        assertEquals("a copy made earlier", Files.readString(folder.resolve("libtorch.so")));
    }

    @Test
    void theSettingNamesItsValuesWhenItIsWrong() {
        assertEquals("auto", TorchNatives.setting(null));
        assertEquals("auto", TorchNatives.setting(" "));
        assertEquals("mkl", TorchNatives.setting("MKL"));
        assertEquals("openblas", TorchNatives.setting(" openblas "));
        GloraException e = assertThrows(GloraException.class, () -> TorchNatives.setting("blis"));
        assertTrue(e.getMessage().contains("auto, openblas or mkl"), e.getMessage());
        assertTrue(e.getMessage().contains("'blis'"), e.getMessage());
    }

    @Test
    void otherPlatformsAreToldWhyTheyGetDjlsBuild() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        try {
            System.setProperty("os.arch", "aarch64");
            String reason = TorchNatives.unavailableReason();
            assertTrue(reason != null && reason.contains("x86-64 Linux only"), reason);
        } finally {
            System.setProperty("os.name", os);
            System.setProperty("os.arch", arch);
        }
        if (linuxX86()) {
            assertNull(TorchNatives.unavailableReason());
        }
    }
}
