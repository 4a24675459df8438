package dev.glora.api.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart;

import dev.glora.api.system.WebSliceBeans;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.ResultStore;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.ArgumentMatchers;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockMultipartFile;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMultipartHttpServletRequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Predictions' controller alone (a web slice): every refusal that comes before a model is loaded or
 * an image decoded, over mocked stores.
 */
@WebMvcTest(controllers = PredictController.class)
@Import(WebSliceBeans.class)
@TestPropertySource(properties = WebSliceBeans.PROPERTY)
@Timeout(60)
class PredictControllerWebTest {

    @Autowired private MockMvc mvc;
    @Autowired private ObjectMapper json;
    @MockitoBean private JobStore jobs;
    @MockitoBean private ResultStore results;
    @MockitoBean private LoadedModels models;

    private static MockMultipartFile image() {
        return new MockMultipartFile("image", "a.png", "image/png", new byte[] {1, 2, 3});
    }

    private JsonNode refused(MockMultipartHttpServletRequestBuilder request, int status)
            throws Exception {
        MockHttpServletResponse response =
                mvc.perform(
                                request.header("Authorization", "Bearer " + WebSliceBeans.TOKEN)
                                        .header("X-Glora-Request", "1"))
                        .andReturn()
                        .getResponse();
        String body = response.getContentAsString(StandardCharsets.UTF_8);
        assertEquals(status, response.getStatus(), body);
        return json.readTree(body);
    }

    @Test
    void aRequestOfTheWrongShapeIsRefusedByFieldBeforeAnyJobIsLookedUp() throws Exception {
        JsonNode top =
                refused(multipart("/api/v1/jobs/1/predict").file(image()).param("top", "0"), 400);
        assertEquals("top", top.get("field").asText());
        MockMultipartHttpServletRequestBuilder nine = multipart("/api/v1/jobs/1/predict");
        for (int i = 0; i < PredictController.MAX_IMAGES + 1; i++) {
            nine.file(image());
        }
        JsonNode many = refused(nine, 400);
        assertEquals("image", many.get("field").asText());
        assertTrue(many.get("detail").asText().contains("got 9"), many.toString());
        verify(jobs, never()).find(ArgumentMatchers.anyLong());
    }

    @Test
    void anUnknownJobIs404AndOneWithoutAMergedModelIs409() throws Exception {
        when(jobs.find(2)).thenReturn(Optional.empty());
        refused(multipart("/api/v1/jobs/2/predict").file(image()), 404);
        when(jobs.find(3)).thenReturn(Optional.of(WebSliceBeans.job(3, JobStatus.SEARCHING, 0)));
        when(results.artefactInfo(3, ArtefactKind.MODEL)).thenReturn(Optional.empty());
        JsonNode early = refused(multipart("/api/v1/jobs/3/predict").file(image()), 409);
        assertTrue(early.get("detail").asText().contains("SUCCEEDED"), early.toString());
        verify(models, never()).useJobModel(any(long.class), any(), any());
    }

    @Test
    void aModelNotInTheCatalogAndAPathWithoutPredictAre404() throws Exception {
        JsonNode missing =
                refused(multipart("/api/v1/models/none.safetensors/predict").file(image()), 404);
        assertTrue(
                missing.get("detail").asText().contains("'none.safetensors'"), missing.toString());
        JsonNode other =
                refused(multipart("/api/v1/models/none.safetensors/train").file(image()), 404);
        assertTrue(other.get("detail").asText().contains("/predict"), other.toString());
    }
}
