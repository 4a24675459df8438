package dev.glora.api.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import dev.glora.api.system.WebSliceBeans;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.Roots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The catalog's controller alone (a web slice) over empty roots and a mocked job store. */
@WebMvcTest(controllers = CatalogController.class)
@Import(WebSliceBeans.class)
@TestPropertySource(properties = WebSliceBeans.PROPERTY)
@Timeout(60)
class CatalogControllerWebTest {

    @Autowired private MockMvc mvc;
    @Autowired private ObjectMapper json;
    @Autowired private Roots roots;
    @MockitoBean private JobStore jobs;

    private MockHttpServletResponse send(MockHttpServletRequestBuilder request) throws Exception {
        return mvc.perform(
                        request.header("Authorization", "Bearer " + WebSliceBeans.TOKEN)
                                .header("X-Glora-Request", "1"))
                .andReturn()
                .getResponse();
    }

    private JsonNode problem(MockHttpServletResponse response) throws Exception {
        assertEquals("application/problem+json", response.getContentType());
        return json.readTree(response.getContentAsString(StandardCharsets.UTF_8));
    }

    @Test
    void aModelThatIsNotThereIsA404ProblemNamingItAndNoPathOutsideTheRootIsRead() throws Exception {
        MockHttpServletResponse missing = send(get("/api/v1/models/nothing.safetensors"));
        assertEquals(404, missing.getStatus());
        JsonNode body = problem(missing);
        assertEquals("Model not found", body.get("title").asText());
        assertTrue(body.get("detail").asText().contains("'nothing.safetensors'"), body.toString());
        // looked up in the listing, never resolved: a name that climbs out finds nothing
        assertEquals(404, send(get("/api/v1/models/../../etc/passwd")).getStatus());
    }

    @Test
    void aTaskFolderAnUnfinishedJobUsesIsNotDeletedAndTheJobsAreNamed() throws Exception {
        Files.createDirectories(roots.data().resolve("in-use"));
        when(jobs.deleteUnlessUsed(eq("data"), any(), any()))
                .thenReturn(new JobStore.CatalogDeletion(List.of(3L, 5L), false));
        MockHttpServletResponse refused = send(delete("/api/v1/datasets/in-use"));
        assertEquals(409, refused.getStatus());
        JsonNode body = problem(refused);
        assertEquals("In use", body.get("title").asText());
        assertTrue(body.get("detail").asText().contains("[3, 5]"), body.toString());
        assertTrue(Files.isDirectory(roots.data().resolve("in-use")));
    }

    @Test
    void aDeletionIs204AndOneOfNothingIs404() throws Exception {
        when(jobs.deleteUnlessUsed(eq("backbone"), any(), any()))
                .thenReturn(new JobStore.CatalogDeletion(List.of(), true))
                .thenReturn(new JobStore.CatalogDeletion(List.of(), false));
        assertEquals(204, send(delete("/api/v1/models/vit.safetensors")).getStatus());
        MockHttpServletResponse again = send(delete("/api/v1/models/vit.safetensors"));
        assertEquals(404, again.getStatus());
        assertEquals("Model not found", problem(again).get("title").asText());
    }
}
