package dev.glora.api.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.glora.api.system.WebSliceBeans;
import dev.glora.jobs.Artefact;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.ResultStore;
import dev.glora.search.Candidate;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.ArgumentMatchers;
import org.mockito.Mockito;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The jobs controller alone (issue 35: a web slice): the web layer, the access filter and the
 * problem replies over stores that answer what each test says. No database, no worker, no port.
 */
@WebMvcTest(controllers = JobController.class)
@Import(WebSliceBeans.class)
@TestPropertySource(properties = WebSliceBeans.PROPERTY)
@Timeout(60)
class JobControllerWebTest {

    private static final String TOKEN = WebSliceBeans.TOKEN;

    @Autowired private MockMvc mvc;
    @Autowired private ObjectMapper json;
    @MockitoBean private JobStore jobs;
    @MockitoBean private ResultStore results;
    @MockitoBean private LoadedModels models;

    private static Candidate candidate(String key, long parameters, double accuracy) {
        return new Candidate(key, new int[0], parameters, accuracy, 1, true, null);
    }

    private JsonNode send(MockHttpServletRequestBuilder request, int status) throws Exception {
        MockHttpServletResponse response =
                mvc.perform(request.header("Authorization", "Bearer " + TOKEN))
                        .andReturn()
                        .getResponse();
        String body = response.getContentAsString(StandardCharsets.UTF_8);
        assertEquals(status, response.getStatus(), body);
        return body.isEmpty() ? null : json.readTree(body);
    }

    @Test
    void anUnknownJobIsA404ProblemNamingIt() throws Exception {
        when(jobs.find(9)).thenReturn(Optional.empty());
        JsonNode problem = send(get("/api/v1/jobs/9/pareto"), 404);
        assertTrue(problem.get("detail").asText().contains("9"), problem.toString());
    }

    @Test
    void aRunningJobsFrontIsTheParetoFrontOfEveryCandidateSoFar() throws Exception {
        when(jobs.find(5)).thenReturn(Optional.of(WebSliceBeans.job(5, JobStatus.SEARCHING, 2)));
        when(results.artefact(5, ArtefactKind.PARETO)).thenReturn(Optional.empty());
        when(results.candidates(eq(5L), eq("ordinal"), anyInt()))
                .thenReturn(
                        List.of(
                                candidate("a", 100, 0.70),
                                candidate("b", 200, 0.65), // dominated by a
                                candidate("c", 300, 0.80),
                                candidate("d", 50, 0.60)));
        JsonNode pareto = send(get("/api/v1/jobs/5/pareto"), 200);
        assertFalse(pareto.get("final").asBoolean());
        List<String> keys =
                pareto.get("front").valueStream().map(p -> p.get("key").asText()).toList();
        assertEquals(List.of("d", "a", "c"), keys, pareto.toString());
        assertEquals(50, pareto.get("front").get(0).get("trainable_parameters").asLong());
        assertFalse(pareto.has("objectives"), "the running front has no export fields");
        // the same generation: the front is not computed again
        send(get("/api/v1/jobs/5/pareto"), 200);
        verify(results, Mockito.times(1)).candidates(eq(5L), anyString(), anyInt());
    }

    @Test
    void anExportedFrontIsServedAsStoredAndMarkedFinal() throws Exception {
        when(jobs.find(6)).thenReturn(Optional.of(WebSliceBeans.job(6, JobStatus.SUCCEEDED, 5)));
        byte[] stored =
                """
                {"objectives": ["validation_accuracy (max)", "trainable_parameters (min)"],
                 "max_params": 10000,
                 "front": [{"trainable_parameters": 120, "validation_accuracy": 0.75,
                            "generation": 3, "chosen": true, "seed": "lora_qkv_r4",
                            "config": {"layers": {}}}]}
                """
                        .getBytes(StandardCharsets.UTF_8);
        when(results.artefact(6, ArtefactKind.PARETO))
                .thenReturn(
                        Optional.of(new Artefact(ArtefactKind.PARETO, stored.length, "x", stored)));
        JsonNode pareto = send(get("/api/v1/jobs/6/pareto"), 200);
        assertTrue(pareto.get("final").asBoolean());
        assertEquals(10000, pareto.get("max_params").asLong());
        assertEquals(2, pareto.get("objectives").size());
        JsonNode point = pareto.get("front").get(0);
        assertEquals(120, point.get("trainable_parameters").asLong());
        assertTrue(point.get("chosen").asBoolean());
        assertEquals("lora_qkv_r4", point.get("seed").asText());
        assertTrue(point.get("config").has("layers"));
        assertFalse(point.has("key"), point.toString());
        verify(results, never()).candidates(eq(6L), anyString(), anyInt());
    }

    @Test
    void aSpecThatWouldFailLaterIsRefusedAtSubmitWithEachFieldNamedAndNothingStored()
            throws Exception {
        JsonNode problem =
                send(
                        post("/api/v1/jobs")
                                .contentType(MediaType.APPLICATION_JSON)
                                .content(
                                        "{\"backbone\": \"none.safetensors\", \"data\": \"t\","
                                                + " \"search\": {\"population\": 0}}"),
                        400);
        List<String> fields =
                problem.get("errors").valueStream().map(e -> e.get("field").asText()).toList();
        assertTrue(fields.stream().anyMatch(f -> f.contains("population")), problem.toString());
        verify(jobs, never())
                .submit(ArgumentMatchers.any(), ArgumentMatchers.any(), ArgumentMatchers.any());
    }

    @Test
    void theDefaultsNameEachChoiceAsTheChoicesListAndASpecReadsThem() throws Exception {
        JsonNode defaults = send(get("/api/v1/jobs/defaults"), 200);
        JsonNode choices = send(get("/api/v1/jobs/choices"), 200);
        for (String field :
                List.of(
                        "supernet.sampling",
                        "search.objective",
                        "search.init",
                        "search.seeds",
                        "retrain.trainList",
                        "retrain.start")) {
            String[] path = field.split("\\.");
            String value = defaults.get(path[0]).get(path[1]).asText();
            List<String> allowed = choices.get(field).valueStream().map(JsonNode::asText).toList();
            assertTrue(allowed.contains(value), field + " = " + value + ", choices " + allowed);
        }
        assertEquals(
                "[\"accuracy\",\"pareto\"]", choices.get("search.objective").toString(), "labels");
    }

    @Test
    void aChoiceThatIsNoneOfItsValuesIsRefusedNamingThemAndNothingStored() throws Exception {
        JsonNode problem =
                send(
                        post("/api/v1/jobs")
                                .contentType(MediaType.APPLICATION_JSON)
                                .content(
                                        "{\"backbone\": \"b.safetensors\", \"data\": \"t\","
                                                + " \"search\": {\"objective\": \"speed\"}}"),
                        400);
        JsonNode error = problem.get("errors").get(0);
        assertEquals("search.objective", error.get("field").asText(), problem.toString());
        assertEquals(
                "must be one of accuracy, pareto, got speed",
                error.get("message").asText(),
                problem.toString());
        verify(jobs, never())
                .submit(ArgumentMatchers.any(), ArgumentMatchers.any(), ArgumentMatchers.any());
    }

    @Test
    void withoutTheTokenNothingIsReadAndTheStoresAreNotAsked() throws Exception {
        MockHttpServletResponse response =
                mvc.perform(get("/api/v1/jobs/5/pareto")).andReturn().getResponse();
        assertEquals(401, response.getStatus());
        verify(jobs, never()).find(anyLong());
    }

    private static long anyLong() {
        return ArgumentMatchers.anyLong();
    }
}
