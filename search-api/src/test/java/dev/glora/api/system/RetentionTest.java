package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.api.ServiceTest;
import dev.glora.api.ServiceTestEnvironment;
import dev.glora.jobs.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** {@code glora.retention} deletes finished jobs older than it, and nothing else. */
class RetentionTest extends ServiceTest {

    @Autowired private JobStore jobs;

    private static GloraProperties retaining(Duration retention) {
        return new GloraProperties(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                retention, null, null, null);
    }

    @Test
    void finishedJobsOlderThanTheRetentionAreDeletedAndOthersKept() throws Exception {
        long finished = submit(200, 5).get("id").asLong();
        assertEquals(
                200,
                post("/api/v1/jobs/" + finished + "/cancel", "{}", ServiceTestEnvironment.TOKEN)
                        .statusCode());
        long running = submit(200, 5).get("id").asLong();
        Clock tomorrow = Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC);
        assertEquals(
                0,
                new Retention(jobs, retaining(null), tomorrow).sweep(),
                "no retention set: nothing goes");
        assertEquals(
                0,
                new Retention(jobs, retaining(Duration.ofDays(2)), tomorrow).sweep(),
                "not old enough");
        assertTrue(new Retention(jobs, retaining(Duration.ofHours(1)), tomorrow).sweep() >= 1);
        assertEquals(
                404, get("/api/v1/jobs/" + finished).statusCode(), "the old finished job is gone");
        assertEquals(
                200, get("/api/v1/jobs/" + running).statusCode(), "a running job is never swept");
        post("/api/v1/jobs/" + running + "/cancel", "{}", ServiceTestEnvironment.TOKEN);
    }
}
