package dev.glora.supernet.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.data.Idx;
import dev.glora.supernet.data.ImageCodec;
import dev.glora.supernet.importer.Npz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Issue 31: coverage-guided fuzz tests (Jazzer) of the parsers that read what users and uploads
 * hand in. Each may refuse an input only with this project's own {@link GloraException} (a one-line
 * reason naming the file); any other exception, a hang or running out of memory is a finding. Under
 * {@code ./mvnw verify} each replays its committed corpus ({@code
 * src/test/resources/dev/glora/supernet/fuzz/ParsersFuzzTestInputs/<method>/}) and an empty input;
 * {@code bin/fuzz TARGET MINUTES} fuzzes one.
 */
class ParsersFuzzTest {

    /** The memory an import may take while fuzzed: a bomb must be refused, not allocated. */
    private static final long BUDGET = 64L << 20;

    private static Path write(byte[] data, String suffix) throws IOException {
        Path file = Files.createTempFile("fuzz", suffix);
        Files.write(file, data);
        return file;
    }

    /** Runs a parser on the input written to a file; refusals are fine, nothing else is. */
    private static void refusedOrRead(byte[] data, String suffix, FileParser parser)
            throws Exception {
        Path file = write(data, suffix);
        try {
            parser.parse(file);
        } catch (GloraException refused) {
            // refused with a reason: what a parser must do with a bad file
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private interface FileParser {
        void parse(Path file) throws Exception;
    }

    @FuzzTest(maxDuration = "2h")
    void safetensors(byte[] data) throws Exception {
        refusedOrRead(
                data,
                ".safetensors",
                file -> {
                    Safetensors.header(file);
                    Safetensors.read(file);
                });
    }

    @FuzzTest(maxDuration = "2h")
    void npz(byte[] data) throws Exception {
        refusedOrRead(data, ".npz", file -> Npz.read(file, BUDGET));
    }

    @FuzzTest(maxDuration = "2h")
    void idx(byte[] data) throws Exception {
        refusedOrRead(
                data,
                ".idx",
                file -> {
                    Idx.readImages(file);
                    Idx.readLabels(file);
                });
    }

    @FuzzTest(maxDuration = "2h")
    void image(byte[] data) throws Exception {
        refusedOrRead(data, ".png", ImageCodec::read);
    }

    @FuzzTest(maxDuration = "2h")
    void gloraConfig(byte[] data) {
        try {
            ConfigJson.parse(new String(data, StandardCharsets.UTF_8), "fuzzed config");
        } catch (GloraException refused) {
            // refused with a reason
        }
    }
}
