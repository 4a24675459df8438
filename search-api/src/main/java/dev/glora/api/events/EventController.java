package dev.glora.api.events;

import dev.glora.jobs.JobStore;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/v1/jobs/{id}/events}: server-sent events for every status change ({@code
 * status}), supernet epoch ({@code epoch}) and generation ({@code generation}), history first; 429
 * beyond {@code glora.max-streams} open streams.
 */
@RestController
class EventController {

    private final JobStore jobs;
    private final EventBroadcaster broadcaster;

    EventController(JobStore jobs, EventBroadcaster broadcaster) {
        this.jobs = jobs;
        this.broadcaster = broadcaster;
    }

    @GetMapping(value = "/api/v1/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> events(
            @PathVariable long id,
            @RequestHeader(value = "Last-Event-ID", required = false) Long after) {
        if (jobs.find(id).isEmpty()) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no job " + id);
        }
        return stream(id, after);
    }

    /** Every job's events from now on (the jobs table's live updates); the data names the job. */
    @GetMapping(value = "/api/v1/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> allEvents(
            @RequestHeader(value = "Last-Event-ID", required = false) Long after) {
        return stream(EventBroadcaster.ALL_JOBS, after);
    }

    /** A stream, or 429 with {@code Retry-After} when as many are open as the service allows. */
    private ResponseEntity<SseEmitter> stream(long jobId, Long after) {
        try {
            return ResponseEntity.ok(broadcaster.subscribe(jobId, after == null ? 0 : after));
        } catch (EventBroadcaster.TooManyStreams e) {
            return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                    .header(HttpHeaders.RETRY_AFTER, "10")
                    .header("X-Glora-Problem", e.getMessage())
                    .build();
        }
    }
}
