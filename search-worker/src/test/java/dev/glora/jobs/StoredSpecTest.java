package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.search.SearchSettings;
import dev.glora.supernet.train.Trainees;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every stored version reads as the whole spec it meant; a newer one is refused by name. */
class StoredSpecTest {

    private static String resource(String name) throws Exception {
        try (var in = StoredSpecTest.class.getResourceAsStream("/specs/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aSpecStoredBeforeVersionsReadsAsWhatItsJobRanWith() throws Exception {
        JobSpec old = StoredSpec.read(resource("version-0.json"));
        assertEquals(
                new JobSpec(
                        "before versions",
                        "fmnist-vit-upstream.safetensors",
                        "new5",
                        new JobSpec.Supernet(
                                4,
                                List.of(4, 2),
                                500,
                                64,
                                1e-4,
                                1e-4,
                                10,
                                0,
                                Trainees.Sampling.UNIFORM),
                        new JobSpec.Search(
                                50,
                                20,
                                10,
                                25,
                                25,
                                0.1,
                                -1,
                                0,
                                SearchSettings.Objective.ACCURACY,
                                SearchSettings.Init.REPAIR,
                                null,
                                0,
                                SearchSettings.Seeds.NONE,
                                0,
                                0),
                        new JobSpec.Retrain(0, 1e-3, 0, "train800", JobSpec.Retrain.Start.SUPERNET),
                        JobSpec.Baseline.NONE,
                        0),
                old);
        assertEquals(
                4,
                old.trainingThreads(4),
                "no threads stored: the worker's slots, as such jobs trained");
    }

    @Test
    void aSpecWrittenNowCarriesItsVersionAndReadsBackEqual() {
        JobSpec spec =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"baseline\": {\"lora\": true}}")
                        .withDefaults();
        String stored = StoredSpec.write(spec);
        assertTrue(stored.contains("\"" + StoredSpec.FIELD + "\":" + StoredSpec.VERSION), stored);
        assertEquals(spec, StoredSpec.read(stored));
        assertEquals(
                StoredSpec.upgraded(stored).toString(),
                StoredSpec.upgraded(StoredSpec.upgraded(stored).toString()).toString(),
                "upgrading the current version changes nothing");
    }

    @Test
    void aSpecNewerThanThisProgramIsRefusedByName() {
        String newer =
                StoredSpec.write(JobRequest.parse("{}").withDefaults())
                        .replace(
                                "\"" + StoredSpec.FIELD + "\":" + StoredSpec.VERSION,
                                "\"" + StoredSpec.FIELD + "\":" + (StoredSpec.VERSION + 1));
        JobException e = assertThrows(JobException.class, () -> StoredSpec.read(newer));
        assertTrue(
                e.getMessage().contains("specVersion " + (StoredSpec.VERSION + 1))
                        && e.getMessage().contains("same release"),
                e.getMessage());
    }
}
