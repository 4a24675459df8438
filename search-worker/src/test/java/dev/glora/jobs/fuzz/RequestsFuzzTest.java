package dev.glora.jobs.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.glora.jobs.DataLibrary;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.supernet.ConfinedFiles;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.data.FolderTask;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Issue 31: fuzz tests (Jazzer) of what the service reads from a request: a job spec, and a data
 * set upload's zip. Each may refuse an input only with a {@link GloraException} (which the API
 * answers 400, 409, 413 or 422); any other exception, a hang or running out of memory is a finding.
 * The committed corpus replays in every {@code ./mvnw verify}; {@code bin/fuzz TARGET MINUTES}
 * fuzzes one.
 */
class RequestsFuzzTest {

    @FuzzTest(maxDuration = "2h")
    void jobRequest(byte[] data) {
        try {
            JobSpec spec =
                    JobRequest.parse(new String(data, StandardCharsets.UTF_8)).withDefaults();
            spec.validate();
        } catch (GloraException refused) {
            // a 400 naming the field
        }
    }

    @FuzzTest(maxDuration = "2h")
    void datasetZip(byte[] data) throws Exception {
        Path root = Files.createTempDirectory("fuzz-data");
        try {
            DataLibrary.add(
                    root,
                    "fuzzed",
                    new ByteArrayInputStream(data),
                    1 << 20,
                    0,
                    new FolderTask.Sizes(4, 2, 0, 0));
        } catch (GloraException refused) {
            // a 4xx naming what is wrong
        } finally {
            ConfinedFiles.deleteTree(root);
        }
    }
}
