package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 30: known adapters seed the first generation; finalists choose by a second fidelity. */
class SeedsAndFinalistsTest {

    private final VitArchitecture arch = TinyModels.tinyArch();
    private final Encoding encoding =
            new Encoding(Supernet.layerShapes(arch), SearchSpace.ofRanks(4, 2));

    private SearchSettings settings(long max, SearchSettings.Seeds seeds) {
        return new SearchSettings(
                12,
                3,
                4,
                4,
                4,
                0.2,
                max,
                0,
                SearchSettings.Objective.ACCURACY,
                7,
                SearchSettings.Init.REPAIR,
                seeds);
    }

    /**
     * Records what it is asked and scores everything alike: where the seeds stand is the order, not
     * fitness.
     */
    private static final class Recorder implements Evaluator {
        final List<SubnetConfig> asked = new ArrayList<>();

        @Override
        public Score[] evaluate(List<SubnetConfig> configs, double mustBeat) {
            asked.addAll(configs);
            Score[] scores = new Score[configs.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = new Score(0.5, true);
            }
            return scores;
        }
    }

    @Test
    void theFirstGenerationOpensWithTheKnownAdaptersThatFitInOrder() {
        List<String> names = Supernet.layerNames(arch);
        long loraR4 = Supernet.loraParameterCount(arch, 4);
        Recorder recorder = new Recorder();
        List<Candidate> first = new ArrayList<>();
        new EvolutionarySearch(encoding, settings(loraR4, SearchSettings.Seeds.KNOWN))
                .run(
                        recorder,
                        EvolutionarySearch.State.EMPTY,
                        (stats, population, state) -> {
                            if (stats.generation() == 0) {
                                first.addAll(population);
                            }
                        });
        List<KnownAdapters.Seed> seeds =
                KnownAdapters.of(encoding, settings(loraR4, SearchSettings.Seeds.KNOWN));
        List<String> seedNames = seeds.stream().map(KnownAdapters.Seed::name).toList();
        assertEquals("lora_qkv_r4", seedNames.get(0), seedNames.toString());
        assertEquals("lora_qkv_r2", seedNames.get(1), seedNames.toString());
        assertTrue(seedNames.contains("all_constant"), seedNames.toString());
        assertTrue(
                seeds.stream().allMatch(s -> s.parameters() <= loraR4),
                "every seed fits the limit");
        assertTrue(
                seedNames.stream().noneMatch(n -> n.equals("lora_all_r4")),
                "LoRA r4 on every layer is larger");
        // asked first, in that order, before any random draw, and marked by name
        for (int i = 0; i < seeds.size(); i++) {
            assertEquals(
                    encoding.decode(seeds.get(i).alleles()),
                    recorder.asked.get(i),
                    seedNames.get(i));
            assertEquals(seedNames.get(i), first.get(i).seed());
        }
        assertEquals(
                SubnetConfig.lora(names, 4),
                recorder.asked.get(0),
                "plain LoRA on qkv is the GLoRA point");
        assertNull(first.get(seeds.size()).seed(), "the random draws carry no seed");
        assertEquals(12, first.size(), "random draws fill the generation");
    }

    @Test
    void noSeedsIsTheReferenceSearchAndNoLimitTakesEverySeed() {
        assertTrue(KnownAdapters.of(encoding, settings(-1, SearchSettings.Seeds.NONE)).isEmpty());
        List<String> all =
                KnownAdapters.of(encoding, settings(-1, SearchSettings.Seeds.KNOWN)).stream()
                        .map(KnownAdapters.Seed::name)
                        .toList();
        assertEquals(
                List.of(
                        "lora_qkv_r4",
                        "lora_qkv_r2",
                        "lora_all_r4",
                        "lora_all_r2",
                        "all_vector",
                        "all_constant"),
                all);
        assertEquals(
                settings(-1, SearchSettings.Seeds.NONE).fingerprint() + " seeds=known",
                settings(-1, SearchSettings.Seeds.KNOWN).fingerprint(),
                "a seeded search resumes only its own state");
    }

    @Test
    void finalistsAreEverySeedAndTheBestOthersAndTheShortTrainingChooses() {
        Candidate seed = new Candidate("s", new int[0], 10, 0.40, 0, true, "lora_qkv_r4");
        Candidate a = new Candidate("a", new int[0], 10, 0.90, 1, true);
        Candidate b = new Candidate("b", new int[0], 20, 0.80, 1, true);
        Candidate c = new Candidate("c", new int[0], 30, 0.70, 2, true);
        List<Candidate> picked = Finalists.pick(List.of(c, seed, b, a), 2);
        assertEquals(
                List.of(a, b, seed),
                picked,
                "the best 2 by the proxy, and the seed however it ranks");
        Finalists finalists =
                new Finalists(
                        5,
                        "train800",
                        List.of(
                                new Finalists.Finalist(a, 0.80),
                                new Finalists.Finalist(b, 0.85),
                                new Finalists.Finalist(seed, 0.85)));
        assertEquals(b, finalists.chosen(), "best after training; a tie goes to the proxy's order");
        assertEquals(15, finalists.totalEpochs());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows =
                (List<Map<String, Object>>) finalists.summary().get("candidates");
        assertEquals("lora_qkv_r4", rows.get(2).get("seed"));
        assertEquals(true, rows.get(1).get("chosen"));
    }

    @Test
    void theFinalistLogKeepsOnlyItsOwnSettingsAndSurvivesACutLine(@TempDir Path dir)
            throws Exception {
        Path log = dir.resolve("finalists.jsonl");
        Candidate a = new Candidate("a", new int[0], 10, 0.90, 1, true);
        FinalistLog.append(log, "settings-1", a, 0.75);
        FinalistLog.append(log, "settings-2", a, 0.60);
        Files.writeString(
                log, "{\"identity\":\"settings-1\",\"key\":\"b\",\"acc", StandardOpenOption.APPEND);
        assertEquals(Map.of("a", 0.75), FinalistLog.read(log, "settings-1"));
        assertEquals(Map.of("a", 0.60), FinalistLog.read(log, "settings-2"));
    }

    @Test
    void theBudgetSumsEveryStage() {
        Map<String, Object> budget = SearchExport.budget(100, 11, 5, 30);
        assertEquals(55, budget.get("finalists_total_epochs"));
        assertEquals(185, budget.get("total_epochs"));
        assertEquals(
                100,
                SearchExport.supernetEpochs(
                        Map.of("train_settings", "epochs=100 batch=64 lr=0.001")));
        assertEquals(0, SearchExport.supernetEpochs(Map.of()));
    }
}
