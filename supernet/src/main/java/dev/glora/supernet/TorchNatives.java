package dev.glora.supernet;

import ai.djl.util.Utils;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the libtorch build DJL's PyTorch engine loads, before the engine is first touched.
 *
 * <p>Two builds of libtorch 2.7.1 come from Maven Central with the project: DJL's own ({@code
 * ai.djl.pytorch:pytorch-native-cpu}, built on Intel MKL) and Bytedeco's ({@code
 * org.bytedeco:pytorch:2.7.1-1.5.12}, built on OpenBLAS {@code
 * org.bytedeco:openblas:0.3.30-1.5.12}). On x86-64 Linux with an AMD CPU the OpenBLAS build trains
 * and scores faster (BENCHMARKS.md, "The engine's build"), so it is the default there; on an Intel
 * CPU DJL's MKL build is the faster one (BENCHMARKS.md, "On an Intel Xeon with AMX") and stays the
 * default. The OpenBLAS build's eight libraries are unpacked once from the class path into DJL's
 * engine cache (one folder per version, written to a temporary folder and renamed into place, so
 * that processes starting together never load a half-written copy) and DJL is pointed at that
 * folder with its own {@code PYTORCH_LIBRARY_PATH}, {@code PYTORCH_VERSION} and {@code
 * PYTORCH_FLAVOR} settings. DJL's JNI library for 2.7.1 is the same for both builds.
 *
 * <p>The setting {@code glora.natives} (environment {@code GLORA_NATIVES}) picks the build: {@code
 * auto} (the default: DJL's on an Intel CPU, else OpenBLAS where its jars are on the class path,
 * else DJL's; {@link #automatic}), {@code openblas} (refuses to start without it) or {@code mkl}
 * (DJL's build). A {@code PYTORCH_LIBRARY_PATH} the user set (a CUDA libtorch, say) always wins and
 * is left alone.
 */
public final class TorchNatives {

    /** The system property that picks the build; the environment variable is {@link #ENV}. */
    public static final String PROPERTY = "glora.natives";

    /** The environment variable that picks the build when {@link #PROPERTY} is not set. */
    public static final String ENV = "GLORA_NATIVES";

    /** The libtorch version both builds carry; DJL's JNI library must match it. */
    static final String TORCH_VERSION = "2.7.1";

    /** Bytedeco's release of the OpenBLAS build: part of the cache folder's name. */
    static final String BYTEDECO_RELEASE = "1.5.12";

    private static final String TORCH_RESOURCES = "org/bytedeco/pytorch/linux-x86_64/";
    private static final String OPENBLAS_RESOURCES = "org/bytedeco/openblas/linux-x86_64/";

    /** What libtorch_cpu.so needs from each jar (its RUNPATH is {@code $ORIGIN}). */
    static final List<String> LIBRARIES =
            List.of(
                    TORCH_RESOURCES + "libc10.so",
                    TORCH_RESOURCES + "libgomp.so.1",
                    TORCH_RESOURCES + "libtorch_cpu.so",
                    TORCH_RESOURCES + "libtorch.so",
                    OPENBLAS_RESOURCES + "libopenblas.so.0",
                    OPENBLAS_RESOURCES + "libgfortran.so.5",
                    OPENBLAS_RESOURCES + "libquadmath.so.0",
                    OPENBLAS_RESOURCES + "libgcc_s.so.1");

    private static final Logger LOG = LoggerFactory.getLogger(TorchNatives.class);

    /** The build chosen by {@link #choose}: {@code openblas}, {@code mkl} or {@code user}. */
    private static volatile String chosen;

    /** The folder the OpenBLAS build was unpacked into, when it is the one chosen. */
    private static volatile Path openblasFolder;

    private TorchNatives() {}

    /**
     * Points DJL at the build the setting asks for. Runs once per process; later calls return the
     * first call's choice.
     *
     * @return {@code openblas}, {@code mkl} (DJL's own build) or {@code user} (the user's {@code
     *     PYTORCH_LIBRARY_PATH})
     * @throws GloraException if the setting is unknown, or {@code openblas} was asked for and
     *     cannot be had
     */
    public static synchronized String choose() {
        if (chosen == null) {
            chosen = decide();
        }
        return chosen;
    }

    private static String decide() {
        if (Utils.getEnvOrSystemProperty("PYTORCH_LIBRARY_PATH") != null) {
            return "user";
        }
        String property = System.getProperty(PROPERTY);
        String setting = setting(property != null ? property : Utils.getEnvOrSystemProperty(ENV));
        if (setting.equals("mkl")) {
            return "mkl";
        }
        boolean required = setting.equals("openblas");
        if (!required && automatic(cpuVendor()).equals("mkl")) {
            LOG.debug("libtorch: DJL's MKL build (an Intel CPU)");
            return "mkl";
        }
        String unavailable = unavailableReason();
        if (unavailable != null) {
            if (required) {
                throw new GloraException(
                        "the OpenBLAS build of libtorch cannot be used: " + unavailable);
            }
            LOG.debug("libtorch: DJL's MKL build ({})", unavailable);
            return "mkl";
        }
        Path folder;
        try {
            folder = unpack(Utils.getEngineCacheDir("pytorch"));
        } catch (IOException | RuntimeException e) {
            if (required) {
                throw new GloraException(
                        "the OpenBLAS build of libtorch could not be unpacked: " + e.getMessage(),
                        e);
            }
            LOG.warn(
                    "libtorch: the OpenBLAS build could not be unpacked ({}); using DJL's MKL build",
                    e.toString());
            return "mkl";
        }
        System.setProperty("PYTORCH_LIBRARY_PATH", folder.toString());
        System.setProperty("PYTORCH_VERSION", TORCH_VERSION);
        System.setProperty("PYTORCH_FLAVOR", "cpu");
        openblasFolder = folder;
        return "openblas";
    }

    /**
     * Sets OpenBLAS's own thread count. Its matrix products run on a thread pool of its own, every
     * core by default, which libtorch's {@code set_num_threads} does not reach (DJL's MKL build
     * follows libtorch, so nothing is needed there): without this, {@code --threads 1} ran every
     * matrix product on all cores (issue 32). The count is process-wide in OpenBLAS, not per thread
     * as libtorch's own is; it decides how products are split, not their results.
     *
     * @param threads the threads of OpenBLAS's products, at least 1
     * @return whether it was set (false unless the OpenBLAS build is the one loaded)
     */
    public static boolean setBlasThreads(int threads) {
        Path folder = openblasFolder;
        if (folder == null) {
            return false;
        }
        NativeLibrary.getInstance(folder.resolve("libopenblas.so.0").toString())
                .getFunction("openblas_set_num_threads")
                .invokeVoid(new Object[] {threads});
        return true;
    }

    /**
     * @return OpenBLAS's thread count now, or 0 unless the OpenBLAS build is the one loaded
     */
    public static int blasThreads() {
        Path folder = openblasFolder;
        return folder == null
                ? 0
                : NativeLibrary.getInstance(folder.resolve("libopenblas.so.0").toString())
                        .getFunction("openblas_get_num_threads")
                        .invokeInt(new Object[0]);
    }

    /**
     * The build {@code auto} prefers on a CPU, as measured with {@code bin/bench-natives}, one
     * thread on both sides: on AMD EPYCs (Zen 3, 4, 5) the OpenBLAS build trained and scored
     * faster; on an Intel Xeon with AVX-512 and AMX DJL's MKL build was ahead of it on every figure
     * (at ViT-S/16 224 px candidates 0.0651 against 0.0526 per second), as MKL is on the CPUs it is
     * made for.
     *
     * @param vendor the CPU's {@code vendor_id} ({@link #cpuVendor}), or "" when unknown
     * @return {@code mkl} for {@code GenuineIntel}, else {@code openblas} (which falls back to
     *     DJL's build where the OpenBLAS one is unavailable)
     */
    static String automatic(String vendor) {
        return vendor.equals("GenuineIntel") ? "mkl" : "openblas";
    }

    /**
     * @return the first {@code vendor_id} of {@code /proc/cpuinfo} ({@code GenuineIntel}, {@code
     *     AuthenticAMD}, ...), or "" where there is none (not Linux, or unreadable)
     */
    static String cpuVendor() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("vendor_id"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse("");
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /**
     * @param raw the setting as given, or null
     * @return {@code auto}, {@code openblas} or {@code mkl}
     * @throws GloraException naming the allowed values if it is none of them
     */
    static String setting(String raw) {
        String setting =
                raw == null || raw.isBlank() ? "auto" : raw.strip().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "openblas", "mkl").contains(setting)) {
            throw new GloraException(
                    PROPERTY
                            + " (environment "
                            + ENV
                            + ") must be auto, openblas or mkl, got '"
                            + raw
                            + "'");
        }
        return setting;
    }

    /**
     * @return why the OpenBLAS build cannot be used on this platform or class path, or null
     */
    static String unavailableReason() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "it is built for x86-64 Linux only, this is " + os + " " + arch;
        }
        for (String library : LIBRARIES) {
            if (TorchNatives.class.getClassLoader().getResource(library) == null) {
                return "the class path lacks "
                        + library
                        + " (org.bytedeco:pytorch:2.7.1-1.5.12 and org.bytedeco:openblas:0.3.30-1.5.12,"
                        + " classifier linux-x86_64)";
            }
        }
        return null;
    }

    /**
     * Unpacks the eight libraries into {@code cache/2.7.1-openblas-1.5.12-linux-x86_64}, unless a
     * complete copy is already there.
     *
     * @param cache DJL's PyTorch engine cache
     * @return the folder holding the libraries
     * @throws IOException if the cache cannot be written
     */
    static Path unpack(Path cache) throws IOException {
        Path folder =
                cache.resolve(TORCH_VERSION + "-openblas-" + BYTEDECO_RELEASE + "-linux-x86_64");
        if (Files.isRegularFile(folder.resolve("libtorch.so"))) {
            return folder;
        }
        Files.createDirectories(cache);
        removeAbandoned(cache);
        Path partial = Files.createTempDirectory(cache, ".openblas-unpacking-");
        try {
            for (String library : LIBRARIES) {
                Path target = partial.resolve(library.substring(library.lastIndexOf('/') + 1));
                try (InputStream in =
                        TorchNatives.class.getClassLoader().getResourceAsStream(library)) {
                    if (in == null) {
                        throw new IOException("the class path lacks " + library);
                    }
                    Files.copy(in, target);
                }
            }
            try {
                Files.move(partial, folder, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(folder.resolve("libtorch.so"))) {
                    throw e;
                }
                // another process finished first: its copy is complete, ours goes
                LOG.debug("libtorch: {} was unpacked by another process", folder);
            }
        } finally {
            deleteQuietly(partial);
        }
        if (!Files.isRegularFile(folder.resolve("libtorch.so"))) {
            throw new IOException(folder + " holds no libtorch.so after unpacking");
        }
        return folder;
    }

    /** Removes what a process killed while unpacking left behind (over an hour old). */
    private static void removeAbandoned(Path cache) throws IOException {
        long hourAgo = System.currentTimeMillis() - 3_600_000L;
        try (var entries = Files.newDirectoryStream(cache, ".openblas-unpacking-*")) {
            for (Path entry : entries) {
                if (Files.getLastModifiedTime(entry).toMillis() < hourAgo) {
                    deleteQuietly(entry);
                }
            }
        }
    }

    private static void deleteQuietly(Path folder) {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (var files = Files.list(folder)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            LOG.debug("libtorch: could not remove {}: {}", folder, e.toString());
        }
    }
}
