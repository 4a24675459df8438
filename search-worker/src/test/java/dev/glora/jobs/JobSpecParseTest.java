package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.search.SearchSettings;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A submitted request is read by the library that stores its spec, strictly, with every fault named
 * by field.
 */
class JobSpecParseTest {

    private static List<JobSpec.FieldError> errors(String json) {
        return assertThrows(JobSpec.Unreadable.class, () -> JobRequest.parse(json)).errors();
    }

    @Test
    void readsWhatItStoresAndLeavesMissingFieldsToTheDefaults() {
        JobRequest parsed =
                JobRequest.parse(
                        """
                {"backbone": "b.safetensors", "data": "t", "seed": 7,
                 "supernet": {"ranks": [4, 2], "epochs": 3, "lr": 0.01},
                 "search": {"maxParams": 10000, "init": "budget"}, "retrain": {"epochs": 2}}""");
        assertEquals(List.of(4, 2), parsed.supernet().ranks());
        assertEquals(3, parsed.supernet().epochs());
        assertNull(parsed.supernet().batchSize(), "missing stays missing until withDefaults");
        assertEquals(10_000L, parsed.search().maxParams());
        JobSpec filled = parsed.withDefaults();
        // the store writes the resolved spec and reloads it as it was; read as a request, it
        // resolves to itself
        String stored = JobStore.gson().toJson(filled);
        assertEquals(filled, JobStore.gson().fromJson(stored, JobSpec.class));
        assertEquals(filled, JobRequest.parse(stored).withDefaults());
    }

    @Test
    void aPopulationGivenAloneBreedsHalfOfItAsMutantsAndHalfAsCrossovers() {
        // issue 35: 20 alone was refused, the default 25 + 25 exceeding it
        JobSpec small = JobRequest.parse("{\"search\": {\"population\": 20}}").withDefaults();
        assertEquals(10, small.search().mutations());
        assertEquals(10, small.search().crossovers());
        assertTrue(
                small.validate().stream().noneMatch(e -> e.field().startsWith("search")),
                small.validate().toString());
        JobSpec defaults = JobRequest.parse("{}").withDefaults();
        assertEquals(SearchSettings.DEFAULT_MUTATIONS, defaults.search().mutations());
        assertEquals(SearchSettings.DEFAULT_CROSSOVERS, defaults.search().crossovers());
        JobSpec given =
                JobRequest.parse("{\"search\": {\"population\": 20, \"mutations\": 3}}")
                        .withDefaults();
        assertEquals(3, given.search().mutations(), "what the user gives stays");
        assertEquals(10, given.search().crossovers());
    }

    @Test
    void aRetrainingStartsFromTheSupernetOrFromFreshAdaptersAndNothingElse() {
        assertEquals(
                JobSpec.Retrain.DEFAULT_START,
                JobRequest.parse("{}").withDefaults().retrain().start());
        JobSpec fresh = JobRequest.parse("{\"retrain\": {\"start\": \"Fresh\"}}").withDefaults();
        assertTrue(fresh.retrain().fresh());
        JobSpec.Unreadable other =
                assertThrows(
                        JobSpec.Unreadable.class,
                        () -> JobRequest.parse("{\"retrain\": {\"start\": \"backbone\"}}"));
        assertEquals(
                List.of(
                        new JobSpec.FieldError(
                                "retrain.start", "must be one of supernet, fresh, got backbone")),
                other.errors());
    }

    @Test
    void samplesPathsUniformlyUnlessAskedForTheSandwichOrWithinTheLimitAndRefusesAnythingElse() {
        assertEquals(Trainees.Sampling.UNIFORM, JobRequest.parse("{}").withDefaults().sampling());
        JobSpec sandwich =
                JobRequest.parse("{\"supernet\": {\"sampling\": \"Sandwich\"}}").withDefaults();
        assertEquals(Trainees.Sampling.SANDWICH, sandwich.sampling());
        // stored as the label it was given in, whatever its case, so stored specs read back
        assertTrue(
                JobStore.gson().toJson(sandwich).contains("\"sampling\":\"sandwich\""),
                JobStore.gson().toJson(sandwich));
        assertEquals(
                sandwich,
                JobStore.gson().fromJson(JobStore.gson().toJson(sandwich), JobSpec.class));
        // every choice that is none of its values is named at once, with the values it allows
        JobSpec.Unreadable bad =
                assertThrows(
                        JobSpec.Unreadable.class,
                        () ->
                                JobRequest.parse(
                                        "{\"backbone\": \"b\", \"data\": \"t\", \"supernet\":"
                                                + " {\"sampling\": \"greedy\"}, \"search\":"
                                                + " {\"objective\": 3, \"seeds\": \"KNOWN\"}}"));
        assertEquals(
                List.of(
                        new JobSpec.FieldError(
                                "supernet.sampling",
                                "must be one of uniform, sandwich, limited, got greedy"),
                        new JobSpec.FieldError(
                                "search.objective",
                                "must be one of accuracy, pareto (a string), got number")),
                bad.errors());
        // limited sampling trains the paths within the search's limit, so it needs one, at submit
        JobSpec unlimited =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"supernet\":"
                                        + " {\"sampling\": \"limited\"}}")
                        .withDefaults();
        assertEquals(
                List.of(
                        new JobSpec.FieldError(
                                "supernet.sampling",
                                "limited draws paths within search.maxParams:" + " set it")),
                unlimited.validate());
        JobSpec limited =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"supernet\":"
                                        + " {\"sampling\": \"limited\"}, \"search\": {\"maxParams\": 10000}}")
                        .withDefaults();
        assertEquals(List.of(), limited.validate());
        assertEquals(Trainees.Sampling.LIMITED, limited.sampling());
        assertEquals(10000, limited.samplingLimit());
        assertEquals(-1, sandwich.samplingLimit());
        // a spec stored before specs named it trains as it did then
        JobSpec old =
                StoredSpec.read(
                        JobStore.gson()
                                .toJson(JobRequest.parse("{}").withDefaults())
                                .replace(",\"sampling\":\"uniform\"", ""));
        assertEquals(Trainees.Sampling.UNIFORM, old.sampling());
    }

    @Test
    void aLoraBaselineTrainsOnTheDeliveredModelsListForThePipelinesWholeBudget() {
        JobSpec none = JobRequest.parse("{}").withDefaults();
        assertEquals(JobSpec.Baseline.NONE, none.baseline());
        JobSpec alone =
                JobRequest.parse(
                                "{\"supernet\": {\"epochs\": 100}, \"retrain\": {\"epochs\": 0},"
                                        + " \"baseline\": {\"lora\": true}}")
                        .withDefaults();
        assertEquals(
                new JobSpec.Baseline(true, 0, 0), alone.baseline(), "0: the pipeline's own budget");
        assertEquals(100, alone.baselineEpochs(0));
        assertEquals(
                "train800",
                alone.baselineList(),
                "without retraining the delivered model trained on train800");
        JobSpec byDefault = JobRequest.parse("{\"baseline\": {\"lora\": true}}").withDefaults();
        assertEquals(
                30 + 100,
                byDefault.baselineEpochs(0),
                "the default split: 30 supernet epochs, 100 retraining");
        assertEquals("train800val200", byDefault.baselineList());
        JobSpec retrained =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"supernet\": {\"epochs\": 100,"
                                        + " \"lr\": 0.001}, \"retrain\":"
                                        + " {\"epochs\": 30}, \"baseline\": {\"lora\": true, \"rank\": 4}}")
                        .withDefaults();
        assertEquals(new JobSpec.Baseline(true, 4, 0), retrained.baseline());
        assertEquals("train800val200", retrained.baselineList());
        TrainSettings train = retrained.baselineSettings(0);
        assertEquals(130, train.epochs());
        // finalists count in the budget: supernet + finalists x their epochs + retraining
        JobSpec withFinalists =
                JobRequest.parse(
                                "{\"supernet\": {\"epochs\": 100}, \"search\": {\"seeds\":"
                                        + " \"known\", \"finalists\": 4, \"finalistEpochs\": 5}, \"retrain\": {\"epochs\": 30},"
                                        + " \"baseline\": {\"lora\": true}}")
                        .withDefaults();
        assertTrue(withFinalists.search().hasFinalists());
        assertEquals(100 + 7 * 5 + 30, withFinalists.baselineSettings(7).epochs());
        assertEquals(
                50,
                JobRequest.parse(
                                "{\"supernet\": {\"epochs\": 100}, \"baseline\": {\"lora\": true,"
                                        + " \"epochs\": 50}}")
                        .withDefaults()
                        .baselineEpochs(7),
                "epochs given are kept");
        assertEquals(1e-3, train.lr());
        assertEquals(retrained.supernet().warmupEpochs(), train.warmupEpochs());
        assertEquals(retrained.supernet().batchSize(), train.batchSize());
        assertTrue(retrained.validate().isEmpty(), retrained.validate().toString());
        // a boolean is true or false: Gson alone would read "yes" (and any string but "true") as
        // false
        for (String notABoolean : new String[] {"\"yes\"", "\"true\"", "1"}) {
            JobSpec.Unreadable e =
                    assertThrows(
                            JobSpec.Unreadable.class,
                            () ->
                                    JobRequest.parse(
                                            "{\"baseline\": {\"lora\": " + notABoolean + "}}"));
            assertEquals("baseline.lora", e.errors().get(0).field(), notABoolean);
            assertTrue(
                    e.errors().get(0).message().contains("expected true or false"),
                    e.errors().get(0).message());
        }
        // a spec stored before specs named a baseline has none
        String stored = JobStore.gson().toJson(none).replaceAll(",\"baseline\":\\{[^}]*\\}", "");
        assertFalse(stored.contains("baseline"), stored);
        JobSpec old = StoredSpec.read(stored);
        assertEquals(JobSpec.Baseline.NONE, old.baseline());
    }

    @Test
    void choosesItsOwnBestUnlessAskedToRerankOnANamedListOfTheTask() {
        JobSpec plain = JobRequest.parse("{}").withDefaults();
        assertNull(plain.search().rerankList());
        JobSpec reranked =
                JobRequest.parse("{\"search\": {\"rerankList\": \"val2000\"}}").withDefaults();
        assertEquals("val2000", reranked.search().rerankList());
        assertEquals(10, reranked.search().rerankTop());
        List<JobSpec.FieldError> bad =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"search\":"
                                        + " {\"rerankList\": \"../../etc/passwd\", \"rerankTop\": 0}}")
                        .withDefaults()
                        .validate();
        assertEquals(
                List.of("search.rerankList", "search.rerankTop"),
                bad.stream().map(JobSpec.FieldError::field).toList());
        assertTrue(bad.get(0).message().contains("'../../etc/passwd'"), bad.get(0).message());
        // a job reports its test accuracy on the test list, so it is never the list a job chooses
        // on
        List<JobSpec.FieldError> onTest =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"search\":"
                                        + " {\"rerankList\": \"test\"}}")
                        .withDefaults()
                        .validate();
        assertEquals(
                List.of("search.rerankList"),
                onTest.stream().map(JobSpec.FieldError::field).toList());
        assertTrue(onTest.get(0).message().contains("must not be test"), onTest.get(0).message());
    }

    @Test
    void retrainsOnEveryLabelledImageUnlessAskedForTheSupernetsList() {
        assertEquals(
                "train800val200",
                JobRequest.parse("{\"retrain\": {\"epochs\": 2}}").withDefaults().retrainList());
        assertEquals(
                "train800",
                JobRequest.parse("{\"retrain\": {\"epochs\": 2, \"trainList\":" + " \"train800\"}}")
                        .withDefaults()
                        .retrainList());
        List<JobSpec.FieldError> test =
                JobRequest.parse(
                                "{\"backbone\": \"b\", \"data\": \"t\", \"retrain\":"
                                        + " {\"epochs\": 2, \"trainList\": \"test\"}}")
                        .withDefaults()
                        .validate();
        assertEquals(
                List.of(
                        new JobSpec.FieldError(
                                "retrain.trainList",
                                "must be one of train800, train800val200, got test")),
                test);
    }

    @Test
    void aSpecNamesEveryListItWillReadWithTheFieldThatAsksForIt() {
        assertEquals(
                Map.of("train800", "data", "val200", "data", "test", "data"),
                JobRequest.parse("{\"retrain\": {\"epochs\": 0}}").withDefaults().listsRead(),
                "no retraining, no reranking");
        assertEquals(
                "retrain.trainList",
                JobRequest.parse("{}").withDefaults().listsRead().get("train800val200"),
                "a job retrains by default");
        assertEquals(
                "retrain.trainList",
                JobRequest.parse("{\"retrain\": {\"epochs\": 2}}")
                        .withDefaults()
                        .listsRead()
                        .get("train800val200"));
        assertEquals(
                "data",
                JobRequest.parse("{\"retrain\": {\"epochs\": 2, \"trainList\": \"train800\"}}")
                        .withDefaults()
                        .listsRead()
                        .get("train800"),
                "the supernet's list is read anyway");
        assertEquals(
                "search.rerankList",
                JobRequest.parse("{\"search\": {\"rerankList\": \"val2000\"}}")
                        .withDefaults()
                        .listsRead()
                        .get("val2000"));
    }

    @Test
    void namesEveryUnknownFieldAtItsDepth() {
        List<JobSpec.FieldError> unknown =
                errors("{\"backbone\": \"b\", \"supernet\": {\"rnk\": 4}, \"sed\": 1}");
        assertEquals(
                List.of("supernet.rnk", "sed"),
                unknown.stream().map(JobSpec.FieldError::field).toList());
        assertTrue(
                unknown.get(0).message().contains("known: batchSize, epochs, lr, rank, ranks"),
                unknown.get(0).message());
    }

    @Test
    void namesTheFieldOfTheWrongType() {
        JobSpec.FieldError wrong = errors("{\"supernet\": {\"epochs\": \"many\"}}").get(0);
        assertEquals("supernet.epochs", wrong.field(), wrong.toString());
        assertTrue(wrong.message().startsWith("has the wrong type"), wrong.message());
        assertEquals(
                "search.maxParams", errors("{\"search\": {\"maxParams\": 1.5}}").get(0).field());
        assertEquals(
                "supernet.ranks[1]",
                errors("{\"supernet\": {\"ranks\": [4, \"x\"]}}").get(0).field());
    }

    @Test
    void refusesWhatIsNotOneStrictJsonObject() {
        for (String body :
                new String[] {
                    "",
                    "  ",
                    "[1]",
                    "{'backbone': 'b'}",
                    "{\"data\": \"t\"} {}",
                    "{\"data\": t}",
                    "{\"data\": \"t\"",
                    "null"
                }) {
            List<JobSpec.FieldError> refused = errors(body);
            assertEquals("body", refused.get(0).field(), body + ": " + refused);
        }
    }

    /**
     * Found by RequestsFuzzTest: a string where a number belongs is a 400 naming the field, not a
     * 500.
     */
    @Test
    void aStringWhereANumberBelongsNamesTheField() {
        JobSpec.Unreadable e =
                assertThrows(
                        JobSpec.Unreadable.class,
                        () -> JobRequest.parse("{\"supernet\": {\"lr\": \"train800\"}}"));
        assertEquals("supernet.lr", e.errors().get(0).field(), e.errors().toString());
    }
}
