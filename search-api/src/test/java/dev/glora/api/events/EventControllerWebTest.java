package dev.glora.api.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import dev.glora.api.system.WebSliceBeans;
import dev.glora.jobs.JobStore;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** The event streams' controller alone (a web slice): 404 and 429 before any stream opens. */
@WebMvcTest(controllers = EventController.class)
@Import(WebSliceBeans.class)
@TestPropertySource(properties = WebSliceBeans.PROPERTY)
@Timeout(60)
class EventControllerWebTest {

    private static final String TOKEN = WebSliceBeans.TOKEN;

    @Autowired private MockMvc mvc;
    @MockitoBean private JobStore jobs;
    @MockitoBean private EventBroadcaster broadcaster;

    private MockHttpServletResponse events(String path) throws Exception {
        return mvc.perform(
                        get(path)
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Accept", "text/event-stream"))
                .andReturn()
                .getResponse();
    }

    @Test
    void anUnknownJobHasNoStreamAndNoneIsOpened() throws Exception {
        when(jobs.find(4)).thenReturn(Optional.empty());
        assertEquals(404, events("/api/v1/jobs/4/events").getStatus());
        verify(broadcaster, never()).subscribe(anyLong(), anyLong());
    }

    @Test
    void beyondTheStreamLimitTheAnswerIs429WithWhenToComeBackAndWhy() throws Exception {
        when(broadcaster.subscribe(EventBroadcaster.ALL_JOBS, 0))
                .thenThrow(new EventBroadcaster.TooManyStreams(3));
        MockHttpServletResponse response = events("/api/v1/events");
        assertEquals(429, response.getStatus());
        assertEquals("10", response.getHeader("Retry-After"));
        assertTrue(
                response.getHeader("X-Glora-Problem").contains("at most 3 event streams"),
                response.getHeader("X-Glora-Problem"));
    }
}
