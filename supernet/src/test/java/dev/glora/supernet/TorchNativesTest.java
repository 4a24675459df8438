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
import java.io.UncheckedIOException;
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
 * The engine's build: DJL's MKL libtorch on Intel CPUs, OpenBLAS libtorch on other x86-64 Linux
 * CPUs, unpacked safely, chosen by a setting.
 */
@Timeout(300)
class TorchNativesTest {

    private static boolean linuxX86() {
        return TorchNatives.unavailableReason() == null;
    }

    /**
     * The build this process loaded is the one its setting asks for: {@code auto}'s choice for this
     * CPU ({@link TorchNatives#automatic}) unless {@code GLORA_NATIVES} names one. The module's
     * tests run twice, the second time with {@code GLORA_NATIVES=openblas} (the pom's {@code
     * openblas-build} execution), so that both builds are loaded and checked on every CPU.
     */
    @Test
    void theEngineThisProcessLoadedIsTheBuildItsSettingPicks() throws IOException {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        assumeTrue(System.getenv("PYTORCH_LIBRARY_PATH") == null, "the user chose a libtorch");
        String setting = TorchNatives.setting(System.getenv(TorchNatives.ENV));
        String expected =
                setting.equals("auto") ? TorchNatives.automatic(TorchNatives.cpuVendor()) : setting;
        TorchRuntime.engine();
        assertEquals(expected, TorchNatives.choose());
        String maps = Files.readString(Path.of("/proc/self/maps"));
        if (expected.equals("openblas")) {
            assertTrue(
                    maps.contains("/2.7.1-openblas-1.5.12-linux-x86_64/libtorch_cpu.so"),
                    "libtorch_cpu.so is Bytedeco's");
            assertTrue(maps.contains("/libopenblas.so.0"), "OpenBLAS is loaded");
            assertFalse(maps.contains("libmkl"), "no MKL library is loaded");
            assertFalse(
                    maps.contains("-cpu-linux-x86_64/libtorch_cpu.so"),
                    "DJL's MKL libtorch is not loaded");
        } else {
            assertTrue(
                    maps.contains("-cpu-linux-x86_64/libtorch_cpu.so"),
                    "libtorch_cpu.so is DJL's MKL build");
            assertFalse(maps.contains("/libopenblas.so.0"), "OpenBLAS is not loaded");
            assertFalse(
                    maps.contains("-openblas-1.5.12-linux-x86_64/"),
                    "Bytedeco's libtorch is not loaded");
        }
    }

    /**
     * Issue 32: DJL's MKL build on an Intel CPU, where it was measured faster; OpenBLAS elsewhere.
     */
    @Test
    void autoPrefersMklOnIntelAndOpenBlasElsewhere() {
        assertEquals("mkl", TorchNatives.automatic("GenuineIntel"));
        assertEquals("openblas", TorchNatives.automatic("AuthenticAMD"));
        assertEquals("openblas", TorchNatives.automatic(""));
        assumeTrue(Files.isReadable(Path.of("/proc/cpuinfo")), "Linux");
        String cpuinfo;
        try {
            cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(TorchNatives.cpuVendor().isEmpty());
        assertTrue(
                cpuinfo.contains("vendor_id\t: " + TorchNatives.cpuVendor()),
                "cpuVendor is /proc/cpuinfo's vendor_id");
    }

    /**
     * Issue 32: OpenBLAS runs its matrix products on a thread pool of its own (every core by
     * default), which libtorch's thread count does not reach; the project's thread count does.
     */
    @Test
    void theThreadCountReachesOpenBlassOwnThreads() {
        assumeTrue(linuxX86(), "the OpenBLAS build exists for x86-64 Linux only");
        TorchRuntime.engine();
        assumeTrue(
                TorchNatives.choose().equals("openblas"),
                "this run loaded another build (the openblas-build run checks it)");
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
