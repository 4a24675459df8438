package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.worker.TinyJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The checks a spec passes before it is stored, against real files under real roots. */
@Timeout(60)
class SubmitChecksTest {

    @TempDir Path dir;

    private static List<String> fields(SubmitChecks.Outcome outcome) {
        return outcome.errors().stream().map(JobSpec.FieldError::field).toList();
    }

    @Test
    void aSpecWhoseFilesAreThereAndFitPassesWithTheBackbonesArchitecture() throws Exception {
        Roots roots = TinyJob.write(dir);
        SubmitChecks.Outcome outcome = SubmitChecks.check(TinyJob.spec(1, 2, 6), roots);
        assertEquals(List.of(), outcome.errors());
        assertEquals(
                Catalog.model(roots.models(), roots.backbone(TinyJob.BACKBONE)).architecture(),
                outcome.architecture());
        assertEquals(List.of(), SubmitChecks.stillThere(TinyJob.spec(1, 2, 6), roots));
    }

    @Test
    void aMissingBackboneAndAMissingTaskAreBothNamed() throws Exception {
        Roots roots = TinyJob.write(dir);
        JobSpec spec = TinyJob.spec(1, 2, 6);
        Files.delete(roots.backbone(TinyJob.BACKBONE));
        try (Stream<Path> files = Files.walk(roots.task(TinyJob.TASK))) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        SubmitChecks.Outcome outcome = SubmitChecks.check(spec, roots);
        assertEquals(List.of("backbone", "data"), fields(outcome), outcome.toString());
        assertNull(outcome.architecture());
        assertEquals(List.of("backbone", "data"), fieldsOf(SubmitChecks.stillThere(spec, roots)));
    }

    @Test
    void aSupernetIsRefusedAsABackbone() throws Exception {
        Roots roots = TinyJob.write(dir);
        Path supernet = roots.models().resolve("supernet.safetensors");
        Safetensors.write(
                TinyModels.trainedSupernet(
                        TinyModels.randomBackbone(TinyModels.tinyArch(), 1),
                        TinyModels.tinyArch(),
                        4,
                        2),
                supernet);
        JobSpec tiny = TinyJob.spec(1, 2, 6);
        JobSpec spec =
                new JobRequest(
                                "tiny",
                                "supernet.safetensors",
                                TinyJob.TASK,
                                null,
                                null,
                                tiny.seed())
                        .withDefaults();
        SubmitChecks.Outcome outcome = SubmitChecks.check(spec, roots);
        assertTrue(
                outcome.errors().stream()
                        .anyMatch(
                                e ->
                                        e.field().equals("backbone")
                                                && e.message().contains("is a supernet")),
                outcome.toString());
    }

    @Test
    void aListTheJobWouldReadHoursLaterIsRequiredNow() throws Exception {
        Roots roots = TinyJob.write(dir);
        Files.delete(roots.task(TinyJob.TASK).resolve("train800val200.txt"));
        SubmitChecks.Outcome outcome = SubmitChecks.check(TinyJob.spec(1, 2, 6), roots);
        JobSpec.FieldError error =
                outcome.errors().stream()
                        .filter(e -> e.field().equals("retrain.trainList"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(outcome.toString()));
        assertTrue(error.message().contains("train800val200"), error.message());
        assertTrue(error.message().contains("or retrain on"), error.message());
    }

    @Test
    void theRanksFollowTheLimitOnTheBackboneNamedUnlessTheRequestGivesThem() throws Exception {
        Roots roots = TinyJob.write(dir);
        VitArchitecture arch =
                VitArchitecture.fromMetadata(
                        Catalog.model(roots.models(), roots.backbone(TinyJob.BACKBONE)).shape(),
                        TinyJob.BACKBONE);
        long limit = 16 * Supernet.loraParameterCount(arch, 1) + 5;
        JobSpec limited = SubmitChecks.resolve(request(TinyJob.BACKBONE, null, null, limit), roots);
        assertEquals(List.of(16, 8), limited.supernet().ranks());
        assertEquals(16, limited.supernet().rank());
        assertEquals(List.of(), SubmitChecks.check(limited, roots).errors());
        assertEquals(
                List.of(4, 2),
                SubmitChecks.resolve(request(TinyJob.BACKBONE, null, null, limit / 2), roots)
                        .supernet()
                        .ranks(),
                "below rank 16, the measured 4,2");
        // what the request says wins; no limit, or a backbone that cannot be read: rank 4
        assertEquals(
                List.of(2),
                SubmitChecks.resolve(request(TinyJob.BACKBONE, 2, null, limit), roots)
                        .supernet()
                        .ranks());
        assertEquals(
                List.of(4, 1),
                SubmitChecks.resolve(request(TinyJob.BACKBONE, null, List.of(4, 1), limit), roots)
                        .supernet()
                        .ranks());
        assertEquals(
                List.of(JobRequest.DEFAULT_RANK),
                SubmitChecks.resolve(request(TinyJob.BACKBONE, null, null, -1L), roots)
                        .supernet()
                        .ranks());
        JobSpec missing =
                SubmitChecks.resolve(request("gone.safetensors", null, null, limit), roots);
        assertEquals(List.of(JobRequest.DEFAULT_RANK), missing.supernet().ranks());
        assertEquals(List.of("backbone"), fields(SubmitChecks.check(missing, roots)));
    }

    private static JobRequest request(
            String backbone, Integer rank, List<Integer> ranks, long maxParams) {
        return new JobRequest(
                "tiny",
                backbone,
                TinyJob.TASK,
                new JobRequest.Supernet(rank, ranks, 1, null, null, null, null),
                new JobRequest.Search(null, null, null, null, null, null, maxParams, null, null),
                0L);
    }

    private static List<String> fieldsOf(List<JobSpec.FieldError> errors) {
        return errors.stream().map(JobSpec.FieldError::field).toList();
    }
}
